import Foundation
@testable import ModelClient
import Validation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// scripts/fake_model_server.py as a child process: the faults a real server cannot produce
/// on demand. Stopped when released.
final class FakeModelServer {
    let process = Process()
    let port: Int
    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(_ arguments: [String] = []) throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("chartex-fake-\(UUID().uuidString)").path
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/fake_model_server.py").path,
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
    func requests() async throws -> [JSONValue] {
        try await get("/_requests").arrayValue ?? []
    }

    func maxInFlight() async throws -> Int {
        try await get("/_stats")["maxInFlight"]?.intValue ?? 0
    }

    private func get(_ path: String) async throws -> JSONValue {
        let client = ModelClient(configuration: ModelConfiguration(endpoint: endpoint), endpoint: endpoint)
        defer { Task { await client.shutdown() } }
        return try JSONValue(parsing: try await client.get(path))
    }
}
