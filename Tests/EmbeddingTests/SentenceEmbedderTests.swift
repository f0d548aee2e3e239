import Embedding
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Reference tokens and vectors made once with sentence-transformers (scripts/embedding/make_reference.py).
struct Reference: Decodable {
    var sentences: [String]
    var tokens: [[Int32]]
    var vectors: [[Float]]
}

@Suite struct SentenceEmbedderTests {
    let reference: Reference = try! JSONDecoder().decode(
        Reference.self, from: Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/embedding-reference.json")))

    // The model is installed by the test command (scripts/setup-embedder.sh); without it the
    // test fails, naming what to run.
    static func embedder() throws -> SentenceEmbedder { try SentenceEmbedder() }

    @Test func tokensMatchTheReferenceTokenizer() throws {
        let embedder = try Self.embedder()
        for (sentence, expected) in zip(reference.sentences, reference.tokens) {
            #expect(embedder.tokens(sentence) == expected, "\(sentence)")
        }
    }

    @Test func vectorsMatchSentenceTransformers() throws {
        let embedder = try Self.embedder()
        // One batch, and each sentence alone: batching must not change a vector.
        let batch = embedder.embed(reference.sentences)
        for (i, sentence) in reference.sentences.enumerated() {
            let alone = embedder.embed([sentence])[0]
            let cosine = SentenceEmbedder.cosine(batch[i], reference.vectors[i])
            #expect(cosine >= 0.999, "cosine \(cosine) for \(sentence.prefix(40))")
            #expect(SentenceEmbedder.cosine(alone, batch[i]) >= 0.99999)
            #expect(abs(batch[i].reduce(0) { $0 + $1 * $1 } - 1) < 1e-4)
        }
    }

    @Test func relatedPhrasesAreCloserThanUnrelatedOnes() throws {
        let v = try Self.embedder().embed(["kidney function", "Creatinine 1.42 mg/dL, eGFR 48", "Tdap given, left deltoid"])
        #expect(SentenceEmbedder.cosine(v[0], v[1]) > SentenceEmbedder.cosine(v[0], v[2]))
    }

    @Test func aMissingModelIsAClearError() {
        let nowhere = URL(fileURLWithPath: "/nonexistent/all-MiniLM-L6-v2")
        #expect(throws: EmbeddingError.modelNotInstalled(nowhere.path)) { try SentenceEmbedder(directory: nowhere) }
    }
}
