import ArgumentParser
import Embedding
import SemanticIndex
import ChartModel
import ChartReading
import Dispatch
import Foundation
import ModelClient
import ModelExtraction
import Storage
import Worker

extension Chartex {
    /// `chartex ingest`: queue files (skipping ones already imported) and process them.
    struct Ingest: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import PDFs into the store: hash, skip what is already there, queue, read page by page.",
            discussion: """
                Files are taken as given; folders are searched recursively for *.pdf. A file whose \
                bytes (SHA-256) are already stored is skipped. Every page is committed as soon as it \
                is read, so an interrupted import resumes where it stopped (chartex worker, or \
                ingest again). Ends with a summary; exits 65 when any file failed.
                """)

        @Argument(help: "PDF files or folders.")
        var paths: [String]

        @Flag(help: "Only queue the files; a `chartex worker` processes them.")
        var enqueueOnly = false

        @Flag(help: "Print the summary as JSON.")
        var json = false

        @OptionGroup var database: DatabaseArguments
        @OptionGroup var reading: ReadingArguments
        @OptionGroup var worker: WorkerArguments

        func run() throws {
            try Chartex.run {
                let store = try database.open()
                let (candidates, problems) = FileIntake.candidates(paths.map(RawPath.argument))
                var queued = 0, duplicates = 0
                var failures = problems
                for problem in problems { FileHandle.standardError.write(Data("chartex: \(problem)\n".utf8)) }
                for candidate in candidates {
                    do {
                        let (sha, size) = try FileIntake.digest(candidate)
                        switch try store.enqueue(path: candidate.uri, displayPath: candidate.display,
                                                 fileName: candidate.fileName, sha256: sha, size: size) {
                        case .queued: queued += 1
                        case .duplicate: duplicates += 1
                        }
                    } catch let error as IntakeError {
                        failures.append(error.description)
                        FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
                    }
                }
                var outcomes: [DocumentOutcome] = []
                if !enqueueOnly {
                    outcomes = try worker.drain(store, reading: reading, follow: false)
                }
                let summary = IngestSummary(queued: queued, alreadyImported: duplicates, outcomes: outcomes,
                                            problems: failures)
                summary.print(json: json)
                if summary.failed > 0 || summary.partial > 0 { throw ExitStatus.inputFailed }
            }
        }
    }
}

extension RawPath {
    /// A path from the command line, as its raw bytes: argument parsing decodes arguments as
    /// UTF-8 (lossily), so the raw argument that decodes to the same text is used when there
    /// is one.
    static func argument(_ text: String) -> RawPath {
        for index in 0..<Int(CommandLine.argc) {
            guard let argument = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(argument).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(argument)))
            if String(decoding: bytes, as: UTF8.self) == text { return RawPath(bytes: bytes) }
        }
        return RawPath(text)
    }
}

enum SemanticIndexMode: String, ExpressibleByArgument, CaseIterable { case auto, on, off }

/// Lease and retry settings shared by `ingest` and `worker`.
struct WorkerArguments: ParsableArguments {
    @Option(help: "Seconds a job's lease lasts without a page being committed.")
    var leaseSeconds: Double = 120

    @Option(help: "Give up on a document after this many interrupted attempts.")
    var maxAttempts: Int = 3

    @Option(help: "Seconds to wait for a store that cannot be reached (a database server restarting, a cut link) before giving up.")
    var storeOutageSeconds: Double = 600

    @Option(help: "This worker's name in the queue (default: the host name), e.g. to tell workers on several hosts apart.")
    var workerName: String?

    @Option(help: """
        Embed the pages' lines for `search --semantic` and `ask` once the documents are read: auto (when the \
        embedding model is installed, scripts/setup-embedder.sh), on (a missing model is an error) or off.
        """)
    var semanticIndex: SemanticIndexMode = .auto

    @OptionGroup var model: ModelArguments
    @OptionGroup var extraction: ExtractorArguments

    func options(_ mode: ExtractorMode?) -> WorkerOptions {
        var options = WorkerOptions()
        options.leaseSeconds = leaseSeconds
        options.maxAttempts = maxAttempts
        options.storeOutageSeconds = storeOutageSeconds
        options.name = workerName
        options.extractor = mode
        return options
    }

    /// Runs a worker on `store` until the queue is empty (or, with `follow`, until SIGINT or
    /// SIGTERM), with progress on stderr.
    ///
    /// `stop`: a flag set by someone else (the server's graceful shutdown) instead of the
    /// process's own signal handling.
    func drain(_ store: any Store, reading: ReadingArguments, follow: Bool, stop: StopFlag? = nil) throws -> [DocumentOutcome] {
        // The process's own SIGINT/SIGTERM handling, kept alive until the drain returns.
        let trap = stop == nil ? SignalTrap() : nil
        defer { withExtendedLifetime(trap) {} }
        let flag = stop ?? trap!.flag
        let configuration = try model.configuration()
        let mode = extraction.mode(configuration)
        // OCR threads + a local model's threads stay within the cores (CoreBudget).
        let budget = CoreBudget.decide(for: configuration, usesModel: mode != nil && mode != .rules, ocrJobs: reading.jobs)
        let session = try model.session(for: mode, budget: budget)
        defer { session?.close() }
        if session != nil {
            let threads = session?.server?.threads ?? budget.modelThreads
            let split = CoreBudget(cores: budget.cores, ocrThreads: budget.ocrThreads, modelThreads: threads,
                                   source: session?.server?.reused == true ? "reused server" : budget.source)
            FileHandle.standardError.write(Data("chartex: \(split)\n".utf8))
        }
        let reader = reading.makeReader(threads: budget.ocrThreads)
        defer { reader.shutdown() }
        let progress = WorkerProgress(activity: session?.client.activity)
        defer { progress.finish() }
        var stage: ModelStage?
        if let session, let mode {
            let client = session.client
            let images = try blocking { await client.canSendImages() }
            stage = ModelStage(extractor: try session.extractor(), mode: mode, database: store, sendImages: images,
                               heartbeatSeconds: max(1, leaseSeconds / 4))
        }
        let worker = ImportWorker(database: store, reader: reader, readOptions: reading.options, options: options(mode),
                                  model: stage, stop: flag, onEvent: progress.report)
        let outcomes = try worker.run(follow: follow)
        if let activity = session?.client.activity {
            FileHandle.standardError.write(Data("chartex: \(activity.snapshot())\n".utf8))
        }
        if !flag.isSet { try buildSemanticIndex(store, stop: flag) }
        return outcomes
    }

    /// Embeds the pages not indexed yet (resumable: one page per transaction).
    func buildSemanticIndex(_ store: any Store, stop: StopFlag) throws {
        guard semanticIndex != .off else { return }
        guard SentenceEmbedder.isInstalled() else {
            if semanticIndex == .on {
                throw CommandFailure(message: "\(EmbeddingError.modelNotInstalled(SentenceEmbedder.defaultDirectory.path))",
                                     exitCode: ExitStatus.inputFailed)
            }
            return
        }
        let index = SemanticIndex(store: store, embedder: try SentenceEmbedder())
        let done = try index.indexMissing(shouldStop: { stop.isSet })
        if done.pages > 0 {
            FileHandle.standardError.write(Data(String(format: "chartex: semantic index: %d pages, %d lines in %.1f s (%.0f ms per page)\n",
                                                       done.pages, done.lines, done.seconds,
                                                       1000 * done.seconds / Double(done.pages)).utf8))
        }
    }
}

/// Per-document progress on stderr when it is a terminal; errors always. With a model, the
/// line also shows the requests in flight and the model's speed, refreshed every second (and,
/// when stderr is not a terminal, a line every `logInterval` seconds while requests are out),
/// so a slow model is visible and never looks like a hang.
final class WorkerProgress: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`; `report` runs on the worker's thread,
    // the timer on its own queue.
    private let terminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var shown = false
    private var currentPath = ""
    private var line = ""
    private let activity: ModelActivity?
    private var timer: (any DispatchSourceTimer)?
    private var lastLog = Date()
    private let logInterval: Double

    init(activity: ModelActivity? = nil, logInterval: Double = 60) {
        self.activity = activity
        self.logInterval = logInterval
        guard activity != nil else { return }
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "chartex.progress"))
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in self?.tick() }
        timer.resume()
        self.timer = timer
    }

    func report(_ event: WorkerEvent) {
        lock.withLock {
            switch event {
            case .started(let id, let path, let resumed):
                currentPath = path
                status("document \(id) \((path as NSString).lastPathComponent)" + (resumed > 0 ? " (resuming after \(resumed) pages)" : ""))
            case .page(let id, let number, let failed):
                if let failed {
                    clear()
                    FileHandle.standardError.write(Data("chartex: \(currentPath) (document \(id)): page \(number): \(failed)\n".utf8))
                } else {
                    status("document \(id): page \(number)")
                }
            case .warning(let id, let number, let message):
                clear()
                FileHandle.standardError.write(Data("chartex: \(currentPath) (document \(id)): page \(number): warning: \(message)\n".utf8))
            case .finished(let outcome):
                if outcome.status == .failed || outcome.status == .partial {
                    clear()
                    FileHandle.standardError.write(Data("chartex: \(outcome.path): \(outcome.error ?? outcome.status.rawValue)\n".utf8))
                }
            case .released(let id):
                clear()
                FileHandle.standardError.write(Data("chartex: document \(id) handed back to the queue\n".utf8))
            case .storeUnavailable(let message):
                clear()
                FileHandle.standardError.write(Data("chartex: \(message); waiting for it\n".utf8))
            }
        }
    }

    func finish() {
        timer?.cancel()
        lock.withLock { clear() }
    }

    private func tick() {
        guard let activity else { return }
        let snapshot = activity.snapshot()
        lock.withLock {
            if terminal {
                if shown || snapshot.inFlight > 0 { status(line) }
            } else if snapshot.inFlight > 0, Date().timeIntervalSince(lastLog) >= logInterval {
                lastLog = Date()
                FileHandle.standardError.write(Data("chartex: \(snapshot)\n".utf8))
            }
        }
    }

    /// Call with `lock` held.
    private func status(_ text: String) {
        line = text
        guard terminal else { return }
        var shownText = text
        if let snapshot = activity?.snapshot(), snapshot.inFlight > 0 || snapshot.done > 0 {
            shownText += (shownText.isEmpty ? "" : " · ") + snapshot.description
        }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(shownText)".utf8))
        shown = true
    }

    /// Call with `lock` held.
    private func clear() {
        guard shown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        shown = false
    }
}

/// The end-of-ingest summary.
struct IngestSummary: Encodable {
    var queued: Int
    var alreadyImported: Int
    var completed = 0
    var partial = 0
    var failed = 0
    var pagesRead = 0
    var pagesFailed = 0
    var failures: [String] = []

    init(queued: Int, alreadyImported: Int, outcomes: [DocumentOutcome], problems: [String]) {
        self.queued = queued
        self.alreadyImported = alreadyImported
        for outcome in outcomes {
            pagesRead += outcome.pagesRead
            pagesFailed += outcome.pagesFailed
            switch outcome.status {
            case .completed: completed += 1
            case .partial:
                partial += 1
                failures.append("\(outcome.path): partly read: \(outcome.error ?? "some pages failed")")
            case .failed:
                failed += 1
                failures.append("\(outcome.path): \(outcome.error ?? "failed")")
            default: break
            }
        }
        failed += problems.count
        failures += problems
    }

    func print(json: Bool) {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            if let data = try? encoder.encode(self) { Swift.print(String(decoding: data, as: UTF8.self)) }
            return
        }
        Swift.print("queued \(queued), already imported \(alreadyImported); completed \(completed), partial \(partial), failed \(failed); pages read \(pagesRead), pages failed \(pagesFailed)")
        for failure in failures { Swift.print("  \(failure)") }
    }
}
