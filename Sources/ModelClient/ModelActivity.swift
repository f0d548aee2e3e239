import Foundation

/// What a client's requests are doing now, for progress lines: requests in flight (and since
/// when), requests done, and the model's generation speed measured on the replies (the
/// server's own `timings` when it reports them, else completion tokens over wall time).
public final class ModelActivity: @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    private let lock = NSLock()
    private var started: [UUID: Date] = [:]
    private var done = 0
    private var failed = 0
    private var tokens = 0.0
    private var generationSeconds = 0.0
    private var lastRate: Double?

    public init() {}

    public struct Snapshot: Sendable, Equatable {
        /// HTTP requests waiting for the server's answer now.
        public var inFlight: Int
        /// Seconds the oldest of them has been waiting.
        public var oldestSeconds: Double
        public var done: Int
        public var failed: Int
        /// Tokens per second generated, over every reply so far (nil before the first).
        public var tokensPerSecond: Double?
        /// The last reply's.
        public var lastTokensPerSecond: Double?
    }

    public func snapshot(now: Date = Date()) -> Snapshot {
        lock.withLock {
            Snapshot(inFlight: started.count, oldestSeconds: started.values.min().map { now.timeIntervalSince($0) } ?? 0,
                     done: done, failed: failed,
                     tokensPerSecond: generationSeconds > 0 ? tokens / generationSeconds : nil, lastTokensPerSecond: lastRate)
        }
    }

    func begin() -> UUID {
        let id = UUID()
        lock.withLock { started[id] = Date() }
        return id
    }

    /// `generated`: completion tokens; `seconds`: the time they took (the server's, or wall time).
    func end(_ id: UUID, generated: Int?, seconds: Double?) {
        lock.withLock {
            let began = started.removeValue(forKey: id)
            done += 1
            guard let generated, generated > 0 else { return }
            let elapsed = seconds ?? began.map { Date().timeIntervalSince($0) } ?? 0
            guard elapsed > 0 else { return }
            tokens += Double(generated)
            generationSeconds += elapsed
            lastRate = Double(generated) / elapsed
        }
    }

    func fail(_ id: UUID) {
        lock.withLock {
            started.removeValue(forKey: id)
            failed += 1
        }
    }
}

extension ModelActivity.Snapshot: CustomStringConvertible {
    /// `model: 2 requests in flight (oldest 41 s), 14.2 tokens/s, 12 done`.
    public var description: String {
        var parts: [String] = []
        parts.append(inFlight == 1 ? "1 request in flight" : "\(inFlight) requests in flight")
        if inFlight > 0 { parts[0] += " (oldest \(Int(oldestSeconds)) s)" }
        if let tokensPerSecond { parts.append(String(format: "%.1f tokens/s", tokensPerSecond)) }
        parts.append("\(done) done" + (failed > 0 ? ", \(failed) failed" : ""))
        return "model: " + parts.joined(separator: ", ")
    }
}
