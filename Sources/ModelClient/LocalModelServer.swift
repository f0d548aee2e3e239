import Foundation
import NIOCore
import NIOPosix

/// A `llama-server` chartex runs itself on 127.0.0.1: started with the configured GGUF (and
/// mmproj), awaited until `/health` answers, stopped on `stop()` — and by a small watchdog
/// shell if chartex itself dies, so no server is left behind.
public final class LocalModelServer: @unchecked Sendable {
    public let configuration: LocalModelConfiguration
    public private(set) var port = 0
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private var process: Process?
    private var logPath: String?
    private let lock = NSLock()

    public init(configuration: LocalModelConfiguration) {
        self.configuration = configuration
    }

    deinit { stop() }

    /// Where `scripts/setup-model.sh` puts things: `$CHARTEX_CACHE` or `~/.cache/chartex`.
    public static func cacheDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        environment["CHARTEX_CACHE"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache/chartex")
    }

    /// The default local model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M) when setup installed it.
    public static func defaultConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) -> LocalModelConfiguration? {
        let gguf = cacheDirectory(environment: environment) + "/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
        guard FileManager.default.fileExists(atPath: gguf) else { return nil }
        return LocalModelConfiguration(gguf: gguf)
    }

    /// The llama-server binary: configured, `$CHARTEX_LLAMA_SERVER`, the cache, then `$PATH`.
    public static func findServer(_ configured: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        let fm = FileManager.default
        if let configured { return fm.isExecutableFile(atPath: configured) ? configured : nil }
        if let path = environment["CHARTEX_LLAMA_SERVER"], fm.isExecutableFile(atPath: path) { return path }
        let builds = cacheDirectory(environment: environment) + "/llama-server"
        let versions = ((try? fm.contentsOfDirectory(atPath: builds)) ?? []).sorted(by: >)
        for version in versions where fm.isExecutableFile(atPath: "\(builds)/\(version)/llama-server") {
            return "\(builds)/\(version)/llama-server"
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") where fm.isExecutableFile(atPath: "\(dir)/llama-server") {
            return "\(dir)/llama-server"
        }
        return nil
    }

    /// Starts the server and waits until it has loaded the model.
    public func start() async throws {
        let fm = FileManager.default
        guard let server = Self.findServer(configuration.server) else {
            throw ModelError.configuration("llama-server not found (run scripts/setup-model.sh, or set local.server / CHARTEX_LLAMA_SERVER)")
        }
        guard fm.fileExists(atPath: configuration.gguf) else {
            throw ModelError.configuration("model file \(configuration.gguf) not found (run scripts/setup-model.sh)")
        }
        if let mmproj = configuration.mmproj, !fm.fileExists(atPath: mmproj) {
            throw ModelError.configuration("mmproj file \(mmproj) not found")
        }
        let port = configuration.port > 0 ? configuration.port : try await Self.freePort()
        var arguments = [server, "-m", configuration.gguf, "--host", "127.0.0.1", "--port", String(port),
                         "-c", String(configuration.contextSize * max(1, configuration.slots)), "-np", String(configuration.slots),
                         "-t", String(configuration.threads), "--no-webui"]
        if let mmproj = configuration.mmproj { arguments += ["--mmproj", mmproj] }
        if let template = configuration.chatTemplateFile { arguments += ["--chat-template-file", template] }

        let log = NSTemporaryDirectory() + "chartex-llama-server-\(getpid())-\(port).log"
        _ = fm.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o600])
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The watchdog: stops the server when chartex (the parent) is gone, even after kill -9.
        process.arguments = ["-c", Self.watchdog, "chartex-llama-server", String(getpid())] + arguments
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? handle.close()
        lock.withLock {
            self.process = process
            self.port = port
            self.logPath = log
        }

        let deadline = Date().addingTimeInterval(configuration.startupTimeout)
        var probe = ModelConfiguration(endpoint: "http://127.0.0.1:\(port)")
        probe.requestTimeout = 2
        probe.connectTimeout = 1
        let client = ModelClient(configuration: probe, endpoint: probe.endpoint!)
        defer { Task { await client.shutdown() } }
        while Date() < deadline {
            guard process.isRunning else {
                let tail = lastLines(log)
                stop()
                throw ModelError.unreachable("llama-server exited during startup (status \(process.terminationStatus)): \(tail)")
            }
            if (try? await client.get("/health")) != nil { return }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        stop()
        throw ModelError.timeout(seconds: configuration.startupTimeout)
    }

    /// Stops the server (SIGKILL to llama-server and its watchdog: it holds no state) and removes its log.
    public func stop() {
        let (process, log) = lock.withLock { () -> (Process?, String?) in
            defer { self.process = nil; self.logPath = nil }
            return (self.process, self.logPath)
        }
        if let process, process.isRunning {
            for child in Self.children(of: process.processIdentifier) { kill(child, SIGKILL) }
            kill(process.processIdentifier, SIGKILL)
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { usleep(20_000) }
        }
        if let log { try? FileManager.default.removeItem(atPath: log) }
    }

    /// Runs llama-server and kills it when chartex (the parent) is gone. "Gone" is read from
    /// this shell's own parent pid, which changes when the parent dies (a killed parent can stay
    /// a zombie that `kill -0` still finds when pid 1 does not reap). No traps and no `wait`
    /// builtin: children inherit chartex's blocked SIGINT/SIGTERM (its signal thread), so the
    /// shell and llama-server are stopped with SIGKILL, by `stop()` or by this loop.
    static let watchdog = """
        parent=$1; shift
        "$@" &
        child=$!
        ppid() { read -r _ _ _ p _ < /proc/$$/stat; echo "$p"; }
        while [ "$(ppid)" = "$parent" ] && kill -0 "$child" 2>/dev/null; do sleep 1; done
        kill -9 "$child" 2>/dev/null
        """

    /// Child processes (Linux /proc).
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    private func lastLines(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// A port nobody listens on now (bound to 0 and released).
    static func freePort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = channel.localAddress?.port ?? 0
        try await channel.close()
        guard port > 0 else { throw ModelError.configuration("no free port on 127.0.0.1") }
        return port
    }
}
