import Foundation

/// How constrained output is asked of the server.
public enum OutputDialect: String, Sendable, Codable, CaseIterable {
    /// `response_format: {type: json_schema, json_schema: {name, schema, strict}}` — vLLM,
    /// llama-server, LM Studio.
    case jsonSchema = "json_schema"
    /// `response_format: {type: json_object, schema}` — llama-cpp-python's server.
    case jsonObject = "json_object"
    /// Ollama's native `/api/chat` with `format: <schema>`.
    case ollama
    /// No constraint: the schema is described in the prompt and the reply parsed defensively.
    case none
}

/// Whether page images are sent.
public enum VisionSetting: String, Sendable, Codable, CaseIterable {
    /// Ask the server (`/props`), and fall back to text when an image is refused.
    case auto
    case on
    case off
}

/// A llama-server that chartex starts itself (`chartex model serve`, or automatically when a
/// command needs the model and `endpoint` is not set).
public struct LocalModelConfiguration: Sendable, Codable, Equatable {
    /// The GGUF weights.
    public var gguf: String
    /// The vision projector (MedGemma's mmproj GGUF), if any.
    public var mmproj: String?
    /// The llama-server binary; default: the one scripts/setup-model.sh builds.
    public var server: String?
    /// A chat template file for GGUFs without one (Gemma 3: no system role).
    public var chatTemplateFile: String?
    public var contextSize: Int = 4096
    /// llama-server's threads (`-t`); nil: the core budget decides (`CoreBudget`).
    public var threads: Int?
    /// Parallel slots in the server; the client's `concurrency` should not exceed it.
    public var slots: Int = 1
    /// 0 = pick a free port.
    public var port: Int = 0
    /// How long to wait for the server to load the model.
    public var startupTimeout: Double = 180
    /// More llama-server arguments, passed as they are.
    public var extraArguments: [String] = []

    public init(gguf: String) { self.gguf = gguf }

    enum CodingKeys: String, CodingKey {
        case gguf, mmproj, server, chatTemplateFile, contextSize, threads, slots, port, startupTimeout, extraArguments
    }

    /// Every key but `gguf` may be left out of the config file.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        gguf = try c.decode(String.self, forKey: .gguf)
        mmproj = try c.decodeIfPresent(String.self, forKey: .mmproj)
        server = try c.decodeIfPresent(String.self, forKey: .server)
        chatTemplateFile = try c.decodeIfPresent(String.self, forKey: .chatTemplateFile)
        contextSize = try c.decodeIfPresent(Int.self, forKey: .contextSize) ?? contextSize
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        slots = try c.decodeIfPresent(Int.self, forKey: .slots) ?? slots
        port = try c.decodeIfPresent(Int.self, forKey: .port) ?? port
        startupTimeout = try c.decodeIfPresent(Double.self, forKey: .startupTimeout) ?? startupTimeout
        extraArguments = try c.decodeIfPresent([String].self, forKey: .extraArguments) ?? []
    }
}

/// Everything the model client needs: where the server is, which model, how to ask, limits.
/// Read from a JSON config file and `CHARTEX_MODEL_*` environment variables (see
/// docs/model.md); the API key is never printed.
public struct ModelConfiguration: Sendable, Codable, Equatable {
    /// Base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:8080` (the `/v1/…`
    /// paths are added) — or of Ollama (`http://127.0.0.1:11434`) with dialect `ollama`.
    /// Several servers of the same model: their URLs separated by commas (or `endpoints` in
    /// the config file); requests go to the one with the fewest outstanding.
    public var endpoint: String?
    /// The model name sent in requests (`google/medgemma-1.5-4b-it`, `medgemma1.5`, …).
    public var model: String = "default"

    /// The model as records name it: the configured name, or the local model's file when the
    /// name is left at "default" (llama-server answers whatever it was started with).
    public var modelName: String {
        if model == "default", let gguf = local?.gguf { return (gguf as NSString).lastPathComponent }
        return model
    }
    public var dialect: OutputDialect = .jsonSchema
    public var apiKey: String?
    public var vision: VisionSetting = .auto
    /// Requests in flight at once.
    public var concurrency: Int = 1
    public var connectTimeout: Double = 10
    /// Whole request (including generation).
    public var requestTimeout: Double = 300
    /// Retries after the first attempt, on 429, 5xx, timeouts and refused connections.
    public var retries: Int = 3
    public var backoffSeconds: Double = 1
    public var maxBackoffSeconds: Double = 60
    /// A reply body larger than this is refused (a runaway generation or a hostile server).
    public var maxResponseBytes: Int = 2 << 20
    /// Upper bound of the per-request token budget (the budget itself comes from the schema).
    public var maxTokens: Int = 2048
    /// Longest side, in pixels, of a page image sent to the model (MedGemma resizes to 896).
    public var imagePixels: Int = 1536
    /// Model requests for one page of text; longer pages are cut (and the cut logged).
    public var maxPromptCharacters: Int = 6000
    public var local: LocalModelConfiguration?
    /// Hybrid mode: accept a grounded value only the model read as the item's value
    /// (needs_review) instead of keeping it as a candidate for the reviewer.
    public var hybridAcceptsModelOnly = false
    /// Threads of a local llama-server, from `CHARTEX_MODEL_THREADS` or `--model-threads`
    /// (over the config file's `local.threads`); nil: the core budget decides.
    public var modelThreads: Int?

    public init(endpoint: String? = nil) { self.endpoint = endpoint }

    /// True when there is something to talk to: an endpoint or a local model to start.
    public var isConfigured: Bool { endpoint != nil || local != nil }

    enum CodingKeys: String, CodingKey {
        case endpoint, model, dialect, apiKey, vision, concurrency, connectTimeout, requestTimeout, retries
        case backoffSeconds, maxBackoffSeconds, maxResponseBytes, maxTokens, imagePixels, maxPromptCharacters, local
        case hybridAcceptsModelOnly
    }

    private enum ListKeys: String, CodingKey { case endpoints }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ModelConfiguration()
        endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint)
        // `endpoints`: a list of servers, read into `endpoint` (comma-separated).
        if let list = try decoder.container(keyedBy: ListKeys.self).decodeIfPresent([String].self, forKey: .endpoints),
           !list.isEmpty {
            endpoint = ([endpoint].compactMap { $0 } + list).joined(separator: ",")
        }
        model = try c.decodeIfPresent(String.self, forKey: .model) ?? defaults.model
        dialect = try c.decodeIfPresent(OutputDialect.self, forKey: .dialect) ?? defaults.dialect
        apiKey = try c.decodeIfPresent(String.self, forKey: .apiKey)
        vision = try c.decodeIfPresent(VisionSetting.self, forKey: .vision) ?? defaults.vision
        concurrency = try c.decodeIfPresent(Int.self, forKey: .concurrency) ?? defaults.concurrency
        connectTimeout = try c.decodeIfPresent(Double.self, forKey: .connectTimeout) ?? defaults.connectTimeout
        requestTimeout = try c.decodeIfPresent(Double.self, forKey: .requestTimeout) ?? defaults.requestTimeout
        retries = try c.decodeIfPresent(Int.self, forKey: .retries) ?? defaults.retries
        backoffSeconds = try c.decodeIfPresent(Double.self, forKey: .backoffSeconds) ?? defaults.backoffSeconds
        maxBackoffSeconds = try c.decodeIfPresent(Double.self, forKey: .maxBackoffSeconds) ?? defaults.maxBackoffSeconds
        maxResponseBytes = try c.decodeIfPresent(Int.self, forKey: .maxResponseBytes) ?? defaults.maxResponseBytes
        maxTokens = try c.decodeIfPresent(Int.self, forKey: .maxTokens) ?? defaults.maxTokens
        imagePixels = try c.decodeIfPresent(Int.self, forKey: .imagePixels) ?? defaults.imagePixels
        maxPromptCharacters = try c.decodeIfPresent(Int.self, forKey: .maxPromptCharacters) ?? defaults.maxPromptCharacters
        local = try c.decodeIfPresent(LocalModelConfiguration.self, forKey: .local)
        hybridAcceptsModelOnly = try c.decodeIfPresent(Bool.self, forKey: .hybridAcceptsModelOnly) ?? false
    }

    /// The configuration from (lowest to highest precedence) the file, then the environment.
    /// `file` nil → `$CHARTEX_CONFIG`, else `~/.config/chartex/model.json` when it exists.
    public static func load(file: String? = nil,
                            environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ModelConfiguration {
        var configuration = ModelConfiguration()
        let home = environment["HOME"].map { "\($0)/.config/chartex/model.json" }
        let path = file ?? environment["CHARTEX_CONFIG"] ?? home.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ModelError.configuration("cannot read the config file \(path)")
            }
            do {
                configuration = try JSONDecoder().decode(ModelConfiguration.self, from: data)
            } catch {
                throw ModelError.configuration("\(path): \(Self.describe(error))")
            }
        }
        try configuration.apply(environment: environment)
        try configuration.check()
        return configuration
    }

    /// Overrides from `CHARTEX_MODEL_*` variables.
    public mutating func apply(environment: [String: String]) throws {
        func number(_ name: String) throws -> Double? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard let value = Double(text), value >= 0 else {
                throw ModelError.configuration("\(name)=\(text) is not a number ≥ 0")
            }
            return value
        }
        if let v = environment["CHARTEX_MODEL_URL"], !v.isEmpty { endpoint = v }
        if let v = environment["CHARTEX_MODEL"], !v.isEmpty { model = v }
        if let v = environment["CHARTEX_MODEL_DIALECT"], !v.isEmpty {
            guard let d = OutputDialect(rawValue: v) else {
                throw ModelError.configuration("CHARTEX_MODEL_DIALECT=\(v): expected one of "
                    + OutputDialect.allCases.map(\.rawValue).joined(separator: ", "))
            }
            dialect = d
        }
        if let v = environment["CHARTEX_MODEL_API_KEY"], !v.isEmpty { apiKey = v }
        if let v = environment["CHARTEX_MODEL_VISION"], !v.isEmpty {
            guard let s = VisionSetting(rawValue: v) else {
                throw ModelError.configuration("CHARTEX_MODEL_VISION=\(v): expected auto, on or off")
            }
            vision = s
        }
        if let v = try number("CHARTEX_MODEL_CONCURRENCY") { concurrency = Int(v) }
        if let v = try number("CHARTEX_MODEL_TIMEOUT") { requestTimeout = v }
        if let v = try number("CHARTEX_MODEL_CONNECT_TIMEOUT") { connectTimeout = v }
        if let v = try number("CHARTEX_MODEL_RETRIES") { retries = Int(v) }
        if let v = environment["CHARTEX_MODEL_GGUF"], !v.isEmpty {
            var local = self.local ?? LocalModelConfiguration(gguf: v)
            local.gguf = v
            if let p = environment["CHARTEX_MODEL_MMPROJ"], !p.isEmpty { local.mmproj = p }
            if let s = environment["CHARTEX_LLAMA_SERVER"], !s.isEmpty { local.server = s }
            self.local = local
        }
        if let v = try number("CHARTEX_MODEL_THREADS"), v >= 1 { modelThreads = Int(v) }
    }

    /// Refuses settings that cannot work, with the setting's name.
    public func check() throws {
        if let endpoint {
            let urls = EndpointBalancer.split(endpoint)
            guard !urls.isEmpty else { throw ModelError.configuration("endpoint is empty") }
            for text in urls {
                guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                    throw ModelError.configuration("endpoint \(text) is not an http(s) URL")
                }
            }
        }
        guard concurrency >= 1 else { throw ModelError.configuration("concurrency must be at least 1") }
        guard requestTimeout > 0, connectTimeout > 0 else { throw ModelError.configuration("timeouts must be > 0") }
        guard maxResponseBytes >= 1024 else { throw ModelError.configuration("maxResponseBytes must be at least 1024") }
        guard maxTokens >= 16 else { throw ModelError.configuration("maxTokens must be at least 16") }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let c): "not valid JSON (\(c.debugDescription))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            "\(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.keyNotFound(let key, _): "missing \(key.stringValue)"
        default: "\(error)"
        }
    }
}

extension ModelConfiguration: CustomStringConvertible {
    /// The settings, with the API key hidden.
    public var description: String {
        var parts = ["endpoint=\(endpoint ?? local.map { _ in "local llama-server" } ?? "none")", "model=\(model)",
                     "dialect=\(dialect.rawValue)", "vision=\(vision.rawValue)", "concurrency=\(concurrency)",
                     "timeout=\(requestTimeout)s", "retries=\(retries)"]
        if apiKey != nil { parts.append("apiKey=<set>") }
        if let local { parts.append("gguf=\(local.gguf)") }
        return parts.joined(separator: " ")
    }
}
