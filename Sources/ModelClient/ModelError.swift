import Foundation

/// Why a model request did not give usable JSON. Messages name the endpoint and the HTTP status,
/// never the page text or the model's reply (they may hold patient data).
public enum ModelError: Error, Sendable, Equatable {
    case configuration(String)
    /// No connection (refused, DNS, connect timeout).
    case unreachable(String)
    /// The server answered with an error status.
    case http(status: Int, message: String, retryAfter: Double?)
    /// The request took longer than the request timeout.
    case timeout(seconds: Double)
    /// The reply body was larger than `maxResponseBytes`.
    case responseTooLarge(limit: Int)
    /// The reply was not the API's envelope (no choices, no message).
    case malformedReply(String)
    /// The model's content held no parsable JSON.
    case invalidJSON(String)
    /// The JSON did not satisfy the schema, even after one repair request.
    case schemaViolations([String])
    /// An image was sent to a server whose model cannot see.
    case visionUnsupported(String)
    /// No model is configured.
    case notConfigured

    /// Worth another attempt: rate limits, server errors, timeouts, lost connections.
    public var isRetryable: Bool {
        switch self {
        case .unreachable, .timeout: true
        case .http(let status, _, _): status == 429 || status == 408 || status >= 500
        default: false
        }
    }

    /// Seconds the server asked us to wait (Retry-After).
    public var retryAfter: Double? {
        if case .http(_, _, let seconds) = self { return seconds }
        return nil
    }
}

extension ModelError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .configuration(let m): "model configuration: \(m)"
        case .unreachable(let m): "model server unreachable: \(m)"
        case .http(let status, let m, _): "model server answered HTTP \(status)\(m.isEmpty ? "" : ": \(m)")"
        case .timeout(let s): "model request timed out after \(Self.seconds(s))"
        case .responseTooLarge(let limit): "model reply larger than \(limit) bytes (maxResponseBytes)"
        case .malformedReply(let m): "model reply is not a chat completion: \(m)"
        case .invalidJSON(let m): "model output is not JSON: \(m)"
        case .schemaViolations(let v): "model output does not match the schema: \(v.prefix(5).joined(separator: "; "))"
            + (v.count > 5 ? " (+\(v.count - 5) more)" : "")
        case .visionUnsupported(let m): "the model cannot take images: \(m)"
        case .notConfigured: "no model is configured (set CHARTEX_MODEL_URL, --model-url, or a config file; see docs/model.md)"
        }
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s)) s" : String(format: "%.1f s", s)
    }
}
