import ArgumentParser
import ChartModel
import ChartReading
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

/// Lease and retry settings shared by `ingest` and `worker`.
struct WorkerArguments: ParsableArguments {
    @Option(help: "Seconds a job's lease lasts without a page being committed.")
    var leaseSeconds: Double = 120

    @Option(help: "Give up on a document after this many interrupted attempts.")
    var maxAttempts: Int = 3

    @OptionGroup var model: ModelArguments
    @OptionGroup var extraction: ExtractorArguments

    func options(_ mode: ExtractorMode?) -> WorkerOptions {
        var options = WorkerOptions()
        options.leaseSeconds = leaseSeconds
        options.maxAttempts = maxAttempts
        options.extractor = mode
        return options
    }

    /// Runs a worker on `store` until the queue is empty (or, with `follow`, until SIGINT or
    /// SIGTERM), with progress on stderr.
    func drain(_ store: AppDatabase, reading: ReadingArguments, follow: Bool) throws -> [DocumentOutcome] {
        let trap = SignalTrap()
        let reader = reading.makeReader()
        defer { reader.shutdown() }
        let progress = WorkerProgress()
        defer { progress.finish() }
        let configuration = try model.configuration()
        let mode = extraction.mode(configuration)
        let session = try model.session(for: mode)
        defer { session?.close() }
        var stage: ModelStage?
        if let session, let mode {
            let client = session.client
            let images = try blocking { await client.canSendImages() }
            stage = ModelStage(extractor: try session.extractor(), mode: mode, database: store, sendImages: images,
                               heartbeatSeconds: max(1, leaseSeconds / 4))
        }
        let worker = ImportWorker(database: store, reader: reader, readOptions: reading.options, options: options(mode),
                                  model: stage, stop: trap.flag, onEvent: progress.report)
        return try worker.run(follow: follow)
    }
}

/// Per-document progress on stderr when it is a terminal; errors always.
final class WorkerProgress: @unchecked Sendable {
    // @unchecked: used from the worker's thread only.
    private let terminal = isatty(STDERR_FILENO) != 0
    private var shown = false
    private var currentPath = ""

    func report(_ event: WorkerEvent) {
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
        case .finished(let outcome):
            if outcome.status == .failed || outcome.status == .partial {
                clear()
                FileHandle.standardError.write(Data("chartex: \(outcome.path): \(outcome.error ?? outcome.status.rawValue)\n".utf8))
            }
        case .released(let id):
            clear()
            FileHandle.standardError.write(Data("chartex: document \(id) handed back to the queue\n".utf8))
        }
    }

    func finish() { clear() }

    private func status(_ text: String) {
        guard terminal else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
        shown = true
    }

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
