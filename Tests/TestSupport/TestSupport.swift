import Foundation
import ModelClient
import Validation

#if canImport(Glibc)
import Glibc
#endif

/// The package's root folder (Samples/, scripts/, .build/).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// What a `chartex` run printed and returned.
public struct CommandResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs the built `chartex` binary (scripts/test.sh builds it before `swift test`), with extra
/// environment variables.
public func chartex(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let binary = packageRoot.appendingPathComponent(".build/debug/chartex")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
        throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: binary.path + " (run swift build first)"])
    }
    return try collect(binary, arguments, environment: environment)
}

/// Runs a program (in the package root) and collects what it printed and its status.
func collect(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = packageRoot
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
    }
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read both pipes to the end before waiting, so a full pipe cannot block the child.
    let errData = ErrorReader(err.fileHandleForReading)
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData.data(), as: UTF8.self))
}

/// Drains a pipe on its own thread.
private final class ErrorReader: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var bytes = Data()

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            bytes = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func data() -> Data {
        done.wait()
        return bytes
    }
}

/// scripts/fake_model_server.py as a child process: the faults a real server cannot produce
/// on demand. Killed when released.
public final class FakeModelServer: @unchecked Sendable {
    let process = Process()
    public let port: Int
    public var endpoint: String { "http://127.0.0.1:\(port)" }

    public init(_ arguments: [String] = []) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("chartex-fake-\(UUID().uuidString)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", packageRoot.appendingPathComponent("scripts/fake_model_server.py").path,
                             "--port-file", portFile] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { try? FileManager.default.removeItem(atPath: portFile) }
        let deadline = Date().addingTimeInterval(20)
        var port: Int?
        while port == nil, Date() < deadline, process.isRunning {
            port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0) }
            if port == nil { usleep(20_000) }
        }
        guard let port else {
            process.terminate()
            throw CocoaError(.fileReadCorruptFile, userInfo: [NSLocalizedDescriptionKey: "the fake model server did not start"])
        }
        self.port = port
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
    }

    /// What the server received, in order: {path, body, authorization}.
    public func requests() async throws -> [JSONValue] {
        try await get("/_requests").arrayValue ?? []
    }

    public func maxInFlight() async throws -> Int {
        try await get("/_stats")["maxInFlight"]?.intValue ?? 0
    }

    private func get(_ path: String) async throws -> JSONValue {
        var configuration = ModelConfiguration(endpoint: endpoint)
        configuration.maxResponseBytes = 256 << 20  // the request log holds base64 page images
        let client = ModelClient(configuration: configuration, endpoint: endpoint)
        defer { Task { await client.shutdown() } }
        return try JSONValue(parsing: try await client.get(path))
    }
}

/// Writes the layout-family corpus (scripts/corpus/make_chart_corpus.py, one document per
/// family with `perFamily: 1`, born-digital) into `folder`, with the corpus venv's Python
/// (scripts/setup-corpus.sh). Returns false when the generator failed.
public func makeChartCorpus(in folder: URL, perFamily: Int = 1) throws -> Bool {
    let cache = ProcessInfo.processInfo.environment["CHARTEX_CACHE"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/chartex").path
    let result = try collect(URL(fileURLWithPath: "\(cache)/venv-corpus/bin/python"),
                             [packageRoot.appendingPathComponent("scripts/corpus/make_chart_corpus.py").path,
                              "--out", folder.path, "--per-family", String(perFamily)])
    return result.status == 0
}

/// Which store a test runs on.
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres
    public var description: String { rawValue }
}

/// The real PostgreSQL the tests use: `$CHARTEX_TEST_POSTGRES` (scripts/test.sh starts a
/// throwaway cluster and sets it). Each test gets a database of its own.
public enum TestPostgres {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var url: String?

    /// The server's URL (its database `chartex`).
    public static func serverURL() throws -> String {
        try lock.withLock {
            if let url { return url }
            if let given = ProcessInfo.processInfo.environment["CHARTEX_TEST_POSTGRES"], !given.isEmpty {
                url = given
                return given
            }
            // Started by scripts/test.sh. The tests do not start one themselves: on Linux,
            // Foundation's Process.waitUntilExit missed the exit of the script that starts the
            // cluster (pg_ctl under runuser) and the whole run hung; a clear failure is better.
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey:
                "no PostgreSQL for the tests: run scripts/test.sh, or start one with `scripts/postgres-cluster.sh start DIR --fast` "
                + "and set CHARTEX_TEST_POSTGRES to the URL it prints"])
        }
    }

    /// A new, empty database on the test server; its URL.
    public static func newDatabase() throws -> String {
        let server = try serverURL()
        let name = "chartex_test_" + UUID().uuidString.prefix(8).lowercased()
        let created = try run(["psql", server, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"])
        guard created.status == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "CREATE DATABASE: \(created.stderr)"])
        }
        let base = server[..<(server.lastIndex(of: "/") ?? server.endIndex)]
        return "\(base)/\(name)"
    }

    /// Drops a database made by `newDatabase` (connections to it are closed).
    public static func dropDatabase(_ url: String) {
        guard let server = try? serverURL(), let name = url.split(separator: "/").last else { return }
        _ = try? run(["psql", server, "-q", "-c", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }

    /// Runs a program from PATH and collects what it printed.
    @discardableResult
    public static func run(_ arguments: [String]) throws -> CommandResult {
        try collect(URL(fileURLWithPath: "/usr/bin/env"), arguments)
    }
}
