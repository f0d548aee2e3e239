import Foundation

/// BERT's uncased tokenizer: text cleaned, accents stripped, lowercased, split at white space
/// and punctuation, then each word cut greedily into the longest pieces of the vocabulary
/// ("##" marks a piece inside a word). A word with no such cutting is `[UNK]`.
struct WordPiece: Sendable {
    let ids: [String: Int32]
    let unknown: Int32, classifier: Int32, separator: Int32
    static let maxWordCharacters = 100

    init(vocabulary url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        var ids: [String: Int32] = [:]
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            ids[String(line)] = Int32(i)
        }
        guard let unk = ids["[UNK]"], let cls = ids["[CLS]"], let sep = ids["[SEP]"] else {
            throw EmbeddingError.badModel(url.path, "no [UNK], [CLS] or [SEP] token")
        }
        (self.ids, unknown, classifier, separator) = (ids, unk, cls, sep)
    }

    /// `[CLS]` + the pieces of `text` (at most `maxTokens` - 2) + `[SEP]`.
    func encode(_ text: String, maxTokens: Int) -> [Int32] {
        var out: [Int32] = [classifier]
        for word in Self.words(text) {
            out += pieces(word)
            if out.count >= maxTokens - 1 { break }
        }
        return Array(out.prefix(maxTokens - 1)) + [separator]
    }

    func pieces(_ word: String) -> [Int32] {
        let chars = Array(word.unicodeScalars)
        guard chars.count <= Self.maxWordCharacters else { return [unknown] }
        var out: [Int32] = []
        var start = 0
        while start < chars.count {
            var end = chars.count
            var found: Int32?
            while end > start {
                var piece = String(String.UnicodeScalarView(chars[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = ids[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknown] }
            out.append(id)
            start = end
        }
        return out
    }

    /// The basic tokenizer's words: control characters dropped, CJK ideographs and punctuation
    /// set apart, lowercased, accents (combining marks after NFD) removed.
    static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty { words.append(String(current)); current = String.UnicodeScalarView() }
        }
        let lowered = text.lowercased().decomposedStringWithCanonicalMapping
        for scalar in lowered.unicodeScalars {
            let v = scalar.value
            if v == 0 || v == 0xFFFD { continue }
            let category = scalar.properties.generalCategory
            if scalar == "\t" || scalar == "\n" || scalar == "\r" || category == .spaceSeparator || scalar == " " {
                flush(); continue
            }
            if category == .control || category == .format { continue }
            if category == .nonspacingMark { continue }
            if isPunctuation(scalar) || isCJK(v) {
                flush(); words.append(String(scalar)); continue
            }
            current.append(scalar)
        }
        flush()
        return words
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func isCJK(_ v: UInt32) -> Bool {
        (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}
