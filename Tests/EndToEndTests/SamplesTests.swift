import ChartModel
import ChartReading
import Foundation
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// One page of a sample's ground truth (`Samples/*.expected.json`).
struct TruthPage: Decodable {
    var number: Int
    var text: String
    var kind: String
    var rotation: Int?
}

struct Truth: Decodable {
    var file: String
    var pages: [TruthPage]
}

/// Whitespace-normalised text: each line's spaces collapsed, empty lines dropped
/// (the same normalisation as scripts/cer.py).
func normalise(_ text: String) -> [Character] {
    Array(text.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        .filter { !$0.isEmpty }.joined(separator: "\n"))
}

func levenshtein(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = previous
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}

@Suite(.serialized) struct SamplesTests {
    /// The issue's acceptance floors, measured on every page of Samples/.
    @Test func characterErrorRatesMeetTheFloors() throws {
        let reader = ChartReader(threads: 2)
        defer { reader.shutdown() }
        let truthFiles = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Samples").path)
            .filter { $0.hasSuffix(".expected.json") }.sorted()
        #expect(truthFiles.count >= 6)
        var errors: [String: (Int, Int)] = [:]
        var recall = (found: 0, total: 0)
        for name in truthFiles {
            let truth = try JSONDecoder().decode(Truth.self, from: Data(contentsOf: root.appendingPathComponent("Samples/\(name)")))
            var pages: [Int: PageReading] = [:]
            try reader.read(.file(root.appendingPathComponent("Samples/\(truth.file)"))) { outcome in
                if case .read(let page) = outcome { pages[page.number] = page }
            }
            for expected in truth.pages {
                let page = try #require(pages[expected.number], "\(truth.file) page \(expected.number) was not read")
                var kind = expected.kind
                if kind == "grey" && (expected.rotation ?? 0) != 0 {
                    kind = "turned"
                    #expect(page.rotation == expected.rotation, "\(truth.file) page \(expected.number)")
                }
                if kind == "textLayer" {
                    #expect(page.source == .textLayer, "\(truth.file) should skip OCR")
                    let words = Set(page.words.map(\.text))
                    for word in expected.text.split(whereSeparator: \.isWhitespace) {
                        recall.total += 1
                        if words.contains(String(word)) { recall.found += 1 }
                    }
                } else {
                    #expect(page.source == .ocr)
                }
                if kind == "blank" {
                    #expect(page.isBlank)
                    #expect(page.blankReason?.contains("character-sized mark") == true, "why it is blank: \(page.blankReason ?? "nil")")
                }
                let reference = normalise(expected.text)
                let distance = levenshtein(normalise(page.text), reference)
                let sum = errors[kind, default: (0, 0)]
                errors[kind] = (sum.0 + distance, sum.1 + reference.count)
            }
        }
        func cer(_ kind: String) -> Double {
            guard let (e, n) = errors[kind], n > 0 else { return 1 }
            return Double(e) / Double(n)
        }
        for kind in errors.keys.sorted() {
            let (e, n) = errors[kind]!
            print(n == 0 ? "CER \(kind): \(e) characters read from blank pages"
                  : "CER \(kind): \(String(format: "%.2f", cer(kind) * 100)) % (\(e)/\(n))")
        }
        print("born-digital word recall: \(recall.found)/\(recall.total)")
        #expect(cer("grey") <= 0.02)
        #expect(cer("fax") <= 0.08)
        #expect(cer("turned") <= 2 * max(cer("grey"), 0.005))
        #expect(cer("textLayer") == 0)
        #expect(errors["blank"]?.0 == 0)
        #expect(recall.total > 300 && recall.found == recall.total)
    }
}
