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

    /// Threads a batch is split across (default: the active processors, or `CHARTEX_EMBED_THREADS`).
    public let threads: Int

    public init(directory: URL = defaultDirectory, maxTokens: Int = 256, threads: Int? = nil) throws {
        guard Self.isInstalled(at: directory) else { throw EmbeddingError.modelNotInstalled(directory.path) }
        let configured = ProcessInfo.processInfo.environment["CHARTEX_EMBED_THREADS"].flatMap(Int.init)
        self.threads = max(1, threads ?? configured ?? ProcessInfo.processInfo.activeProcessorCount)
        openblas_set_num_threads(1)
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

    /// Unit-length vectors of `texts`, in order. A batch is split across `threads` threads
    /// (each a share of the sentences, with single-threaded BLAS): data parallelism has no
    /// per-product thread hand-off, which on sentences of a few dozen tokens costs more than it saves.
    public func embed(_ texts: [String]) -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let sequences = texts.map(tokens)
        let parts = min(threads, sequences.count)
        guard parts > 1 else { return forward(sequences) }
        // Contiguous shares of about equal token counts.
        let total = sequences.reduce(0) { $0 + $1.count }
        var bounds = [0]
        var running = 0
        for (i, s) in sequences.enumerated() {
            running += s.count
            if bounds.count < parts, running >= total * bounds.count / parts, i + 1 < sequences.count { bounds.append(i + 1) }
        }
        bounds.append(sequences.count)
        let shares = (0..<(bounds.count - 1)).map { Array(sequences[bounds[$0]..<bounds[$0 + 1]]) }
        let results = Results(count: shares.count)
        DispatchQueue.concurrentPerform(iterations: shares.count) { i in results.set(i, forward(shares[i])) }
        return results.all.flatMap { $0 }
    }

    /// Per-share results written from several threads.
    final class Results: @unchecked Sendable {
        private var values: [[[Float]]]
        private let lock = NSLock()
        init(count: Int) { values = Array(repeating: [], count: count) }
        func set(_ i: Int, _ v: [[Float]]) { lock.lock(); values[i] = v; lock.unlock() }
        var all: [[[Float]]] { lock.lock(); defer { lock.unlock() }; return values }
    }

    func forward(_ sequences: [[Int32]]) -> [[Float]] {
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
        var scores = [Float](repeating: 0, count: longest)
        let scale = 1 / Float(d / Self.heads).squareRoot()
        for block in blocks {
            Self.apply(block.query, x, &q, rows: total)
            Self.apply(block.key, x, &k, rows: total)
            Self.apply(block.value, x, &v, rows: total)
            // Attention per sentence and head, in plain loops: the matrices are a few dozen rows,
            // too small for BLAS's threads to pay off.
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                context.withUnsafeMutableBufferPointer { cp in scores.withUnsafeMutableBufferPointer { sp in
                    for (n, sequence) in sequences.enumerated() {
                        Self.attend(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, out: cp.baseAddress!,
                                    scores: sp.baseAddress!, first: starts[n], length: sequence.count, width: d,
                                    heads: Self.heads, scale: scale)
                    }
                } }
            } } }
            Self.apply(block.attentionOutput, context, &attended, rows: total)
            Self.add(x, into: &attended)
            Self.layerNorm(&attended, rows: total, block.attentionNorm)
            Self.apply(block.up, attended, &up, rows: total)
            up.withUnsafeMutableBufferPointer { u in
                for i in 0..<u.count { let x = u[i]; u[i] = 0.5 * x * (1 + Self.erf(x * 0.70710678118654752)) }
            }
            Self.apply(block.down, up, &x, rows: total)
            Self.add(attended, into: &x)
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
        output.withUnsafeMutableBufferPointer { o in layer.bias.withUnsafeBufferPointer { b in
            for r in 0..<rows { (o.baseAddress! + r * layer.output).update(from: b.baseAddress!, count: layer.output) }
        } }
        input.withUnsafeBufferPointer { ip in layer.weight.withUnsafeBufferPointer { wp in output.withUnsafeMutableBufferPointer { op in
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(layer.output), Int32(layer.input), 1,
                        ip.baseAddress!, Int32(layer.input), wp.baseAddress!, Int32(layer.input), 1, op.baseAddress!, Int32(layer.output))
        } } }
    }

    /// Scaled dot-product attention of one sentence (rows `first`..<`first+length` of the
    /// [tokens × width] matrices), every head, into `out`.
    static func attend(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
                       scores: UnsafeMutablePointer<Float>, first: Int, length: Int, width: Int, heads: Int, scale: Float) {
        let headWidth = width / heads
        for h in 0..<heads {
            let column = h * headWidth
            for i in 0..<length {
                let qi = q + (first + i) * width + column
                var peak = -Float.infinity
                for j in 0..<length {
                    let kj = k + (first + j) * width + column
                    var dot: Float = 0
                    for c in 0..<headWidth { dot += qi[c] * kj[c] }
                    dot *= scale
                    scores[j] = dot
                    peak = max(peak, dot)
                }
                var sum: Float = 0
                for j in 0..<length { let e = expf(scores[j] - peak); scores[j] = e; sum += e }
                let o = out + (first + i) * width + column
                for c in 0..<headWidth { o[c] = 0 }
                let inverse = 1 / sum
                for j in 0..<length {
                    let w = scores[j] * inverse
                    let vj = v + (first + j) * width + column
                    for c in 0..<headWidth { o[c] += w * vj[c] }
                }
            }
        }
    }

    /// The error function to within 1.5e-7 (Abramowitz and Stegun 7.1.26), for GELU's exact
    /// (erf) form at a third of libm's cost.
    @inline(__always) static func erf(_ x: Float) -> Float {
        let a = abs(x)
        let t = 1 / (1 + 0.3275911 * a)
        let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
        let y = 1 - poly * expf(-a * a)
        return x < 0 ? -y : y
    }

    static func add(_ a: [Float], into b: inout [Float]) {
        a.withUnsafeBufferPointer { ap in b.withUnsafeMutableBufferPointer { bp in
            for i in 0..<min(ap.count, bp.count) { bp[i] += ap[i] }
        } }
    }

    static func layerNorm(_ x: inout [Float], rows: Int, _ norm: (weight: [Float], bias: [Float]), epsilon: Float = 1e-12) {
        let d = norm.weight.count
        x.withUnsafeMutableBufferPointer { xp in norm.weight.withUnsafeBufferPointer { w in norm.bias.withUnsafeBufferPointer { b in
            for r in 0..<rows {
                let row = xp.baseAddress! + r * d
                var mean: Float = 0
                for j in 0..<d { mean += row[j] }
                mean /= Float(d)
                var variance: Float = 0
                for j in 0..<d { let c = row[j] - mean; variance += c * c }
                variance /= Float(d)
                let inverse = 1 / (variance + epsilon).squareRoot()
                for j in 0..<d { row[j] = (row[j] - mean) * inverse * w[j] + b[j] }
            }
        } } }
    }

    /// The cosine of two unit vectors.
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0
        for i in 0..<min(a.count, b.count) { dot += a[i] * b[i] }
        return dot
    }
}

extension SentenceEmbedder {
    /// The cosines of a unit query vector with many unit vectors (one `cblas_sgemv`).
    public static func cosines(_ query: [Float], _ vectors: [[Float]]) -> [Float] {
        let d = query.count
        let usable = vectors.map { $0.count == d ? $0 : [Float](repeating: 0, count: d) }
        let matrix = usable.flatMap { $0 }
        var out = [Float](repeating: 0, count: usable.count)
        guard !usable.isEmpty else { return out }
        matrix.withUnsafeBufferPointer { m in query.withUnsafeBufferPointer { q in out.withUnsafeMutableBufferPointer { o in
            cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(usable.count), Int32(d), 1, m.baseAddress!, Int32(d),
                        q.baseAddress!, 1, 0, o.baseAddress!, 1)
        } } }
        return out
    }
}
