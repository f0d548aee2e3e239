import Foundation
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A `llama-server` chartex runs on 127.0.0.1, **one per machine and model**: `start()` reuses
/// a server that another chartex process (or test) started for the same GGUF, and starts one
/// only when none answers. Every process using it is registered (`run/<key>.users/<pid>-…`);
/// the server stops when the last of them calls `stop()`, or — when they die, even by
/// kill -9 — when its watchdog finds none of them alive.
///
/// Files, in `$CHARTEX_CACHE/run/` (default `~/.cache/chartex/run/`), mode 0700:
/// - `llama-server-<key>.lock`: flock(2) held while a process decides to start, reuse or stop;
/// - `llama-server-<key>.json`: the running server (`RunningLocalServer`);
/// - `llama-server-<key>.users/`: one file per user process, holding its start time (so a
///   reused pid is not taken for the process that registered).
public final class LocalModelServer: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`.
    public let configuration: LocalModelConfiguration
    public private(set) var port = 0
    /// The server's threads (`-t`): this configuration's, or the reused server's.
    public private(set) var threads = 0
    /// True when `start()` found a server another process had started.
    public private(set) var reused = false
    public var endpoint: String { "http://127.0.0.1:\(port)" }
    private var process: Process?
    private var registration: String?
    private let lock = NSLock()
    private let registry: LocalServerRegistry

    public init(configuration: LocalModelConfiguration,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.configuration = configuration
        registry = LocalServerRegistry(directory: Self.cacheDirectory(environment: environment) + "/run",
                                       key: Self.key(configuration))
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

    /// The servers chartex runs on this machine now (for `status`, `model check` and the core budget).
    public static func running(environment: [String: String] = ProcessInfo.processInfo.environment) -> [RunningLocalServer] {
        LocalServerRegistry.all(in: cacheDirectory(environment: environment) + "/run")
    }

    /// The running server for this configuration, if any (not checked for health).
    public static func running(for configuration: LocalModelConfiguration,
                               environment: [String: String] = ProcessInfo.processInfo.environment) -> RunningLocalServer? {
        LocalServerRegistry(directory: cacheDirectory(environment: environment) + "/run", key: key(configuration)).state()
    }

    /// Reuses this machine's server for the same model, or starts one and waits until it has
    /// loaded the model.
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
        let lockFile = try await registry.lock(timeout: configuration.startupTimeout + 60)
        defer { registry.unlock(lockFile) }

        if let state = registry.state() {
            if await Self.answers(port: state.port) {
                let name = try registry.register()
                lock.withLock {
                    self.registration = name
                    self.port = state.port
                    self.threads = state.threads
                    self.reused = true
                }
                return
            }
            registry.forget(watchdog: state.watchdog)  // a stale entry: its server is gone
        }

        let port = configuration.port > 0 ? configuration.port : try await Self.freePort()
        let threads = configuration.threads ?? CoreBudget.defaultModelThreads()
        var arguments = [server, "-m", configuration.gguf, "--host", "127.0.0.1", "--port", String(port),
                         "-c", String(configuration.contextSize * max(1, configuration.slots)), "-np", String(configuration.slots),
                         "-t", String(threads), "-tb", String(threads), "--no-webui"]
        if let mmproj = configuration.mmproj { arguments += ["--mmproj", mmproj] }
        if let template = configuration.chatTemplateFile { arguments += ["--chat-template-file", template] }
        arguments += configuration.extraArguments

        let name = try registry.register()
        let log = NSTemporaryDirectory() + "chartex-llama-server-\(getpid())-\(port).log"
        _ = fm.createFile(atPath: log, contents: nil, attributes: [.posixPermissions: 0o600])
        let process = Process()
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", Self.watchdog, "chartex-llama-server", registry.lockPath, registry.usersPath] + arguments
            process.standardOutput = handle
            process.standardError = handle
            process.standardInput = FileHandle.nullDevice
            try process.run()
            try? handle.close()
        } catch {
            registry.unregister(name)
            throw error
        }
        lock.withLock {
            self.process = process
            self.registration = name
            self.port = port
            self.threads = threads
            self.reused = false
        }
        do {
            try registry.save(RunningLocalServer(watchdog: process.processIdentifier, port: port, threads: threads,
                                                 slots: configuration.slots, gguf: configuration.gguf,
                                                 mmproj: configuration.mmproj, log: log,
                                                 started: Date().timeIntervalSince1970))
        } catch {
            Glibc.kill(process.processIdentifier, SIGKILL)
            throw error
        }

        let deadline = Date().addingTimeInterval(configuration.startupTimeout)
        while Date() < deadline {
            guard process.isRunning else {
                let tail = Self.lastLines(log)
                shutDown(log: log)
                throw ModelError.unreachable("llama-server exited during startup (status \(process.terminationStatus)): \(tail)")
            }
            if await Self.answers(port: port) { return }
            try await Task.sleep(nanoseconds: 250_000_000)
        }
        shutDown(log: log)
        throw ModelError.timeout(seconds: configuration.startupTimeout)
    }

    /// Leaves the server: this process is no longer a user. The last user stops it (SIGKILL
    /// to llama-server and its watchdog: the server holds no state).
    public func stop() {
        let name = lock.withLock { () -> String? in
            defer { registration = nil; process = nil }
            return registration
        }
        guard let name else { return }
        guard let lockFile = try? registry.lockBlocking(timeout: 30) else {
            registry.unregister(name)  // the watchdog stops the server once no user is left
            return
        }
        defer { registry.unlock(lockFile) }
        registry.unregister(name)
        if registry.liveUsers().isEmpty, let state = registry.state() {
            Self.kill(watchdog: state.watchdog)
            registry.forget(watchdog: state.watchdog)
            try? FileManager.default.removeItem(atPath: state.log)
        }
    }

    /// Startup failed: kill what was started and forget it (the lock is held by `start`).
    private func shutDown(log: String) {
        let (process, name) = lock.withLock { () -> (Process?, String?) in
            defer { self.process = nil; registration = nil }
            return (self.process, registration)
        }
        if let name { registry.unregister(name) }
        if let process {
            Self.kill(watchdog: process.processIdentifier)
            registry.forget(watchdog: process.processIdentifier)
        }
        try? FileManager.default.removeItem(atPath: log)
    }

    static func kill(watchdog pid: Int32) {
        guard pid > 0 else { return }
        for child in children(of: pid) { Glibc.kill(child, SIGKILL) }
        Glibc.kill(pid, SIGKILL)
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, LocalServerRegistry.isAlive(pid: pid, startTime: nil) { usleep(20_000) }
    }

    /// True when `/health` answers 200 on the port.
    public static func answers(port: Int) async -> Bool {
        var probe = ModelConfiguration(endpoint: "http://127.0.0.1:\(port)")
        probe.requestTimeout = 2
        probe.connectTimeout = 1
        let client = ModelClient(configuration: probe, endpoint: probe.endpoint!)
        let ok = (try? await client.get("/health")) != nil
        await client.shutdown()
        return ok
    }

    /// A short stable key for one model setup: FNV-1a over the files that make the server.
    static func key(_ configuration: LocalModelConfiguration) -> String {
        let text = [configuration.gguf, configuration.mmproj ?? "", configuration.chatTemplateFile ?? "",
                    configuration.server ?? ""].joined(separator: "\0")
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// Runs llama-server and kills it when no registered user is alive. Users are files
    /// `<pid>-<id>` holding the process's start time (field 22 of /proc/PID/stat); a zombie or a
    /// pid reused by another process does not count. Before killing, the decision is re-checked
    /// under the registry's lock, so a process that is registering keeps the server. No traps
    /// and no `wait`: children inherit chartex's blocked SIGINT/SIGTERM, so the shell and
    /// llama-server are stopped with SIGKILL.
    static let watchdog = """
        lock=$1; users=$2; shift 2
        "$@" &
        child=$!
        live() {
          found=1
          for f in "$users"/*; do
            [ -f "$f" ] || continue
            name=${f##*/}; p=${name%%-*}
            want=$(cat "$f" 2>/dev/null)
            st=$(cat /proc/"$p"/stat 2>/dev/null) || { rm -f "$f"; continue; }
            set -- ${st##*) }
            if [ "$1" = Z ] || [ "$1" = X ] || { [ -n "$want" ] && [ "${20}" != "$want" ]; }; then rm -f "$f"; continue; fi
            found=0
          done
          return $found
        }
        while kill -0 "$child" 2>/dev/null; do
          if ! live; then
            exec 9>>"$lock"
            flock 9
            if ! live; then kill -9 "$child" 2>/dev/null; exit 0; fi
            flock -u 9
            exec 9>&-
          fi
          sleep 1
        done
        """

    /// Child processes (Linux /proc).
    static func children(of pid: Int32) -> [Int32] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
        return text.split(separator: " ").compactMap { Int32($0) }
    }

    static func lastLines(_ path: String) -> String {
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

/// A local server chartex started, as its registry file records it.
public struct RunningLocalServer: Sendable, Codable, Equatable {
    /// The watchdog shell's pid (llama-server is its child).
    public var watchdog: Int32
    public var port: Int
    public var threads: Int
    public var slots: Int
    public var gguf: String
    public var mmproj: String?
    public var log: String
    public var started: Double
    /// Processes using it now (filled in when listed).
    public var users: Int?
}

/// The files behind `LocalModelServer`'s one-server-per-machine rule.
struct LocalServerRegistry: Sendable {
    let directory: String
    let key: String
    var lockPath: String { "\(directory)/llama-server-\(key).lock" }
    var statePath: String { "\(directory)/llama-server-\(key).json" }
    var usersPath: String { "\(directory)/llama-server-\(key).users" }

    /// Takes the registry's lock, polling (never blocking a thread of the concurrency pool).
    func lock(timeout: Double) async throws -> Int32 {
        let fd = try openLock()
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                close(fd)
                throw ModelError.configuration("another chartex process holds \(lockPath) for over \(Int(timeout)) s")
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        return fd
    }

    func lockBlocking(timeout: Double) throws -> Int32 {
        let fd = try openLock()
        let deadline = Date().addingTimeInterval(timeout)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard Date() < deadline else {
                close(fd)
                throw ModelError.configuration("another chartex process holds \(lockPath)")
            }
            usleep(50_000)
        }
        return fd
    }

    func unlock(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }

    private func openLock() throws -> Int32 {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ModelError.configuration("cannot open \(lockPath): \(String(cString: strerror(errno)))") }
        return fd
    }

    func state() -> RunningLocalServer? {
        guard let data = FileManager.default.contents(atPath: statePath),
              var state = try? JSONDecoder().decode(RunningLocalServer.self, from: data) else { return nil }
        guard Self.isAlive(pid: state.watchdog, startTime: nil) else { return nil }
        state.users = liveUsers().count
        return state
    }

    func save(_ state: RunningLocalServer) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(state)
        let temporary = statePath + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw ModelError.configuration("cannot write \(temporary)")
        }
        guard rename(temporary, statePath) == 0 else { throw ModelError.configuration("cannot write \(statePath)") }
    }

    /// Removes the entry of a server that is gone (or was just stopped) and its users.
    func forget(watchdog: Int32) {
        if let data = FileManager.default.contents(atPath: statePath),
           let state = try? JSONDecoder().decode(RunningLocalServer.self, from: data), state.watchdog != watchdog {
            return  // another server has replaced it
        }
        try? FileManager.default.removeItem(atPath: statePath)
        try? FileManager.default.removeItem(atPath: usersPath)
    }

    /// Registers this process as a user; returns the file's name.
    func register() throws -> String {
        try FileManager.default.createDirectory(atPath: usersPath, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let name = "\(getpid())-\(UUID().uuidString.prefix(8))"
        let start = Self.startTime(pid: getpid()) ?? ""
        guard FileManager.default.createFile(atPath: "\(usersPath)/\(name)", contents: Data(start.utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw ModelError.configuration("cannot register in \(usersPath)")
        }
        return name
    }

    func unregister(_ name: String) {
        try? FileManager.default.removeItem(atPath: "\(usersPath)/\(name)")
    }

    /// Registered users whose process is alive (same pid and start time, not a zombie).
    func liveUsers() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: usersPath)) ?? []
        return names.filter { name in
            guard let pid = Int32(name.split(separator: "-").first ?? "") else { return false }
            let recorded = (try? String(contentsOfFile: "\(usersPath)/\(name)", encoding: .utf8)) ?? ""
            return Self.isAlive(pid: pid, startTime: recorded.isEmpty ? nil : recorded)
        }
    }

    static func all(in directory: String) -> [RunningLocalServer] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("llama-server-") && $0.hasSuffix(".json") }.compactMap { name in
            let key = String(name.dropFirst("llama-server-".count).dropLast(".json".count))
            return LocalServerRegistry(directory: directory, key: key).state()
        }
    }

    /// Fields after the command name in /proc/PID/stat (state is the first).
    static func statFields(pid: Int32) -> [Substring]? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.range(of: ") ", options: .backwards) else { return nil }
        return text[close.upperBound...].split(separator: " ")
    }

    static func startTime(pid: Int32) -> String? {
        guard let fields = statFields(pid: pid), fields.count > 19 else { return nil }
        return String(fields[19])
    }

    /// Alive: exists, is not a zombie, and (when given) started at `startTime`.
    static func isAlive(pid: Int32, startTime: String?) -> Bool {
        guard let fields = statFields(pid: pid), let state = fields.first, state != "Z", state != "X" else { return false }
        if let startTime, fields.count > 19, fields[19] != Substring(startTime.trimmingCharacters(in: .whitespacesAndNewlines)) {
            return false
        }
        return true
    }
}
