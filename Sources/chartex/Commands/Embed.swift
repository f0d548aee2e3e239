import ArgumentParser
import Embedding
import Foundation

extension Chartex {
    /// `chartex embed`: sentence vectors from the in-process embedding model.
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Embed sentences with the semantic index's model (all-MiniLM-L6-v2): one JSON line per sentence.",
            discussion: """
                Reads one sentence per line from FILE (or stdin) and prints {"text", "vector"} per line: 384 \
                numbers, unit length, as sentence-transformers computes them. The model is installed by \
                scripts/setup-embedder.sh. With --quiet only the timing is printed (for scripts/bench_embed.py).
                """)

        @Argument(help: "A file of sentences, one per line (default: stdin).") var file: String?
        @Option(help: "Sentences per forward pass.") var batch = 32
        @Option(help: "Tokens per sentence at most, [CLS] and [SEP] included (the model's limit: 256).") var maxTokens = 256
        @Flag(help: "Print only the timing (sentences per second) on stderr.") var quiet = false

        func run() throws {
            try Chartex.run {
                let text: String
                if let file {
                    guard let data = FileManager.default.contents(atPath: file) else {
                        throw CommandFailure(message: "cannot read \(file)", exitCode: ExitStatus.inputFailed)
                    }
                    text = String(decoding: data, as: UTF8.self)
                } else {
                    text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
                }
                let sentences = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    .dropLast(text.hasSuffix("\n") ? 1 : 0)
                let loaded = Date()
                let embedder: SentenceEmbedder
                do {
                    embedder = try SentenceEmbedder(maxTokens: maxTokens)
                } catch let error as EmbeddingError {
                    throw CommandFailure(message: "\(error)", exitCode: ExitCode(69))
                }
                let started = Date()
                let out = FileHandle.standardOutput
                for start in stride(from: 0, to: sentences.count, by: max(1, batch)) {
                    let part = Array(sentences[start..<min(start + max(1, batch), sentences.count)])
                    let vectors = embedder.embed(part)
                    guard !quiet else { continue }
                    for (sentence, vector) in zip(part, vectors) {
                        let line = try JSONSerialization.data(withJSONObject: ["text": sentence, "vector": vector.map { Double($0) }])
                        out.write(line + Data("\n".utf8))
                    }
                }
                let seconds = Date().timeIntervalSince(started)
                FileHandle.standardError.write(Data(String(format: "chartex: embedded %d sentences in %.2f s (%.1f per second; model loaded in %.2f s)\n",
                                                           sentences.count, seconds, Double(sentences.count) / max(seconds, 1e-9),
                                                           started.timeIntervalSince(loaded)).utf8))
            }
        }
    }
}
