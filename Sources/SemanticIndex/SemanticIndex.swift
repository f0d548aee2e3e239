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
    public let store: any ChunkStore
    public let embedder: SentenceEmbedder
    public var model: String { SentenceEmbedder.modelName }

    public init(store: any ChunkStore, embedder: SentenceEmbedder) {
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
            let batch = try store.pagesToIndex(model: model, limit: 64)
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

    /// Pages of different documents whose text means the same (the same page faxed twice).
    public static func nearDuplicatePages(in store: any ChunkStore, of documentId: Int64, threshold: Float = NearDuplicates.threshold) throws
        -> [NearDuplicates.Match] {
        try NearDuplicates(store: store).matches(of: documentId, threshold: threshold)
    }
}

/// Every indexed page as one vector (its lines' mean, unit length), to find the same page in
/// two documents. Built once from the store; pages of fewer than three lines are left out (a
/// cover sheet's two lines read alike everywhere).
public struct NearDuplicates: Sendable {
    public struct Match: Sendable, Codable {
        public var page: Int
        public var otherDocument: Int64
        public var otherFile: String
        public var otherPage: Int
        public var cosine: Float
    }

    /// The cosine at or above which two pages count as the same page: well above what two
    /// different charts of one clinic and form reach (docs/ask.md).
    public static let threshold: Float = 0.985

    struct Page: Sendable { var document: Int64, file: String, number: Int, vector: [Float] }
    let pages: [Page]

    public init(store: any ChunkStore) throws {
        var sums: [String: (doc: Int64, file: String, page: Int, sum: [Float], lines: Int)] = [:]
        var order: [String] = []
        for c in try store.chunks(model: SentenceEmbedder.modelName, documentIds: nil) {
            let key = "\(c.documentId)/\(c.page)"
            if sums[key] == nil { order.append(key) }
            var entry = sums[key] ?? (c.documentId, c.fileName, c.page, [Float](repeating: 0, count: c.vector.count), 0)
            for i in 0..<min(entry.sum.count, c.vector.count) { entry.sum[i] += c.vector[i] }
            entry.lines += 1
            sums[key] = entry
        }
        pages = order.compactMap { key in
            let e = sums[key]!
            guard e.lines >= 3 else { return nil }
            let norm = e.sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return Page(document: e.doc, file: e.file, number: e.page, vector: norm > 0 ? e.sum.map { $0 / norm } : e.sum)
        }
    }

    /// The pages of other documents that read like a page of `documentId`, by page, closest first.
    public func matches(of documentId: Int64, threshold: Float = NearDuplicates.threshold) -> [Match] {
        let mine = pages.filter { $0.document == documentId }
        let others = pages.filter { $0.document != documentId }
        guard !mine.isEmpty, !others.isEmpty else { return [] }
        let vectors = others.map(\.vector)
        var found: [Match] = []
        for page in mine {
            for (other, score) in zip(others, SentenceEmbedder.cosines(page.vector, vectors)) where score >= threshold {
                found.append(Match(page: page.number, otherDocument: other.document, otherFile: other.file, otherPage: other.number,
                                   cosine: score))
            }
        }
        return found.sorted { ($0.page, -$0.cosine) < ($1.page, -$1.cosine) }
    }
}
