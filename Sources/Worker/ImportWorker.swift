import ChartModel
import ChartReading
import Extraction
import Foundation
import ModelClient
import ModelExtraction
import Storage
import Validation

#if canImport(Glibc)
import Glibc
#endif

/// How a worker holds jobs.
public struct WorkerOptions: Sendable {
    /// A job's lease lasts this long and is renewed after every page; a worker that dies
    /// loses its jobs to others when the lease runs out (sooner on the same host, where a dead
    /// owner's process id is checked).
    public var leaseSeconds: Double = 120
    /// How often `--follow` looks for new jobs.
    public var pollSeconds: Double = 1
    /// A document whose processing killed its worker this many times is marked failed.
    public var maxAttempts = 3
    /// The extractor run on each document once its pages are read, or nil for none. `model`
    /// and `hybrid` need the worker's `ModelStage`.
    public var extractor: ExtractorMode? = .rules
    /// How long a worker waits for a store it cannot reach (a database server restarting, a
    /// cut link) before it gives up; it claims nothing meanwhile.
    public var storeOutageSeconds: Double = 600
    /// The name written into the jobs this worker holds (default: the host name). The queue
    /// checks whether a holder's process is still alive only when the name is this host's.
    public var name: String?

    public init() {}
}

/// What happened to one document.
public struct DocumentOutcome: Sendable {
    public var documentId: Int64
    public var path: String
    public var status: DocumentStatus
    public var error: String?
    public var pagesRead: Int
    public var pagesFailed: Int
}

/// Something a worker reports as it goes (for progress and logs: never page text).
public enum WorkerEvent: Sendable {
    case started(documentId: Int64, path: String, resumedPages: Int)
    case page(documentId: Int64, number: Int, failed: String?)
    /// The page was read, with something to know (e.g. read at a lower resolution to fit the limit).
    case warning(documentId: Int64, number: Int, message: String)
    case finished(DocumentOutcome)
    case released(documentId: Int64)
    /// The store cannot be reached; the worker waits and tries again.
    case storeUnavailable(message: String)
}

/// Drains the durable queue: claims a job, reads its document page by page with a
/// `ChartReader`, commits every page (and its words) in its own transaction, and marks the
/// document done. Safe to kill at any moment: a restarted worker reads only the missing pages.
public final class ImportWorker {
    private let database: any Store
    private let reader: ChartReader
    private let readOptions: ReadOptions
    private let options: WorkerOptions
    private let stop: StopFlag
    private let onEvent: (WorkerEvent) -> Void
    private let model: ModelStage?
    /// `host:pid:random`, written into the jobs this worker holds.
    public let owner: String

    public init(database: any Store, reader: ChartReader, readOptions: ReadOptions, options: WorkerOptions = WorkerOptions(),
                model: ModelStage? = nil, stop: StopFlag, onEvent: @escaping (WorkerEvent) -> Void = { _ in }) {
        self.model = options.extractor == .rules || options.extractor == nil ? nil : model
        self.database = database
        self.reader = reader
        self.readOptions = readOptions
        self.options = options
        self.stop = stop
        self.onEvent = onEvent
        let name = (options.name ?? ProcessInfo.processInfo.hostName).replacingOccurrences(of: ":", with: "-")
        owner = "\(name):\(getpid()):\(UUID().uuidString.prefix(8))"
    }

    /// Processes jobs until the queue is empty (or, with `follow`, until stopped).
    public func run(follow: Bool) throws -> [DocumentOutcome] {
        var outcomes: [DocumentOutcome] = []
        // A store that cannot be reached (a database server restarting, a cut link): the job in
        // hand is left as it is — every page stored so far was committed whole — and the
        // worker waits, claiming nothing, until the store answers again or the outage has
        // lasted `storeOutageSeconds`. Then it hands back the jobs it had to leave.
        var outage: Date?
        var left: [Int64] = []
        while !stop.isSet {
            do {
                for jobId in left { try database.releaseJob(jobId: jobId, owner: owner) }
                left = []
                guard let job = try database.claimJob(owner: owner, leaseSeconds: options.leaseSeconds,
                                                      maxAttempts: options.maxAttempts, isOwnerDead: Self.isDeadLocalOwner)
                else {
                    outage = nil
                    guard follow else { break }
                    pause(options.pollSeconds)
                    continue
                }
                outage = nil
                do {
                    if let outcome = try process(job) { outcomes.append(outcome) }
                } catch let error as StorageError where error.isUnavailable {
                    left.append(job.jobId)
                    throw error
                }
                outcomes += finishedByModel(wait: false)
            } catch let error as StorageError where error.isUnavailable {
                let since = outage ?? Date()
                outage = since
                guard Date().timeIntervalSince(since) < options.storeOutageSeconds else { throw error }
                onEvent(.storeUnavailable(message: "\(error)"))
                pause(min(5, max(0.5, Date().timeIntervalSince(since) / 4)))
            }
        }
        // Stopping (SIGINT/SIGTERM): requests still with the model are cancelled, and their
        // documents go back to the queue rather than being finished without them.
        if stop.isSet { model?.cancel() }
        outcomes += finishedByModel(wait: true)
        return outcomes
    }

    /// Sleeps for `seconds`, waking early when stopped.
    private func pause(_ seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while !stop.isSet && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
    }

    /// Documents the model stage has finished (reported on this thread).
    private func finishedByModel(wait: Bool) -> [DocumentOutcome] {
        guard let model else { return [] }
        let outcomes = model.collect(wait: wait, stopping: { [stop] in stop.isSet })
        for outcome in outcomes { onEvent(.finished(outcome)) }
        return outcomes
    }

    /// A lease owner on this host whose process is gone.
    @Sendable static func isDeadLocalOwner(_ owner: String) -> Bool {
        let parts = owner.split(separator: ":")
        guard parts.count >= 3, String(parts[0]) == ProcessInfo.processInfo.hostName,
              let pid = Int32(parts[1]), pid != getpid() else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }

    private func process(_ job: ClaimedJob) throws -> DocumentOutcome? {
        guard let path = RawPath(uri: job.path) else { return try fail(job, "the queued path is not a file URI: \(job.path)") }
        let stored = try database.storedPageNumbers(documentId: job.documentId)
        onEvent(.started(documentId: job.documentId, path: path.display, resumedPages: stored.count))

        let sha: String
        do {
            sha = try FileIntake.digest(path).sha256
        } catch let error as IntakeError {
            return try fail(job, "cannot read the file: \(error.reason)")
        }
        guard sha == job.sha256 else {
            return try fail(job, "the file changed after it was queued (its SHA-256 differs)")
        }

        var options = readOptions
        options.skipPages = stored
        var storeError: (any Error)?
        var read = 0, failed = 0
        do {
            let pageCount = try reader.read(.path(path), options: options, shouldStop: { stop.isSet || storeError != nil }) { outcome in
                guard storeError == nil else { return }
                do {
                    switch outcome {
                    case .read(let page):
                        try database.savePage(page, documentId: job.documentId, jobId: job.jobId, owner: owner,
                                              leaseSeconds: self.options.leaseSeconds)
                        model?.submit(page, documentId: job.documentId, path: path, lease: lease(job))
                        read += 1
                        onEvent(.page(documentId: job.documentId, number: page.number, failed: nil))
                        if let warning = page.warning {
                            onEvent(.warning(documentId: job.documentId, number: page.number, message: warning))
                        }
                    case .failed(let error):
                        try database.saveFailedPage(number: error.page ?? 0, error: error.message,
                                                    documentId: job.documentId, jobId: job.jobId, owner: owner,
                                                    leaseSeconds: self.options.leaseSeconds)
                        failed += 1
                        onEvent(.page(documentId: job.documentId, number: error.page ?? 0, failed: error.message))
                    }
                } catch {
                    storeError = error
                }
            }
            if let storeError { throw storeError }
            try database.setPageCount(pageCount, documentId: job.documentId)
            let done = try database.storedPageNumbers(documentId: job.documentId)
            if stop.isSet && done.count < pageCount {
                try database.releaseJob(jobId: job.jobId, owner: owner)
                onEvent(.released(documentId: job.documentId))
                return nil
            }
            let rules = try rulesPass(documentId: job.documentId)
            if let model, let mode = self.options.extractor {
                let database = self.database, display = path.display, read = read, failed = failed
                let owner = self.owner
                model.finish(documentId: job.documentId, stored: rules.pages, path: path, lease: lease(job)) { results, cancelled in
                    if cancelled {
                        try? database.releaseJob(jobId: job.jobId, owner: owner)
                        return nil
                    }
                    do {
                        try Self.store(rules, model: results, mode: mode, database: database, documentId: job.documentId,
                                       acceptModelOnly: model.extractor.client.configuration.hybridAcceptsModelOnly)
                        try database.finishDocument(documentId: job.documentId, jobId: job.jobId)
                        let document = try database.resolveDocument(String(job.documentId))
                        return DocumentOutcome(documentId: job.documentId, path: display, status: document.status,
                                               error: document.error, pagesRead: read, pagesFailed: failed)
                    } catch {
                        // The job stays leased; when the lease runs out another worker finishes it.
                        return DocumentOutcome(documentId: job.documentId, path: display, status: .failed,
                                               error: "cannot store the extraction: \(error)", pagesRead: read, pagesFailed: failed)
                    }
                }
                return nil
            }
            if let mode = self.options.extractor {
                try Self.store(rules, model: [], mode: mode, database: database, documentId: job.documentId)
            }
            try database.finishDocument(documentId: job.documentId, jobId: job.jobId)
        } catch let error as ReadError {
            return try fail(job, error.message)
        }
        let document = try database.resolveDocument(String(job.documentId))
        let outcome = DocumentOutcome(documentId: job.documentId, path: path.display, status: document.status,
                                      error: document.error, pagesRead: read, pagesFailed: failed)
        onEvent(.finished(outcome))
        return outcome
    }

    /// A document's pages, their classification (stored now) and the rules' facts: the shared
    /// pipeline's first half (`chartex extract` runs the same).
    typealias RulesPass = FactPipeline.RulesPass

    private func rulesPass(documentId: Int64) throws -> RulesPass {
        let pass = FactPipeline.rulesPass(try database.pageReadings(documentId: documentId), rules: options.extractor != nil)
        try database.savePageLabels(pass.labels.map {
            PageLabel(page: $0.page, documentType: $0.documentType, segment: $0.segment, patientMismatch: $0.patientMismatch)
        }, documentId: documentId)
        return pass
    }

    /// Merges the rules' and the model's facts (per `mode`), validates every item against its
    /// schema (an item that fails is stored `rejected`, never as data) and stores them.
    static func store(_ rules: RulesPass, model: [ModelPageResult], mode: ExtractorMode, database: any Store,
                      documentId: Int64, acceptModelOnly: Bool = false) throws {
        let finished: [MergedFact]
        do {
            finished = try FactPipeline.finish(rules, model: model, mode: mode, acceptModelOnly: acceptModelOnly)
        } catch {
            try database.saveExtraction(documentId: documentId, schema: Self.schema, extractor: mode.rawValue, facts: [],
                                        error: "cannot load the schemas: \(error)", output: nil)
            return
        }
        let inputs = finished.map { entry in
            let fact = entry.fact
            var input = FactInput(group: fact.group.rawValue, item: fact.item, field: fact.field.rawValue, raw: fact.raw, value: fact.value,
                                  page: fact.page, bbox: fact.bbox, evidenceText: fact.sourceText.isEmpty ? nil : fact.sourceText,
                                  confidence: (entry.confidence * 1000).rounded() / 1000, status: fact.status.rawValue)
            input.reviewReason = fact.reviewReason
            input.grounded = entry.grounded
            input.alternative = entry.alternative
            input.extractor = entry.extractor
            return input
        }
        try database.saveExtraction(documentId: documentId, schema: Self.schema, extractor: mode.rawValue, facts: inputs,
                                    error: nil, output: nil)
    }

    private func lease(_ job: ClaimedJob) -> @Sendable () -> Void {
        let database = self.database, owner = self.owner, seconds = options.leaseSeconds
        return { try? database.renewLease(jobId: job.jobId, owner: owner, leaseSeconds: seconds) }
    }

    static let schema = "chart-defs.schema.json#/$defs/document"

    private func fail(_ job: ClaimedJob, _ message: String) throws -> DocumentOutcome {
        try database.failDocument(documentId: job.documentId, jobId: job.jobId, error: message)
        let outcome = DocumentOutcome(documentId: job.documentId, path: RawPath(uri: job.path)?.display ?? job.path,
                                      status: .failed, error: message,
                                      pagesRead: 0, pagesFailed: 0)
        onEvent(.finished(outcome))
        return outcome
    }
}
