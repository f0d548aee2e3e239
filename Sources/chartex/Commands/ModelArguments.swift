import ArgumentParser
import Dispatch
import Extraction
import Foundation
import ModelClient
import ModelExtraction

/// Which extractor `ingest`, `worker` and `extract` run.
struct ExtractorArguments: ParsableArguments {
    enum Extractor: String, ExpressibleByArgument, CaseIterable { case rules, model, hybrid, none }

    @Option(help: "Extractor: rules, model, hybrid (rules and model, compared) or none. Default: hybrid when a model is configured, else rules.")
    var extractor: Extractor?

    /// The extractor to run: the one asked for, else hybrid when a model is configured.
    func mode(_ configuration: ModelConfiguration) -> ExtractorMode? {
        switch extractor {
        case .none?: nil
        case .rules?: .rules
        case .model?: .model
        case .hybrid?: .hybrid
        case nil: configuration.isConfigured ? .hybrid : .rules
        }
    }
}

/// Model settings shared by the commands that can use one. Precedence: these options, then
/// `CHARTEX_MODEL_*` variables, then the config file (docs/model.md).
struct ModelArguments: ParsableArguments {
    @Option(name: .customLong("model-config"), help: "JSON config file for the model (default $CHARTEX_CONFIG, then ~/.config/chartex/model.json).")
    var modelConfig: String?

    @Option(name: .customLong("model-url"), help: """
        Base URL of an OpenAI-compatible server (vLLM, llama-server, LM Studio) or of Ollama. Give it more than once \
        (or separate URLs by commas) to spread requests over several servers of the same model.
        """)
    var modelURLs: [String] = []

    /// The servers given on the command line, as one endpoint setting (nil when none).
    var modelURL: String? { modelURLs.isEmpty ? nil : modelURLs.joined(separator: ",") }

    @Option(name: .customLong("model"), help: "Model name sent to the server (e.g. google/medgemma-1.5-4b-it, medgemma1.5).")
    var modelName: String?

    @Option(help: "Constrained-output dialect: json_schema, json_object, ollama or none.")
    var dialect: OutputDialect?

    @Option(name: .customLong("model-concurrency"), help: "Model requests in flight at once.")
    var modelConcurrency: Int?

    @Option(name: .customLong("model-timeout"), help: "Seconds a model request may take.")
    var modelTimeout: Double?

    @Flag(name: .customLong("local-model"), help: "Start the local llama-server with the default model installed by scripts/setup-model.sh.")
    var localModel = false

    @Option(name: .customLong("gguf"), help: "Start a local llama-server with this GGUF model (add --mmproj for vision).")
    var gguf: String?

    @Option(help: "Vision projector GGUF for --gguf (MedGemma's mmproj).")
    var mmproj: String?

    @Option(name: .customLong("model-threads"), help: "Threads of the local llama-server (default: half the cores; OCR gets the rest).")
    var modelThreads: Int?

    /// The configuration the options, environment and file give.
    func configuration() throws -> ModelConfiguration {
        var configuration: ModelConfiguration
        do {
            configuration = try ModelConfiguration.load(file: modelConfig)
        } catch let error as ModelError {
            throw CommandFailure(message: error.description, exitCode: ExitCode(64))
        }
        if let modelURL { configuration.endpoint = modelURL }
        if let modelName { configuration.model = modelName }
        if let dialect { configuration.dialect = dialect }
        if let modelConcurrency { configuration.concurrency = modelConcurrency }
        if let modelTimeout { configuration.requestTimeout = modelTimeout }
        if let modelThreads {
            guard modelThreads >= 1 else { throw CommandFailure(message: "--model-threads must be at least 1", exitCode: ExitCode(64)) }
            configuration.modelThreads = modelThreads
        }
        if let gguf {
            var local = configuration.local ?? LocalModelConfiguration(gguf: gguf)
            local.gguf = gguf
            local.mmproj = mmproj ?? local.mmproj
            configuration.local = local
            if modelURL == nil { configuration.endpoint = nil }
        } else if localModel {
            guard let local = LocalModelServer.defaultConfiguration() else {
                throw CommandFailure(message: "no local model installed: run scripts/setup-model.sh", exitCode: ExitCode(69))
            }
            configuration.local = local
            if modelURL == nil { configuration.endpoint = nil }
        }
        if let local = configuration.local, local.slots < configuration.concurrency {
            configuration.local?.slots = configuration.concurrency
        }
        do {
            try configuration.check()
        } catch let error as ModelError {
            throw CommandFailure(message: error.description, exitCode: ExitCode(64))
        }
        return configuration
    }

    /// Connects to the configured model (starting the local server if that is what is
    /// configured), or nil when `mode` needs no model. Exit 69 when a model is needed and none
    /// is configured or it cannot be started.
    func session(for mode: ExtractorMode?, budget: CoreBudget? = nil) throws -> ModelSession? {
        guard let mode, mode != .rules else { return nil }
        return try ModelSession.open(try configuration(), budget: budget)
    }
}

/// A model client, and the local server behind it when chartex started one.
final class ModelSession {
    let client: ModelClient
    let server: LocalModelServer?

    private init(client: ModelClient, server: LocalModelServer?) {
        self.client = client
        self.server = server
    }

    /// `budget`: the core split the process runs with (`CoreBudget.decide(for:…)`); a local
    /// server started now gets its model threads. Default: the split of a process without OCR.
    static func open(_ configuration: ModelConfiguration, budget: CoreBudget? = nil) throws -> ModelSession {
        if let endpoint = configuration.endpoint {
            return ModelSession(client: ModelClient(configuration: configuration, endpoint: endpoint), server: nil)
        }
        guard var local = configuration.local else {
            throw CommandFailure(message: ModelError.notConfigured.description, exitCode: ExitCode(69))
        }
        let budget = budget ?? CoreBudget.decide(for: configuration, usesModel: true, ocrJobs: nil)
        if budget.modelThreads > 0 { local.threads = budget.modelThreads }
        let server = LocalModelServer(configuration: local)
        do {
            try blocking { try await server.start() }
        } catch {
            throw CommandFailure(message: "cannot start the local model: \(error)", exitCode: ExitCode(69))
        }
        return ModelSession(client: ModelClient(configuration: configuration, endpoint: server.endpoint), server: server)
    }

    func close() {
        let client = self.client
        try? blocking { await client.shutdown() }
        server?.stop()
    }

    func extractor() throws -> ModelExtractor {
        do {
            return ModelExtractor(client: client, definitions: try ChartSchemas.definitions())
        } catch {
            throw CommandFailure(message: "cannot load the schemas: \(error)", exitCode: ExitCode(70))
        }
    }
}

/// Runs async work from a synchronous command (the main thread waits; the work runs on the
/// concurrency pool).
func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    Task {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        done.signal()
    }
    done.wait()
    return try box.result!.get()
}

private final class ResultBox<T>: @unchecked Sendable {
    // @unchecked: written once by the task before the semaphore is signalled, read after.
    var result: Result<T, any Error>?
}

extension OutputDialect: ExpressibleByArgument {}
