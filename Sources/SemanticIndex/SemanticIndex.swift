import Embedding
import Extraction
import Foundation
import Storage

/// A line of a page found by meaning.
public struct SemanticHit: Sendable, Codable {
    public var documentId: Int64
    public var fileName: String
    public var page: Int
    public var text: String
    public var cosine: Float
}

/// The semantic index over the store: every page's lines embedded in process, stored in SQLite
/// beside the page (table `chunk`), and searched by cosine.
public struct SemanticIndex: Sendable {
    public let store: AppDatabase
    public let embedder: SentenceEmbedder
    public var model: String { SentenceEmbedder.modelName }

    public init(store: AppDatabase, embedder: SentenceEmbedder) {
        self.store = store
        self.embedder = embedder
    }

    /// The lines of a page worth indexing: at least three letters, white space collapsed.
    public static func lines(of text: String) -> [String] {
        text.split(whereSeparator: \.isNewline)
            .map { $0.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
            .filter { line in line.unicodeScalars.filter { CharacterSet.letters.contains($0) }.count >= 3 }
    }

    /// The text embedded for a line: the line, then the terminology names of the tests it
    /// prints ("eGFR 58 mL/min" + "Glomerular filtration rate predicted"), so that a question in
    /// words finds a line in abbreviations. The stored text stays the line as printed.
    public static func expanded(_ line: String) -> String {
        let original = line.split { !$0.isLetter && !$0.isNumber }.map(String.init)
        let words = original.map { $0.lowercased() }
        var names: [String] = []
        var i = 0
        while i < words.count {
            var advanced = 1
            for n in stride(from: min(4, words.count - i), through: 1, by: -1) {
                let phrase = words[i..<(i + n)].joined(separator: " ")
                guard let lab = Vocabulary.labs[phrase] else { continue }
                // One- and two-letter names (K, Na) only as a result prints them: with a capital,
                // and a value next ("K 4.6"; "K. Patel" is a name).
                if n == 1, phrase.count <= 2,
                   !original[i].contains(where: \.isUppercase) || i + 1 >= words.count || Double(words[i + 1]) == nil { continue }
                if !names.contains(lab.component) && lab.component.lowercased() != phrase { names.append(lab.component) }
                advanced = n
                break
            }
            i += advanced
        }
        return names.isEmpty ? line : line + " (" + names.joined(separator: "; ") + ")"
    }

    /// Embeds every completed page not indexed yet, one page per transaction (safe to stop and
    /// resume). Returns the pages and lines embedded and the seconds it took.
    @discardableResult
    public func indexMissing(shouldStop: () -> Bool = { false }) throws -> (pages: Int, lines: Int, seconds: Double) {
        let started = Date()
        var pages = 0, lines = 0
        while !shouldStop() {
            let batch = try store.pagesToIndex(model: model)
            if batch.isEmpty { break }
            for page in batch {
                if shouldStop() { break }
                let text = Self.lines(of: page.text)
                let vectors = embedder.embed(text.map(Self.expanded))
                try store.saveChunks(pageId: page.pageId, model: model, lines: Array(zip(text, vectors)).map { ($0, $1) })
                pages += 1
                lines += text.count
            }
        }
        return (pages, lines, Date().timeIntervalSince(started))
    }

    /// The lines closest in meaning to `query`, best first.
    public func search(_ query: String, documentIds: [Int64]? = nil, limit: Int = 10, minimumCosine: Float = 0) throws -> [SemanticHit] {
        let chunks = try store.chunks(model: model, documentIds: documentIds)
        guard !chunks.isEmpty else { return [] }
        let q = embedder.embed([query])[0]
        let scores = SentenceEmbedder.cosines(q, chunks.map(\.vector))
        return zip(chunks, scores).filter { $0.1 >= minimumCosine }.sorted { $0.1 > $1.1 }.prefix(limit).map { c, s in
            SemanticHit(documentId: c.documentId, fileName: c.fileName, page: c.page, text: c.text, cosine: s)
        }
    }

    /// Pages of different documents whose text means the same (the same page faxed twice): the
    /// cosine of the pages' mean line vectors at or above `threshold`.
    public static func nearDuplicatePages(in store: AppDatabase, of documentId: Int64, threshold: Float = 0.985) throws
        -> [(page: Int, otherDocument: Int64, otherFile: String, otherPage: Int, cosine: Float)] {
        let chunks = try store.chunks(model: SentenceEmbedder.modelName)
        var pages: [String: (doc: Int64, file: String, page: Int, sum: [Float], lines: Int)] = [:]
        for c in chunks {
            let key = "\(c.documentId)/\(c.page)"
            var entry = pages[key] ?? (c.documentId, c.fileName, c.page, [Float](repeating: 0, count: c.vector.count), 0)
            for i in 0..<min(entry.sum.count, c.vector.count) { entry.sum[i] += c.vector[i] }
            entry.lines += 1
            pages[key] = entry
        }
        func unit(_ v: [Float]) -> [Float] {
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return n > 0 ? v.map { $0 / n } : v
        }
        let mine = pages.values.filter { $0.doc == documentId && $0.lines >= 3 }.sorted { $0.page < $1.page }
        let others = pages.values.filter { $0.doc != documentId && $0.lines >= 3 }
        guard !mine.isEmpty, !others.isEmpty else { return [] }
        let otherVectors = others.map { unit($0.sum) }
        var found: [(page: Int, otherDocument: Int64, otherFile: String, otherPage: Int, cosine: Float)] = []
        for page in mine {
            let scores = SentenceEmbedder.cosines(unit(page.sum), otherVectors)
            for (other, score) in zip(others, scores) where score >= threshold {
                found.append((page.page, other.doc, other.file, other.page, score))
            }
        }
        return found.sorted { ($0.page, -$0.cosine) < ($1.page, -$1.cosine) }
    }
}
