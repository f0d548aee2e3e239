import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Validation

/// An image for the model: PNG or JPEG bytes.
public struct ModelImage: Sendable {
    public var data: Data
    public var mimeType: String

    public init(data: Data, mimeType: String = "image/png") {
        self.data = data
        self.mimeType = mimeType
    }
}

/// One request: the instructions and the page text in one user turn (Gemma has no system
/// role), plus images when the model can see.
public struct ModelPrompt: Sendable {
    public var text: String
    public var images: [ModelImage]

    public init(text: String, images: [ModelImage] = []) {
        self.text = text
        self.images = images
    }
}

/// What the server sent back.
public struct ModelReply: Sendable {
    public var content: String
    public var finishReason: String?
    public var promptTokens: Int?
    public var completionTokens: Int?
    /// HTTP attempts it took (1 = no retry).
    public var attempts: Int
    /// False when the images were dropped (vision off, or the model cannot see).
    public var sentImages: Bool
    /// Seconds the server spent generating (llama-server's `timings.predicted_ms`, Ollama's
    /// `eval_duration`), when it says.
    public var generationSeconds: Double?
}

/// JSON that parsed and satisfied its schema.
public struct FilledSchema: Sendable {
    public var value: JSONValue
    public var reply: ModelReply
    /// True when the first reply failed and the repair request fixed it.
    public var repaired: Bool
}

/// A client for `/v1/chat/completions` (and Ollama's `/api/chat`): temperature 0,
/// constrained output in the configured dialect, a limit on requests in flight, timeouts,
/// retries with exponential backoff and jitter (honouring Retry-After), a cap on reply size,
/// and vision detection with a fall back to text. Cancelling the calling task cancels the request.
public final class ModelClient: Sendable {
    public let configuration: ModelConfiguration
    /// Base URL, without a trailing slash (the first, when several servers are given).
    public let endpoint: String
    private let http: HTTPClient
    private let limiter: RequestLimiter
    /// The servers requests are spread over (one, or several: `endpoint` separated by commas).
    let balancer: EndpointBalancer
    private let vision = VisionState()
    /// Requests in flight and the generation speed, for progress lines.
    public let activity = ModelActivity()

    public init(configuration: ModelConfiguration, endpoint: String) {
        self.configuration = configuration
        let urls = EndpointBalancer.split(endpoint)
        self.endpoint = urls.first ?? endpoint
        balancer = EndpointBalancer(urls: urls.isEmpty ? [endpoint] : urls)
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout = .init(connect: .milliseconds(Int64(configuration.connectTimeout * 1000)),
                                          read: .milliseconds(Int64(configuration.requestTimeout * 1000)))
        httpConfiguration.decompression = .disabled
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        // `concurrency` requests per server.
        limiter = RequestLimiter(limit: configuration.concurrency * max(1, urls.count))
    }

    private let closed = ClosedFlag()

    /// Closes the connections. Call when done (a client dropped without it is closed on deinit).
    public func shutdown() async {
        guard closed.close() else { return }
        try? await http.shutdown()
    }

    deinit {
        if closed.close() { _ = http.shutdown() }
    }

    // MARK: - Schema-constrained requests

    /// Asks for JSON matching `schema`; parses and validates it; on failure sends one repair
    /// request carrying the validation errors; then gives up with the errors (never data).
    public func fill(_ prompt: ModelPrompt, schema: JSONValue, name: String = "extraction",
                     validator: JSONSchemaValidator? = nil, maxTokens: Int? = nil) async throws -> FilledSchema {
        let validator = validator ?? JSONSchemaValidator(schema: schema)
        let budget = min(configuration.maxTokens, maxTokens ?? TokenBudget.estimate(schema))
        let first = try await complete(prompt, schema: schema, name: name, maxTokens: budget)
        let problems: [String]
        switch Self.check(first, validator) {
        case .success(let value): return FilledSchema(value: value, reply: first, repaired: false)
        case .failure(let issues): problems = issues.items
        }
        var repair = prompt
        repair.text += "\n\nA previous answer was rejected because: " + problems.prefix(8).joined(separator: "; ")
            + ".\nAnswer again with only the corrected JSON object."
        let second = try await complete(repair, schema: schema, name: name, maxTokens: budget)
        switch Self.check(second, validator) {
        case .success(let value): return FilledSchema(value: value, reply: second, repaired: true)
        case .failure(let issues): throw ModelError.schemaViolations(issues.items)
        }
    }

    private static func check(_ reply: ModelReply, _ validator: JSONSchemaValidator) -> Result<JSONValue, Issues> {
        let value: JSONValue
        do {
            value = try ModelOutput.parseJSON(reply.content)
        } catch {
            var issue = error.description
            if reply.finishReason == "length" { issue += " (the reply stopped at the token limit)" }
            return .failure(Issues([issue]))
        }
        let violations = validator.validate(value)
        return violations.isEmpty ? .success(value) : .failure(Issues(violations.map(\.description)))
    }

    private struct Issues: Error {
        var items: [String]
        init(_ items: [String]) { self.items = items }
    }

    // MARK: - One completion, with retries

    /// One chat completion. Retries 429 / 5xx / timeouts / lost connections with exponential
    /// backoff and jitter (or the server's Retry-After), up to `retries` times.
    public func complete(_ prompt: ModelPrompt, schema: JSONValue?, name: String = "extraction",
                         maxTokens: Int) async throws -> ModelReply {
        var prompt = prompt
        if !prompt.images.isEmpty, await !canSendImages() { prompt.images = [] }
        var attempt = 0, timeouts = 0
        while true {
            attempt += 1
            try Task.checkCancellation()
            do {
                let slot = try await limiter.acquire()
                defer { Task { await limiter.release(slot) } }
                var reply = try await send(prompt, schema: schema, name: name, maxTokens: maxTokens)
                reply.attempts = attempt
                return reply
            } catch let error as ModelError {
                if case .visionUnsupported = error, configuration.vision == .auto, !prompt.images.isEmpty {
                    await vision.set(false)
                    prompt.images = []
                    attempt -= 1
                    continue
                }
                guard error.isRetryable, attempt <= configuration.retries else { throw error }
                // A generation that ran out of time once runs out again at temperature 0 on the
                // same server: one more try (a stall), not `retries` more.
                if case .timeout = error {
                    timeouts += 1
                    if timeouts > 1 { throw error }
                }
                let backoff = min(configuration.maxBackoffSeconds, configuration.backoffSeconds * pow(2, Double(attempt - 1)))
                let wait = error.retryAfter.map { min($0, configuration.maxBackoffSeconds) } ?? backoff * Double.random(in: 0.5...1)
                try await Task.sleep(nanoseconds: UInt64(max(0, wait) * 1_000_000_000))
            }
        }
    }

    /// Whether page images go out: `vision` setting, else what the server said (asked once).
    public func canSendImages() async -> Bool {
        switch configuration.vision {
        case .off: return false
        case .on: return true
        case .auto:
            if let known = await vision.value { return known }
            let props = await serverProperties()
            let seen = props?.vision
            if let seen { await vision.set(seen) }
            return seen ?? true
        }
    }

    private func send(_ prompt: ModelPrompt, schema: JSONValue?, name: String, maxTokens: Int) async throws -> ModelReply {
        let (path, body) = requestBody(prompt, schema: schema, name: name, maxTokens: maxTokens)
        let id = activity.begin()
        let data: Data
        let server = balancer.acquire()
        do {
            if server.needsCheck {
                // The server failed before: it gets requests again once it answers a health check.
                do {
                    _ = try await execute(HTTPClientRequest(url: server.url + "/health"), base: server.url)
                } catch let error as ModelError where !EndpointBalancer.isServerFailure(error) {
                    // It answered (a 404 from a server without /health is an answer).
                }
                balancer.markUp(server)
            }
            data = try await post(path, body: body, base: server.url)
            balancer.release(server, failed: false)
        } catch {
            balancer.release(server, failed: EndpointBalancer.isServerFailure(error))
            activity.fail(id)
            throw error
        }
        let reply: ModelReply
        do {
            reply = try parseReply(data, sentImages: !prompt.images.isEmpty)
        } catch {
            activity.fail(id)
            throw error
        }
        activity.end(id, generated: reply.completionTokens, seconds: reply.generationSeconds)
        return reply
    }

    func requestBody(_ prompt: ModelPrompt, schema: JSONValue?, name: String, maxTokens: Int) -> (String, JSONValue) {
        var text = prompt.text
        if let schema, configuration.dialect == .none {
            text += "\n\nReply with one JSON value only, matching this JSON Schema:\n" + schema.jsonText
        }
        if configuration.dialect == .ollama {
            var message: [String: JSONValue] = ["role": "user", "content": .string(text)]
            if !prompt.images.isEmpty {
                message["images"] = .array(prompt.images.map { .string($0.data.base64EncodedString()) })
            }
            var body: [String: JSONValue] = [
                "model": .string(configuration.model), "stream": false, "messages": .array([.object(message)]),
                "options": ["temperature": 0, "num_predict": .number(Double(maxTokens))],
            ]
            if let schema { body["format"] = schema }
            return ("/api/chat", .object(body))
        }
        var content: [JSONValue] = [["type": "text", "text": .string(text)]]
        for image in prompt.images {
            content.append(["type": "image_url",
                            "image_url": ["url": .string("data:\(image.mimeType);base64,\(image.data.base64EncodedString())")]])
        }
        var body: [String: JSONValue] = [
            "model": .string(configuration.model), "temperature": 0, "max_tokens": .number(Double(maxTokens)),
            "stream": false,
            "messages": [["role": "user", "content": prompt.images.isEmpty ? .string(text) : .array(content)]],
        ]
        if let schema {
            switch configuration.dialect {
            case .jsonSchema:
                body["response_format"] = ["type": "json_schema",
                                           "json_schema": ["name": .string(name), "schema": schema, "strict": true]]
            case .jsonObject:
                body["response_format"] = ["type": "json_object", "schema": schema]
            case .none, .ollama:
                break
            }
        }
        return ("/v1/chat/completions", .object(body))
    }

    func parseReply(_ data: Data, sentImages: Bool) throws -> ModelReply {
        guard let envelope = try? JSONValue(parsing: data) else {
            throw ModelError.malformedReply("the body is not JSON (\(data.count) bytes)")
        }
        if configuration.dialect == .ollama {
            guard case .string(let content)? = envelope["message"]?["content"] else {
                throw ModelError.malformedReply("no message.content")
            }
            return ModelReply(content: content, finishReason: envelope["done_reason"]?.stringValue,
                              promptTokens: envelope["prompt_eval_count"]?.intValue,
                              completionTokens: envelope["eval_count"]?.intValue, attempts: 1, sentImages: sentImages,
                              generationSeconds: envelope["eval_duration"]?.numberValue.map { $0 / 1e9 })
        }
        guard case .array(let choices)? = envelope["choices"], let choice = choices.first else {
            throw ModelError.malformedReply("no choices")
        }
        guard let message = choice["message"] else { throw ModelError.malformedReply("no message in the first choice") }
        let content: String
        switch message["content"] {
        case .string(let text)?: content = text
        case .array(let parts)?: content = parts.compactMap { $0["text"]?.stringValue }.joined()
        default: content = ""
        }
        return ModelReply(content: content, finishReason: choice["finish_reason"]?.stringValue,
                          promptTokens: envelope["usage"]?["prompt_tokens"]?.intValue,
                          completionTokens: envelope["usage"]?["completion_tokens"]?.intValue,
                          attempts: 1, sentImages: sentImages,
                          generationSeconds: envelope["timings"]?["predicted_ms"]?.numberValue.map { $0 / 1000 })
    }

    // MARK: - HTTP

    func post(_ path: String, body: JSONValue, base: String) async throws -> Data {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let bytes = try JSONEncoder().encode(body)
        request.body = .bytes(ByteBuffer(bytes: bytes))
        return try await execute(request, base: base)
    }

    /// GETs a path of the server (`/health`, `/props`, `/v1/models`…): its body, or the error.
    public func get(_ path: String) async throws -> Data {
        try await execute(HTTPClientRequest(url: endpoint + path), base: endpoint)
    }

    private func execute(_ request: HTTPClientRequest, base endpoint: String) async throws -> Data {
        var authorized = request
        if let key = configuration.apiKey { authorized.headers.add(name: "Authorization", value: "Bearer \(key)") }
        let request = authorized
        let timeout = configuration.requestTimeout
        let limit = configuration.maxResponseBytes
        let client = http
        do {
            return try await withDeadline(seconds: timeout) {
                let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
                let body: ByteBuffer
                do {
                    body = try await response.body.collect(upTo: limit)
                } catch is NIOTooManyBytesError {
                    throw ModelError.responseTooLarge(limit: limit)
                }
                let data = Data(body.readableBytesView)
                guard (200..<300).contains(response.status.code) else {
                    throw Self.httpError(response.status, headers: response.headers, body: data)
                }
                return data
            }
        } catch let error as ModelError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch let error as HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout: throw ModelError.timeout(seconds: timeout)
            case .cancelled: throw CancellationError()
            case .connectTimeout: throw ModelError.unreachable("\(endpoint): connect timeout")
            default: throw ModelError.unreachable("\(endpoint): \(error)")
            }
        } catch {
            throw ModelError.unreachable("\(endpoint): \(error)")
        }
    }

    /// The server's error, with a short excerpt of its message (servers put the reason
    /// there, not patient data) and Retry-After in seconds.
    static func httpError(_ status: HTTPResponseStatus, headers: HTTPHeaders, body: Data) -> ModelError {
        var message = ""
        if let json = try? JSONValue(parsing: body) {
            message = json["error"]?["message"]?.stringValue ?? json["error"]?.stringValue ?? json["message"]?.stringValue ?? ""
        }
        if message.isEmpty { message = String(decoding: body.prefix(200), as: UTF8.self) }
        message = String(message.prefix(200)).trimmingCharacters(in: .whitespacesAndNewlines)
        let lowered = message.lowercased()
        if status.code == 400 || status.code >= 500,
           ["image input is not supported", "mmproj", "does not support image", "multimodal", "vision"].contains(where: lowered.contains),
           lowered.contains("image") || lowered.contains("mmproj") {
            return .visionUnsupported(message)
        }
        return .http(status: Int(status.code), message: message, retryAfter: headers.first(name: "Retry-After").flatMap(retryAfter))
    }

    /// Retry-After as seconds or an HTTP date.
    static func retryAfter(_ text: String) -> Double? {
        if let seconds = Double(text.trimmingCharacters(in: .whitespaces)) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: text).map { max(0, $0.timeIntervalSinceNow) }
    }

}

/// Runs `body`, cancelling it after `seconds`.
func withDeadline<T: Sendable>(seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(nanoseconds: UInt64(seconds * 1_000_000_000))
            throw ModelError.timeout(seconds: seconds)
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw CancellationError() }
        return first
    }
}

/// At most `limit` requests in flight; waiters are served in order.
actor RequestLimiter {
    private let limit: Int
    private var running = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire() async throws -> Int {
        if running < limit {
            running += 1
        } else {
            await withCheckedContinuation { waiters.append($0) }
        }
        if Task.isCancelled {
            release(0)
            throw CancellationError()
        }
        return 0
    }

    func release(_: Int) {
        if waiters.isEmpty {
            running -= 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Set once, atomically.
final class ClosedFlag: @unchecked Sendable {
    // @unchecked: guarded by the lock.
    private let lock = NSLock()
    private var isClosed = false

    /// True the first time only.
    func close() -> Bool {
        lock.withLock {
            defer { isClosed = true }
            return !isClosed
        }
    }
}

actor VisionState {
    private(set) var value: Bool?
    func set(_ value: Bool) { self.value = value }
}
