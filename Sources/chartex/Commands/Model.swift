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
                    if let threads = configuration.modelThreads { local.threads = threads }
                    let server = LocalModelServer(configuration: local)
                    let trap = SignalTrap()
                    do {
                        try blocking { try await server.start() }
                    } catch {
                        throw CommandFailure(message: "cannot start llama-server: \(error)", exitCode: ExitCode(69))
                    }
                    let serving = "serving \((local.gguf as NSString).lastPathComponent) at \(server.endpoint)"
                        + " with \(server.threads) thread\(server.threads == 1 ? "" : "s")\(server.reused ? " (already running: reused)" : "")\n"
                    FileHandle.standardOutput.write(Data(serving.utf8))
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
                    // The split an ingest with this model would run with (CoreBudget).
                    var budget = CoreBudget.decide(for: configuration, usesModel: true, ocrJobs: nil)
                    if let server = session.server, server.threads > 0, budget.modelThreads != server.threads {
                        budget = CoreBudget.decide(localModel: true, ocrJobs: nil, modelThreads: nil, runningServerThreads: server.threads)
                    }
                    if json {
                        let encoder = JSONEncoder()
                        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                        print(String(decoding: try encoder.encode(CheckOutput(report: report, coreBudget: budget)), as: UTF8.self))
                    } else {
                        print("configuration: \(configuration)")
                        let local = session.server.map { $0.reused ? " (the local llama-server chartex already runs, \($0.threads) thread\($0.threads == 1 ? "" : "s"))"
                            : " (local llama-server started for this check, \($0.threads) thread\($0.threads == 1 ? "" : "s"))" } ?? ""
                        print("endpoint:  \(report.endpoint)\(local)")
                        print("cores:     \(budget)")
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

    /// `model check --json`: the server's report (at the top level) and the core split.
    struct CheckOutput: Encodable {
        var report: ServerCapabilities
        var coreBudget: CoreBudget

        enum CodingKeys: String, CodingKey { case coreBudget }

        func encode(to encoder: any Encoder) throws {
            try report.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(coreBudget, forKey: .coreBudget)
        }
    }
}
