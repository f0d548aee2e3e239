import ArgumentParser
import Foundation
import ModelClient
import Worker

extension Chartex {
    /// `chartex model`: the configured model server.
    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the local model server, or check what the configured server can do.",
            subcommands: [Serve.self, Check.self])

        struct Serve: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Run llama-server on 127.0.0.1 with the configured GGUF (default: the model setup installed) until SIGINT/SIGTERM.",
                discussion: """
                    Prints the endpoint once the model is loaded; point other chartex commands at it with \
                    --model-url or CHARTEX_MODEL_URL. The server stops when this command exits, even on kill -9.
                    """)

            @Option(help: "Port (0 = a free one).")
            var port = 0

            @OptionGroup var model: ModelArguments

            func run() throws {
                try Chartex.run {
                    var configuration = try model.configuration()
                    if configuration.local == nil { configuration.local = LocalModelServer.defaultConfiguration() }
                    guard var local = configuration.local else {
                        throw CommandFailure(message: "no local model configured or installed: run scripts/setup-model.sh, or pass --gguf",
                                             exitCode: ExitCode(69))
                    }
                    local.port = port
                    local.slots = max(local.slots, configuration.concurrency)
                    let server = LocalModelServer(configuration: local)
                    let trap = SignalTrap()
                    do {
                        try blocking { try await server.start() }
                    } catch {
                        throw CommandFailure(message: "cannot start llama-server: \(error)", exitCode: ExitCode(69))
                    }
                    FileHandle.standardOutput.write(Data("serving \((local.gguf as NSString).lastPathComponent) at \(server.endpoint)\n".utf8))
                    while !trap.flag.isSet { Thread.sleep(forTimeInterval: 0.2) }
                    server.stop()
                }
            }
        }

        struct Check: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Report whether the configured model server is reachable, its models, vision, and whether the dialect gives valid constrained JSON.",
                discussion: "Exits 0 when the server is reachable and the dialect works, 69 otherwise.")

            @Flag(help: "Print the report as JSON.")
            var json = false

            @OptionGroup var model: ModelArguments

            func run() throws {
                try Chartex.run {
                    let configuration = try model.configuration()
                    guard configuration.isConfigured else {
                        throw CommandFailure(message: ModelError.notConfigured.description, exitCode: ExitCode(69))
                    }
                    let session = try ModelSession.open(configuration)
                    defer { session.close() }
                    let client = session.client
                    let report = try blocking { await client.probe() }
                    if json {
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        print(String(decoding: try encoder.encode(report), as: UTF8.self))
                    } else {
                        print("configuration: \(configuration)")
                        print("endpoint:  \(report.endpoint)\(session.server != nil ? " (local llama-server started for this check)" : "")")
                        print("reachable: \(report.reachable ? "yes" : "no")" + (report.error.map { " — \($0)" } ?? ""))
                        if !report.models.isEmpty { print("models:    \(report.models.joined(separator: ", "))") }
                        print("vision:    \(report.vision.map { $0 ? "yes" : "no" } ?? "not reported (images are tried, and dropped if refused)")")
                        if let context = report.contextSize { print("context:   \(context) tokens") }
                        print("dialect:   \(report.dialect) — " + (report.dialectWorks == true ? "valid constrained JSON"
                            + (report.seconds.map { " in \($0) s" } ?? "") : "FAILED" + (report.dialectError.map { ": \($0)" } ?? "")))
                    }
                    if !report.reachable || report.dialectWorks != true { throw ExitCode(69) }
                }
            }
        }
    }
}
