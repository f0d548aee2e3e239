import Answering
import ChartService
import Dispatch
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ModelClient
import NIOCore
import ServiceLifecycle
import Storage

/// How `chartex serve` runs.
public struct ServerOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var tokenFile = TokenRing.defaultPath
    /// Uploads larger than this are refused with 413.
    public var maxUploadBytes = 100 << 20
    /// JSON request bodies (review, ask) larger than this are refused with 413.
    public var maxJSONBytes = 1 << 20
    /// Where uploads are kept (named by their sha256).
    public var uploadFolder: URL
    /// A request that takes longer is answered 503.
    public var requestTimeout: Double = 120
    /// The model `POST /api/ask` composes answers with, when one is configured.
    public var model: ModelClient?

    public init(uploadFolder: URL) {
        self.uploadFolder = uploadFolder
    }
}

/// `chartex serve`: the JSON API under /api, the review page at /review, /openapi.json and
/// /healthz, on Hummingbird; stops gracefully on SIGINT or SIGTERM (with the services given,
/// e.g. an in-process worker).
public enum ChartServer {
    public static func run(service: ChartService, options: ServerOptions, tokens: TokenRing, services: [any Service] = [],
                           onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router(context: BasicRequestContext.self)
        let api = API(service: service, options: options, tokens: tokens, cache: PNGCache())
        router.add(middleware: AccessLog())
        router.add(middleware: Guard(tokens: tokens))
        api.register(on: router)
        var logger = Logger(label: "chartex.serve")
        logger.logLevel = .info
        let app = Application(router: router,
                              configuration: .init(address: .hostname(options.host, port: options.port), serverName: "chartex"),
                              services: services,
                              onServerRunning: { channel in onRunning(channel.localAddress?.port ?? options.port) },
                              logger: logger)
        try await app.runService()
    }
}

// MARK: - Middleware

/// One line per request on stderr: method, path (never the query, which may hold a search or a
/// patient's MRN), status and time. No bodies, no page text.
struct AccessLog: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = Date()
        let response = try await next(request, context)
        let line = String(format: "chartex: %@ %@ %d %.0f ms\n", request.method.rawValue, request.uri.path,
                          response.status.code, Date().timeIntervalSince(started) * 1000)
        FileHandle.standardError.write(Data(line.utf8))
        return response
    }
}

/// Authentication, CSRF and errors as JSON. Open without a token:
/// /healthz, /openapi.json and the review page's static assets. Everything else needs
/// `Authorization: Bearer TOKEN`, or the cookie set by `/review?token=`, in which case a POST
/// must also carry `X-CSRF-Token` (from GET /api/session).
struct Guard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let tokens: TokenRing
    static let cookie = "chartex_token"
    static let open: Set<String> = ["/healthz", "/openapi.json", "/review", "/assets/review.js", "/assets/review.css"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            let path = request.uri.path
            if path == "/review", let presented = request.uri.queryParameters["token"].map(String.init) {
                // The browser's way in: a valid token becomes a SameSite=Strict cookie, and the
                // token leaves the address bar.
                guard tokens.entry(for: presented) != nil else { throw APIError(401, "unauthorized", "that token is not valid") }
                var headers = HTTPFields()
                headers[.location] = "/review"
                headers[.setCookie] = "\(Self.cookie)=\(presented); Path=/; HttpOnly; SameSite=Strict"
                return Response(status: .seeOther, headers: headers)
            }
            if !Self.open.contains(path) {
                guard let entry = authenticate(request) else {
                    throw APIError(401, "unauthorized", "a token is needed: Authorization: Bearer TOKEN (the token file of chartex serve)")
                }
                if request.method == .post, request.headers[.authorization] == nil,
                   request.headers[HTTPField.Name("X-CSRF-Token")!].map({ TokenRing.equal($0, entry.csrf) }) != true {
                    throw APIError(403, "forbidden", "a POST made with the cookie needs the X-CSRF-Token header (GET /api/session)")
                }
            }
            return try await next(request, context)
        } catch let error as APIError {
            return error.response
        } catch let error as ServiceError {
            return APIError(error).response
        } catch let error as HTTPError {
            return APIError(Int(error.status.code), error.status.code == 404 ? "notFound" : "invalid",
                            error.body ?? error.status.reasonPhrase).response
        } catch {
            return APIError(500, "internalError", "\(error)").response
        }
    }

    func authenticate(_ request: Request) -> TokenRing.Entry? {
        Self.authenticate(request, tokens: tokens)
    }

    /// The token a request carries (header, else cookie), when it is one of ours.
    static func authenticate(_ request: Request, tokens: TokenRing) -> TokenRing.Entry? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
            return tokens.entry(for: String(parts[1]))
        }
        for part in request.headers[values: .cookie].flatMap({ $0.split(separator: ";") }) {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == cookie { return tokens.entry(for: String(pair[1])) }
        }
        return nil
    }
}

/// An error as the API answers it: `{"error": {"kind", "message", "exitCode"}}`, with the
/// kinds and exit codes of the CLI.
struct APIError: Error {
    var status: Int
    var kind: String
    var message: String

    init(_ status: Int, _ kind: String, _ message: String) {
        (self.status, self.kind, self.message) = (status, kind, message)
    }

    init(_ error: ServiceError) {
        self.init(error.kind.httpStatus, error.kind.rawValue, error.message)
    }

    var exitCode: Int {
        switch status {
        case 400, 401, 403, 405, 413: 64
        case 404: 66
        case 415, 422: 65
        case 503: 69
        default: 70
        }
    }

    var response: Response {
        let body: [String: [String: AnyJSON]] = ["error": ["kind": .string(kind), "message": .string(message), "exitCode": .int(exitCode)]]
        return JSONResponse.make(body, status: HTTPResponse.Status(code: status))
    }
}

enum AnyJSON: Encodable {
    case string(String), int(Int)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let i): try container.encode(i)
        }
    }
}

enum JSONResponse {
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return bytes(data, type: "application/json", status: status)
    }

    static func bytes(_ data: Data, type: String, status: HTTPResponse.Status = .ok, cache: String = "no-store") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = cache
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Runs blocking store work off Swift's cooperative threads (two on these machines), so that
/// a slow page render or a big export never stalls the server. Past `timeout` seconds the
/// request is answered 503 (the work itself runs to its end and is dropped).
func offload<T: Sendable>(timeout: Double, _ body: @escaping @Sendable () throws -> T) async throws -> T {
    let once = Once()
    return try await withCheckedThrowingContinuation { continuation in
        // A timer source, cancelled when the work ends: an `asyncAfter` block would stay queued for
        // the whole timeout after every request (measured: RSS grew by 45 MB over 120 s of load).
        let timer = TimerSource(DispatchSource.makeTimerSource(queue: .global()))
        timer.source.setEventHandler {
            if once.claim() {
                continuation.resume(throwing: APIError(503, "unavailable", "the request took longer than \(Int(timeout)) s"))
            }
        }
        timer.source.schedule(deadline: .now() + timeout)
        timer.source.resume()
        DispatchQueue.global().async {
            let result = Result { try body() }
            timer.source.cancel()
            if once.claim() { continuation.resume(with: result) }
        }
    }
}

/// Runs async work (an answer that may call the model) within `timeout` seconds: past it the
/// request is answered 503 and the work is cancelled (a model request in flight is dropped).
func withDeadline<T: Sendable>(_ timeout: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    let once = Once()
    return try await withCheckedThrowingContinuation { continuation in
        let timer = TimerSource(DispatchSource.makeTimerSource(queue: .global()))
        let task = Task {
            do {
                let value = try await body()
                timer.source.cancel()
                if once.claim() { continuation.resume(returning: value) }
            } catch {
                timer.source.cancel()
                if once.claim() { continuation.resume(throwing: error) }
            }
        }
        timer.source.setEventHandler {
            if once.claim() {
                task.cancel()
                continuation.resume(throwing: APIError(503, "unavailable", "the request took longer than \(Int(timeout)) s"))
            }
        }
        timer.source.schedule(deadline: .now() + timeout)
        timer.source.resume()
    }
}

/// A dispatch timer handed to the work's closure. @unchecked: dispatch sources may be cancelled
/// from any thread, which is all the closure does with it.
struct TimerSource: @unchecked Sendable {
    let source: any DispatchSourceTimer
    init(_ source: any DispatchSourceTimer) { self.source = source }
}

/// True for the first caller only.
final class Once: @unchecked Sendable {
    // @unchecked: `done` is only touched under `lock`.
    private let lock = NSLock()
    private var done = false

    func claim() -> Bool {
        lock.withLock {
            defer { done = true }
            return !done
        }
    }
}

/// Rendered page images, the most recent first, within a byte budget.
actor PNGCache {
    private var entries: [(key: String, data: Data)] = []
    private let budget = 256 << 20

    func get(_ key: String) -> Data? {
        guard let index = entries.firstIndex(where: { $0.key == key }) else { return nil }
        let entry = entries.remove(at: index)
        entries.insert(entry, at: 0)
        return entry.data
    }

    func put(_ key: String, _ data: Data) {
        entries.removeAll { $0.key == key }
        entries.insert((key, data), at: 0)
        var total = 0
        entries = entries.filter { entry in
            total += entry.data.count
            return total <= budget
        }
    }
}
