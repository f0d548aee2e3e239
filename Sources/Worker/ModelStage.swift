import ChartModel
import Dispatch
import Extraction
import Foundation
import ModelClient
import ModelExtraction
import ChartReading
import Storage

/// The model half of a worker: every page goes to the model as soon as it is committed, on
/// Swift tasks, while the worker's threads go on reading the next pages (and documents). A
/// document is finished — merged with the rules, stored, marked done — once its last request
/// has come back. At most `maxQueuedPages` pages wait for the model: beyond that the reader
/// waits (back pressure), so memory stays flat when the model is the slower side.
public final class ModelStage: @unchecked Sendable {
    // @unchecked: the mutable state is guarded by `lock`.
    public let extractor: ModelExtractor
    public let mode: ExtractorMode
    private let database: any Store
    private let sendImages: Bool
    private let slots: DispatchSemaphore
    private let lock = NSLock()
    private var pages: [Int64: [Int: Task<ModelPageResult, Never>]] = [:]
    private var running: [Task<Void, Never>] = []
    /// Lease renewals of the documents with the model, called every `heartbeatSeconds`.
    private var leases: [Int64: @Sendable () -> Void] = [:]
    private var heartbeat: Task<Void, Never>?
    private var cancelled = false
    private var completed: [DocumentOutcome] = []

    /// `sendImages`: render page images for a vision model (ask `client.canSendImages()`).
    /// `heartbeatSeconds`: how often the leases of documents waiting for the model are renewed.
    public init(extractor: ModelExtractor, mode: ExtractorMode, database: any Store, sendImages: Bool,
                maxQueuedPages: Int? = nil, heartbeatSeconds: Double = 20) {
        self.extractor = extractor
        self.mode = mode
        self.database = database
        self.sendImages = sendImages
        slots = DispatchSemaphore(value: maxQueuedPages ?? max(4, extractor.client.configuration.concurrency * 4))
        heartbeat = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: UInt64(heartbeatSeconds * 1_000_000_000))
                guard let self else { return }
                for renew in self.lock.withLock({ Array(self.leases.values) }) { renew() }
            }
        }
    }

    deinit { heartbeat?.cancel() }

    /// Starts the model on one page (blocks while too many pages are waiting).
    func submit(_ page: PageReading, documentId: Int64, path: RawPath, lease: (@Sendable () -> Void)? = nil) {
        if lock.withLock({ pages[documentId]?[page.number] != nil }) { return }
        if let lease { lock.withLock { leases[documentId] = lease } }
        slots.wait()
        let image = sendImages ? Self.image(path, page: page.number, pixels: extractor.client.configuration.imagePixels) : nil
        let type = ChartSplitter().classify([page]).first?.documentType
        let extractor = self.extractor, database = self.database, slots = self.slots
        let task = Task {
            defer { slots.signal() }
            let result = await extractor.extract(page: page, documentType: type == "unknown" ? nil : type, image: image)
            lease?()
            // Cancelled on shutdown: nothing to record; the document goes back to the queue.
            for attempt in result.attempts where !Task.isCancelled {
                try? database.saveModelAttempt(documentId: documentId, page: attempt.page, section: attempt.section,
                                               schema: "section:\(attempt.section)", succeeded: attempt.succeeded,
                                               error: attempt.error, output: attempt.output, seconds: attempt.seconds,
                                               requests: attempt.httpAttempts, model: extractor.client.configuration.modelName)
            }
            return result
        }
        lock.withLock { pages[documentId, default: [:]][page.number] = task }
    }

    /// Finishes a document in the background once the model has read all its pages: pages read
    /// before a restart (never submitted) are sent now. `finish` merges and stores.
    /// `finish` gets the page results, and true when the stage was cancelled meanwhile (the
    /// results are then incomplete: the document must not be finished).
    func finish(documentId: Int64, stored: [PageReading], path: RawPath, lease: (@Sendable () -> Void)? = nil,
                _ finish: @escaping @Sendable ([ModelPageResult], Bool) -> DocumentOutcome?) {
        for page in stored where lock.withLock({ pages[documentId]?[page.number] == nil }) {
            submit(page, documentId: documentId, path: path, lease: lease)
        }
        // Kept in `pages` until finished, so that `cancel()` reaches them.
        let tasks = lock.withLock { pages[documentId] ?? [:] }
        let task = Task {
            var results: [ModelPageResult] = []
            for number in tasks.keys.sorted() { results.append(await tasks[number]!.value) }
            let outcome = finish(results, self.lock.withLock { self.cancelled })
            self.lock.withLock {
                self.leases.removeValue(forKey: documentId)
                self.pages.removeValue(forKey: documentId)
                if let outcome { self.completed.append(outcome) }
            }
        }
        lock.withLock { running.append(task) }
    }

    /// Outcomes of the documents finished since the last call; with `wait`, first waits for
    /// every document still with the model.
    /// `stopping`: polled while waiting; when it turns true the requests are cancelled.
    func collect(wait: Bool, stopping: () -> Bool = { false }) -> [DocumentOutcome] {
        if wait {
            let tasks = lock.withLock { () -> [Task<Void, Never>] in
                defer { running = [] }
                return running
            }
            if !tasks.isEmpty {
                let done = DispatchSemaphore(value: 0)
                Task {
                    for task in tasks { await task.value }
                    done.signal()
                }
                var cancelled = false
                while done.wait(timeout: .now() + .milliseconds(200)) == .timedOut {
                    if !cancelled, stopping() {
                        cancel()
                        cancelled = true
                    }
                }
            }
        }
        return lock.withLock {
            defer { completed = [] }
            return completed
        }
    }

    /// Shutdown: cancels the requests in flight and the ones waiting. Documents still with the
    /// model are handed back to the queue by their `finish` (the next worker redoes their model
    /// stage from the stored pages).
    func cancel() {
        let tasks = lock.withLock { () -> [Task<ModelPageResult, Never>] in
            cancelled = true
            return pages.values.flatMap(\.values)
        }
        for task in tasks { task.cancel() }
    }

    public static func image(_ path: RawPath, page number: Int, pixels: Int) -> ModelImage? {
        guard let png = try? ChartReader.pagePNG(path, page: number, maxPixels: pixels) else { return nil }
        return ModelImage(data: png, mimeType: "image/png")
    }
}
