import ChartModel
import Extraction
import Foundation

/// Where a value sits on its page.
public struct Grounding: Sendable, Hashable {
    public var bbox: BoundingBox
    /// Index of the (first) line it was found on.
    public var line: Int
    /// The line (or lines) it was found on.
    public var text: String
    /// Mean OCR confidence of the matched words.
    public var confidence: Double
}

/// Finds a value among a page's words, tolerant of case, spacing, punctuation and the usual
/// OCR confusions (O/0, l/1/I, S/5, B/8, rn/m), and numeric-aware (7.20 = 7.2, 1,000 = 1000).
/// A match starts and ends on word boundaries, within one line or two consecutive lines.
public struct Grounder: Sendable {
    let page: PageReading
    /// Per line: its compact characters, and for each character the word it came from.
    private let compact: [(chars: [Character], word: [Int], starts: Set<Int>, ends: Set<Int>)]
    let dates = DateNormalizer()

    public init(page: PageReading) {
        self.page = page
        compact = page.lines.map { line in
            var chars: [Character] = [], owner: [Int] = []
            var starts = Set<Int>(), ends = Set<Int>()
            for index in line.words {
                let token = Self.normalize(page.words[index].text)
                guard !token.isEmpty else { continue }
                starts.insert(chars.count)
                chars.append(contentsOf: token)
                owner.append(contentsOf: repeatElement(index, count: token.count))
                ends.insert(chars.count)
            }
            return (chars, owner, starts, ends)
        }
    }

    /// The box of `value` on the page, or nil when it is not there. `field` helps: dates are
    /// also matched by their normalised value (the model may reformat them).
    /// `lines`: only these lines (indices into the page's lines); nil = the whole page.
    public func locate(_ value: String, field: FactField? = nil, in lines: [Int]? = nil) -> Grounding? {
        let allowed = lines.map(Set.init) ?? Set(page.lines.indices)
        let target = Array(value.split(whereSeparator: \.isWhitespace).map { Self.normalize(String($0)) }.joined())
        if !target.isEmpty, let found = search(target, allowed) { return found }
        if field.map(Self.dateFields.contains) == true, let iso = dates.normalize(value) {
            return searchDate(iso, allowed)
        }
        return nil
    }

    static let dateFields: Set<FactField> = [.date, .birthDate, .endDate, .onset]

    private func search(_ target: [Character], _ allowed: Set<Int>) -> Grounding? {
        for (lineIndex, line) in compact.enumerated() where allowed.contains(lineIndex) {
            if let match = find(target, in: line.chars, starts: line.starts, ends: line.ends) {
                return grounding(Array(Set(line.word[match])).sorted(), lines: [lineIndex])
            }
            // A value wrapped onto the next line.
            if lineIndex + 1 < compact.count, allowed.contains(lineIndex + 1) {
                let next = compact[lineIndex + 1]
                let chars = line.chars + next.chars
                let offset = line.chars.count
                let starts = line.starts.union(next.starts.map { $0 + offset })
                let ends = line.ends.union(next.ends.map { $0 + offset })
                if let match = find(target, in: chars, starts: starts, ends: ends), match.lowerBound < offset, match.upperBound > offset {
                    let words = line.word + next.word
                    return grounding(Array(Set(words[match])).sorted(), lines: [lineIndex, lineIndex + 1])
                }
            }
        }
        return nil
    }

    private func find(_ target: [Character], in chars: [Character], starts: Set<Int>, ends: Set<Int>) -> Range<Int>? {
        guard target.count <= chars.count else { return nil }
        var start = 0
        while start + target.count <= chars.count {
            if starts.contains(start), ends.contains(start + target.count), chars[start..<(start + target.count)].elementsEqual(target) {
                return start..<(start + target.count)
            }
            start += 1
        }
        return nil
    }

    private func searchDate(_ iso: String, _ allowed: Set<Int>) -> Grounding? {
        for (lineIndex, line) in page.lines.enumerated() where allowed.contains(lineIndex) {
            let words = Array(line.words)
            for length in 1...4 {
                guard length <= words.count else { break }
                for start in 0...(words.count - length) {
                    let text = words[start..<(start + length)].map { page.words[$0].text }.joined(separator: " ")
                    if dates.normalize(text.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()"))) == iso {
                        return grounding(Array(words[start..<(start + length)]), lines: [lineIndex])
                    }
                }
            }
        }
        return nil
    }

    private func grounding(_ words: [Int], lines: [Int]) -> Grounding? {
        guard let box = BoundingBox.union(words.map { page.words[$0].bbox }) else { return nil }
        let confidence = words.map { page.words[$0].conf }.reduce(0, +) / Double(max(1, words.count))
        return Grounding(bbox: box, line: lines[0], text: lines.map { page.lines[$0].text }.joined(separator: " "), confidence: confidence)
    }

    /// Lowercased, punctuation at the edges dropped, numbers canonical, OCR look-alikes folded.
    static func normalize(_ word: String) -> String {
        var text = word.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()[]{}\"'*"))
        if let number = ValueNormalizer.number(text) {
            return number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
        }
        text = text.replacingOccurrences(of: "rn", with: "m")
        return String(text.compactMap { ch -> Character? in
            switch ch {
            case "o": "0"
            case "l", "i", "|", "!": "1"
            case "s": "5"
            case "b": "8"
            case ",", "'", "\"", "`", "’": nil
            default: ch
            }
        })
    }
}
