import Foundation

/// Spreads model requests over several servers: each request goes to the server with the
/// fewest requests outstanding (between equals, the one without recent failures); a server that fails (no connection, a timeout, a 5xx) is
/// skipped for a while (1 s, doubling to 30 s per consecutive failure), and the first request
/// after that waits for a health check (`GET /health`) before it is sent there. When every
/// server is down, the one whose wait ends first is tried.
final class EndpointBalancer: @unchecked Sendable {
    // @unchecked: `entries` is guarded by `lock`.
    struct Entry {
        let url: String
        var outstanding = 0
        var failures = 0
        var downUntil: Date?
    }

    /// Which server to use, and whether it must pass a health check first.
    struct Choice {
        var index: Int
        var url: String
        var needsCheck: Bool
    }

    private let lock = NSLock()
    private var entries: [Entry]

    /// `urls`: base URLs without a trailing slash, in the order given.
    init(urls: [String]) {
        entries = urls.map { Entry(url: $0) }
    }

    var urls: [String] { lock.withLock { entries.map(\.url) } }

    /// Outstanding requests per server (for progress lines and tests).
    var outstanding: [Int] { lock.withLock { entries.map(\.outstanding) } }

    func acquire(now: Date = Date()) -> Choice {
        lock.withLock {
            let up = entries.indices.filter { entries[$0].downUntil.map { $0 <= now } ?? true }
            // Fewest outstanding; between equals, the one that has not failed lately.
            let index = up.min { (entries[$0].outstanding, entries[$0].failures) < (entries[$1].outstanding, entries[$1].failures) }
                ?? entries.indices.min { (entries[$0].downUntil ?? now) < (entries[$1].downUntil ?? now) }!
            entries[index].outstanding += 1
            return Choice(index: index, url: entries[index].url, needsCheck: entries[index].downUntil != nil)
        }
    }

    /// The request (or health check) on `choice` ended; `failed` when the server did not answer properly.
    func release(_ choice: Choice, failed: Bool, now: Date = Date()) {
        lock.withLock {
            entries[choice.index].outstanding -= 1
            if failed {
                entries[choice.index].failures += 1
                let wait = min(30, pow(2, Double(entries[choice.index].failures - 1)))
                entries[choice.index].downUntil = now.addingTimeInterval(wait)
            } else {
                entries[choice.index].failures = 0
                entries[choice.index].downUntil = nil
            }
        }
    }

    /// A health check passed: the server gets this request (still outstanding). Its failure count
    /// stays until a request succeeds, so a server that answers /health but fails every request
    /// waits longer each time.
    func markUp(_ choice: Choice) {
        lock.withLock { entries[choice.index].downUntil = nil }
    }

    /// Whether an error says the server itself is unwell (not the request).
    static func isServerFailure(_ error: any Error) -> Bool {
        guard let error = error as? ModelError else { return false }
        switch error {
        case .unreachable, .timeout: return true
        case .http(let status, _, _): return status >= 500
        default: return false
        }
    }

    /// The URLs of an endpoint setting: one URL, or several separated by commas.
    static func split(_ endpoint: String) -> [String] {
        endpoint.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
    }
}
