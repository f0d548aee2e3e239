import Foundation

/// How the cores are shared between OCR threads and a local llama-server's threads: decided
/// here and nowhere else.
///
/// llama.cpp's threads wait for each other at every layer; when another busy thread (a second
/// server, or Tesseract) takes one of their cores, every token waits for the thread that lost
/// its core, and generation slows by far more than the share of CPU it lost (measured in
/// docs/model.md: "Sharing the cores"). So when chartex starts or uses a local server, OCR
/// threads plus model threads never exceed the cores, unless the user says otherwise.
public struct CoreBudget: Sendable, Equatable, Codable, CustomStringConvertible {
    public var cores: Int
    /// Pages read in parallel (one Tesseract engine each).
    public var ocrThreads: Int
    /// llama-server's `-t`; 0 when no local server is involved.
    public var modelThreads: Int
    /// Where the split came from: `default`, `--jobs`, `--model-threads`, `as given`, `running server`.
    public var source: String

    public init(cores: Int, ocrThreads: Int, modelThreads: Int, source: String) {
        self.cores = cores
        self.ocrThreads = ocrThreads
        self.modelThreads = modelThreads
        self.source = source
    }

    /// The cores this process may use.
    public static var availableCores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// Model threads of a local server when nobody says: half the cores (at least one), so
    /// that OCR keeps the other half.
    public static func defaultModelThreads(cores: Int = availableCores) -> Int { max(1, cores / 2) }

    /// The split for a process. `localModel`: this process starts or uses a local llama-server.
    /// `ocrJobs` / `modelThreads`: the user's overrides (`--jobs`, `--model-threads`,
    /// `CHARTEX_MODEL_THREADS`, the config file's `local.threads`). `runningServerThreads`: the
    /// threads of a server chartex already runs on this machine (it is reused, with its threads).
    public static func decide(cores: Int = availableCores, localModel: Bool, ocrJobs: Int?, modelThreads: Int?,
                              runningServerThreads: Int? = nil) -> CoreBudget {
        let cores = max(1, cores)
        guard localModel else {
            return CoreBudget(cores: cores, ocrThreads: ocrJobs ?? cores, modelThreads: 0,
                              source: ocrJobs == nil ? "default" : "--jobs")
        }
        if let running = runningServerThreads {
            return CoreBudget(cores: cores, ocrThreads: ocrJobs ?? max(1, cores - running), modelThreads: running,
                              source: ocrJobs == nil ? "running server" : "running server, --jobs")
        }
        switch (ocrJobs, modelThreads) {
        case let (ocr?, model?):
            return CoreBudget(cores: cores, ocrThreads: ocr, modelThreads: model, source: "as given")
        case let (nil, model?):
            return CoreBudget(cores: cores, ocrThreads: max(1, cores - model), modelThreads: model, source: "--model-threads")
        case let (ocr?, nil):
            return CoreBudget(cores: cores, ocrThreads: ocr, modelThreads: max(1, cores - ocr), source: "--jobs")
        case (nil, nil):
            let model = defaultModelThreads(cores: cores)
            return CoreBudget(cores: cores, ocrThreads: max(1, cores - model), modelThreads: model, source: "default")
        }
    }

    /// True when the threads asked for exceed the cores (only possible when the user chose so).
    public var oversubscribed: Bool { ocrThreads + modelThreads > cores }

    public var description: String {
        var text = "\(cores) cores: \(ocrThreads) OCR thread\(ocrThreads == 1 ? "" : "s")"
        if modelThreads > 0 { text += ", \(modelThreads) model thread\(modelThreads == 1 ? "" : "s")" }
        text += " (\(source))"
        if oversubscribed { text += " — more threads than cores: the model will be slow while OCR runs" }
        return text
    }
}

extension CoreBudget {
    /// The split for a process that reads pages with `ocrJobs` (nil: not given) and, when
    /// `usesModel`, talks to the model `configuration` names. A local model is one chartex
    /// starts (`local`, no endpoint) or a server chartex started on this machine (the endpoint
    /// is its 127.0.0.1 port): its threads come out of the same cores.
    public static func decide(for configuration: ModelConfiguration, usesModel: Bool, ocrJobs: Int?,
                              cores: Int = availableCores) -> CoreBudget {
        guard usesModel else { return decide(cores: cores, localModel: false, ocrJobs: ocrJobs, modelThreads: nil) }
        if let endpoint = configuration.endpoint {
            let url = URL(string: endpoint)
            let running = ["127.0.0.1", "localhost", "::1"].contains(url?.host ?? "")
                ? LocalModelServer.running().first { $0.port == url?.port } : nil
            return decide(cores: cores, localModel: running != nil, ocrJobs: ocrJobs, modelThreads: nil,
                          runningServerThreads: running?.threads)
        }
        guard let local = configuration.local else {
            return decide(cores: cores, localModel: false, ocrJobs: ocrJobs, modelThreads: nil)
        }
        return decide(cores: cores, localModel: true, ocrJobs: ocrJobs, modelThreads: configuration.modelThreads ?? local.threads,
                      runningServerThreads: LocalModelServer.running(for: local)?.threads)
    }
}
