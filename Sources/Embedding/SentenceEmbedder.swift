import COpenBLAS
import Foundation

/// all-MiniLM-L6-v2 in process: WordPiece tokens through a six-layer BERT encoder (384 wide,
/// 12 heads) on OpenBLAS's `cblas_sgemm`, mean-pooled over the tokens and scaled to unit length,
/// as sentence-transformers computes it. Sentences of one batch share every dense layer's matrix
/// product; attention runs per sentence, so nothing is padded.
public final class SentenceEmbedder: Sendable {
    public static let dimension = 384
    /// The model's name, stored beside every vector so that vectors of another model are never compared.
    public static let modelName = "all-MiniLM-L6-v2"
    static let layers = 6, heads = 12, intermediate = 1536, vocabulary = 30522, positions = 512

    /// Tokens per sentence, [CLS] and [SEP] included (the model's own limit is 256).
    public let maxTokens: Int
    let tokenizer: WordPiece
    let wordEmbeddings: [Float], positionEmbeddings: [Float], typeEmbeddings: [Float]
    let embeddingNorm: (weight: [Float], bias: [Float])
    let blocks: [Block]

    struct Block: Sendable {
        var query: Dense, key: Dense, value: Dense, attentionOutput: Dense
        var attentionNorm: (weight: [Float], bias: [Float])
        var up: Dense, down: Dense
        var outputNorm: (weight: [Float], bias: [Float])
    }

    /// A linear layer: `weight` is [output × input], as PyTorch stores it.
    struct Dense: Sendable {
        var weight: [Float], bias: [Float], input: Int, output: Int
    }

    /// The default install directory: `$CHARTEX_CACHE/models/all-MiniLM-L6-v2` (scripts/setup-embedder.sh).
    public static var defaultDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let cache = env["CHARTEX_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".cache/chartex")
        return cache.appendingPathComponent("models/all-MiniLM-L6-v2")
    }

    public static func isInstalled(at directory: URL = defaultDirectory) -> Bool {
        FileManager.default.fileExists(atPath: directory.appendingPathComponent("model.safetensors").path)
            && FileManager.default.fileExists(atPath: directory.appendingPathComponent("vocab.txt").path)
    }

    public init(directory: URL = defaultDirectory, maxTokens: Int = 256) throws {
        guard Self.isInstalled(at: directory) else { throw EmbeddingError.modelNotInstalled(directory.path) }
        self.maxTokens = min(max(maxTokens, 8), Self.positions)
        tokenizer = try WordPiece(vocabulary: directory.appendingPathComponent("vocab.txt"))
        let t = try SafeTensors(contentsOf: directory.appendingPathComponent("model.safetensors"))
        let d = Self.dimension
        wordEmbeddings = try t.values("embeddings.word_embeddings.weight", shape: [Self.vocabulary, d])
        positionEmbeddings = try t.values("embeddings.position_embeddings.weight", shape: [Self.positions, d])
        typeEmbeddings = try t.values("embeddings.token_type_embeddings.weight", shape: [2, d])
        embeddingNorm = (try t.values("embeddings.LayerNorm.weight", shape: [d]), try t.values("embeddings.LayerNorm.bias", shape: [d]))
        func dense(_ name: String, _ input: Int, _ output: Int) throws -> Dense {
            Dense(weight: try t.values("\(name).weight", shape: [output, input]), bias: try t.values("\(name).bias", shape: [output]),
                  input: input, output: output)
        }
        func norm(_ name: String) throws -> (weight: [Float], bias: [Float]) {
            (try t.values("\(name).weight", shape: [d]), try t.values("\(name).bias", shape: [d]))
        }
        blocks = try (0..<Self.layers).map { i in
            let p = "encoder.layer.\(i)"
            return Block(query: try dense("\(p).attention.self.query", d, d), key: try dense("\(p).attention.self.key", d, d),
                         value: try dense("\(p).attention.self.value", d, d),
                         attentionOutput: try dense("\(p).attention.output.dense", d, d),
                         attentionNorm: try norm("\(p).attention.output.LayerNorm"),
                         up: try dense("\(p).intermediate.dense", d, Self.intermediate),
                         down: try dense("\(p).output.dense", Self.intermediate, d),
                         outputNorm: try norm("\(p).output.LayerNorm"))
        }
    }

    /// The tokens of a sentence, as the model reads it.
    public func tokens(_ text: String) -> [Int32] { tokenizer.encode(text, maxTokens: maxTokens) }

    /// Unit-length vectors of `texts`, in order.
    public func embed(_ texts: [String]) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let sequences = texts.map(tokens)
        let d = Self.dimension
        let total = sequences.reduce(0) { $0 + $1.count }
        var starts: [Int] = []
        var offset = 0
        for s in sequences { starts.append(offset); offset += s.count }

        // Embeddings: word + position + token type 0, then LayerNorm.
        var x = [Float](repeating: 0, count: total * d)
        for (n, sequence) in sequences.enumerated() {
            for (position, id) in sequence.enumerated() {
                let row = (starts[n] + position) * d
                let w = Int(id) * d, p = position * d
                for k in 0..<d { x[row + k] = wordEmbeddings[w + k] + positionEmbeddings[p + k] + typeEmbeddings[k] }
            }
        }
        Self.layerNorm(&x, rows: total, embeddingNorm)

        var q = [Float](repeating: 0, count: total * d), k = q, v = q, context = q, attended = q
        var up = [Float](repeating: 0, count: total * Self.intermediate)
        let longest = sequences.map(\.count).max() ?? 1
        var scores = [Float](repeating: 0, count: longest * longest)
        let headWidth = d / Self.heads
        let scale = 1 / Float(headWidth).squareRoot()
        for block in blocks {
            Self.apply(block.query, x, &q, rows: total)
            Self.apply(block.key, x, &k, rows: total)
            Self.apply(block.value, x, &v, rows: total)
            for (n, sequence) in sequences.enumerated() {
                let length = Int32(sequence.count), base = starts[n] * d
                for h in 0..<Self.heads {
                    let column = base + h * headWidth
                    q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in scores.withUnsafeMutableBufferPointer { sp in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, length, length, Int32(headWidth), scale,
                                    qp.baseAddress! + column, Int32(d), kp.baseAddress! + column, Int32(d), 0, sp.baseAddress!, length)
                    } } }
                    Self.softmaxRows(&scores, rows: sequence.count, columns: sequence.count)
                    scores.withUnsafeBufferPointer { sp in v.withUnsafeBufferPointer { vp in context.withUnsafeMutableBufferPointer { cp in
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, length, Int32(headWidth), length, 1,
                                    sp.baseAddress!, length, vp.baseAddress! + column, Int32(d), 0, cp.baseAddress! + column, Int32(d))
                    } } }
                }
            }
            Self.apply(block.attentionOutput, context, &attended, rows: total)
            for i in 0..<(total * d) { attended[i] += x[i] }
            Self.layerNorm(&attended, rows: total, block.attentionNorm)
            Self.apply(block.up, attended, &up, rows: total)
            for i in 0..<up.count { let u = up[i]; up[i] = 0.5 * u * (1 + erff(u * 0.70710678118654752)) }
            Self.apply(block.down, up, &x, rows: total)
            for i in 0..<(total * d) { x[i] += attended[i] }
            Self.layerNorm(&x, rows: total, block.outputNorm)
        }

        // Mean over each sentence's tokens, then unit length.
        return sequences.indices.map { n in
            var mean = [Float](repeating: 0, count: d)
            let count = sequences[n].count
            for t in 0..<count {
                let row = (starts[n] + t) * d
                for j in 0..<d { mean[j] += x[row + j] }
            }
            var norm: Float = 0
            for j in 0..<d { mean[j] /= Float(count); norm += mean[j] * mean[j] }
            let scale = 1 / max(norm.squareRoot(), 1e-12)
            return mean.map { $0 * scale }
        }
    }

    /// out[rows × output] = input[rows × input] · weightᵀ + bias.
    static func apply(_ layer: Dense, _ input: [Float], _ output: inout [Float], rows: Int) {
        for r in 0..<rows {
            for c in 0..<layer.output { output[r * layer.output + c] = layer.bias[c] }
        }
        input.withUnsafeBufferPointer { ip in layer.weight.withUnsafeBufferPointer { wp in output.withUnsafeMutableBufferPointer { op in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(layer.output), Int32(layer.input), 1,
                        ip.baseAddress!, Int32(layer.input), wp.baseAddress!, Int32(layer.input), 1, op.baseAddress!, Int32(layer.output))
        } } }
    }

    static func layerNorm(_ x: inout [Float], rows: Int, _ norm: (weight: [Float], bias: [Float]), epsilon: Float = 1e-12) {
        let d = norm.weight.count
        for r in 0..<rows {
            let base = r * d
            var mean: Float = 0
            for j in 0..<d { mean += x[base + j] }
            mean /= Float(d)
            var variance: Float = 0
            for j in 0..<d { let c = x[base + j] - mean; variance += c * c }
            variance /= Float(d)
            let inverse = 1 / (variance + epsilon).squareRoot()
            for j in 0..<d { x[base + j] = (x[base + j] - mean) * inverse * norm.weight[j] + norm.bias[j] }
        }
    }

    static func softmaxRows(_ s: inout [Float], rows: Int, columns: Int) {
        for r in 0..<rows {
            let base = r * columns
            var peak = -Float.infinity
            for c in 0..<columns { peak = max(peak, s[base + c]) }
            var sum: Float = 0
            for c in 0..<columns { let e = expf(s[base + c] - peak); s[base + c] = e; sum += e }
            for c in 0..<columns { s[base + c] /= sum }
        }
    }

    /// The cosine of two unit vectors.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0
        for i in 0..<min(a.count, b.count) { dot += a[i] * b[i] }
        return dot
    }
}
