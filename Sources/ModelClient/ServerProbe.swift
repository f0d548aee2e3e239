import Foundation
import Validation

/// What a server can do, as `chartex model check` reports it.
public struct ServerCapabilities: Sendable, Codable {
    public var endpoint: String
    public var reachable = false
    public var error: String?
    /// Models the server lists (`/v1/models`, or Ollama's `/api/tags`).
    public var models: [String] = []
    /// llama-server's `/props`: whether a vision projector is loaded (nil: not reported).
    public var vision: Bool?
    public var contextSize: Int?
    /// Whether a tiny constrained request in the configured dialect came back valid.
    public var dialect: String
    public var dialectWorks: Bool?
    public var dialectError: String?
    public var seconds: Double?
}

struct ServerProperties: Sendable {
    var vision: Bool?
    var contextSize: Int?
}

extension ModelClient {
    /// llama-server's `/props` (nil when the server has none).
    func serverProperties() async -> ServerProperties? {
        guard configuration.dialect != .ollama, let data = try? await get("/props"),
              let props = try? JSONValue(parsing: data) else { return nil }
        return ServerProperties(vision: props["modalities"]?["vision"]?.boolValue,
                                contextSize: props["default_generation_settings"]?["n_ctx"]?.intValue ?? props["n_ctx"]?.intValue)
    }

    /// Reachability, models, vision and whether the dialect yields valid constrained JSON.
    public func probe(tryDialect: Bool = true) async -> ServerCapabilities {
        var report = ServerCapabilities(endpoint: endpoint, dialect: configuration.dialect.rawValue)
        do {
            let data = try await get(configuration.dialect == .ollama ? "/api/tags" : "/v1/models")
            report.reachable = true
            let listing = try? JSONValue(parsing: data)
            let entries = listing?["data"]?.arrayValue ?? listing?["models"]?.arrayValue ?? []
            report.models = entries.compactMap { $0["id"]?.stringValue ?? $0["name"]?.stringValue }
        } catch {
            report.error = "\(error)"
            return report
        }
        if let props = await serverProperties() {
            report.vision = props.vision
            report.contextSize = props.contextSize
        }
        guard tryDialect else { return report }
        let schema: JSONValue = ["type": "object", "properties": ["ok": ["type": "boolean"], "word": ["type": "string"]],
                                 "required": ["ok", "word"], "additionalProperties": false]
        let started = Date()
        do {
            _ = try await fill(ModelPrompt(text: "Reply with a JSON object: ok is true and word is \"chart\"."),
                               schema: schema, name: "check", maxTokens: 48)
            report.dialectWorks = true
        } catch {
            report.dialectWorks = false
            report.dialectError = "\(error)"
        }
        report.seconds = (Date().timeIntervalSince(started) * 100).rounded() / 100
        return report
    }
}
