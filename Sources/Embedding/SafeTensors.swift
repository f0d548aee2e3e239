import Foundation

/// The tensors of a `.safetensors` file: an 8-byte little-endian header length, a JSON header
/// naming each tensor's dtype, shape and byte range, then the data. Only F32 tensors are read.
struct SafeTensors {
    struct Tensor {
        var shape: [Int]
        var values: [Float]
    }

    let tensors: [String: Tensor]

    init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url, options: .mappedIfSafe)
        guard data.count >= 8 else { throw EmbeddingError.badModel(url.path, "shorter than its header") }
        let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        guard headerLength > 0, 8 + headerLength <= data.count,
              let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + headerLength))) as? [String: Any]
        else { throw EmbeddingError.badModel(url.path, "unreadable header") }
        let base = 8 + headerLength
        var tensors: [String: Tensor] = [:]
        for (name, entry) in header where name != "__metadata__" {
            guard let entry = entry as? [String: Any], let dtype = entry["dtype"] as? String,
                  let shape = entry["shape"] as? [Int], let offsets = entry["data_offsets"] as? [Int], offsets.count == 2
            else { throw EmbeddingError.badModel(url.path, "tensor \(name) has no dtype, shape or offsets") }
            guard dtype == "F32" else { continue }
            let count = shape.reduce(1, *)
            guard offsets[1] - offsets[0] == count * 4, base + offsets[1] <= data.count else {
                throw EmbeddingError.badModel(url.path, "tensor \(name)'s bytes do not match its shape")
            }
            var values = [Float](repeating: 0, count: count)
            _ = values.withUnsafeMutableBytes { target in
                data.copyBytes(to: target, from: (base + offsets[0])..<(base + offsets[1]))
            }
            tensors[name] = Tensor(shape: shape, values: values)
        }
        self.tensors = tensors
    }

    func values(_ name: String, shape: [Int]) throws -> [Float] {
        guard let t = tensors[name] else { throw EmbeddingError.badModel("model.safetensors", "no tensor \(name)") }
        guard t.shape == shape else {
            throw EmbeddingError.badModel("model.safetensors", "tensor \(name) is \(t.shape), not \(shape)")
        }
        return t.values
    }
}

public enum EmbeddingError: Error, CustomStringConvertible, Equatable {
    case modelNotInstalled(String)
    case badModel(String, String)

    public var description: String {
        switch self {
        case .modelNotInstalled(let dir):
            return "the sentence-embedding model is not installed in \(dir) (run scripts/setup-embedder.sh)"
        case .badModel(let file, let why): return "the sentence-embedding model file \(file) is not usable: \(why)"
        }
    }
}
