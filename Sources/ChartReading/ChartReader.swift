import ChartModel
import Foundation
import OCR
import PDFRendering

/// Reads charts page by page on a fixed set of worker threads and hands pages back in order.
///
/// Each worker thread owns one Tesseract engine, created the first time it needs OCR and
/// reused for every later page, and opens its own Poppler document (Poppler handles are not
/// shared between threads). Threads are joined by `shutdown()` (or `deinit`), never left to
/// outlive the reader. Workers run at most `2 × threads` pages ahead of the consumer, so
/// memory does not grow with the page count.
///
/// `read` calls are serialised: one document at a time, its pages in parallel.
public final class ChartReader: @unchecked Sendable {
    // @unchecked: every mutable property below is guarded by `condition`.
    private let condition = NSCondition()
    private var queue: [PageJob] = []
    private var results: [Int: PageOutcome] = [:]
    private var stopping = false
    private var finished: [DispatchSemaphore] = []
    private let readLock = NSLock()
    private var nextBatch = 0

    /// The number of worker threads.
    public let threads: Int
    public let language: String
    public let tessdata: String?

    private struct PageJob: @unchecked Sendable {
        // @unchecked: `Data` and options are values; the struct crosses to one worker.
        var slot: Int
        var batch: Int
        var source: ChartSource
        var page: Int
        var options: ReadOptions
    }

    /// Starts `threads` worker threads (default: one per core).
    public init(threads: Int = ProcessInfo.processInfo.activeProcessorCount, language: String = "eng",
                tessdata: String? = nil) {
        self.threads = max(1, threads)
        self.language = language
        self.tessdata = tessdata
        for index in 0..<self.threads {
            let done = DispatchSemaphore(value: 0)
            finished.append(done)
            let thread = Thread { [self] in
                self.work()
                done.signal()
            }
            thread.name = "chartex-reader-\(index)"
            // Tesseract's LSTM recursion needs more than the default secondary-thread stack.
            thread.stackSize = 16 << 20
            thread.start()
        }
    }

    deinit { shutdown() }

    /// Stops the worker threads after their current page and waits for them to exit.
    public func shutdown() {
        condition.lock()
        guard !stopping else { condition.unlock(); return }
        stopping = true
        queue.removeAll()
        condition.broadcast()
        condition.unlock()
        for done in finished { done.wait() }
    }

    /// Reads `source`, calling `onPage` on the calling thread for each selected page in page
    /// order, as soon as it and every page before it are done.
    /// - Returns: the document's page count.
    /// - Throws: `ReadError` when the document as a whole cannot be read (not a PDF, damaged,
    ///   encrypted, no pages, too many pages). Page failures arrive as `.failed` outcomes.
    ///
    /// When `shouldStop` turns true, no further page is started; pages already started are
    /// finished and handed to `onPage`, then `read` returns.
    @discardableResult
    public func read(_ source: ChartSource, options: ReadOptions = ReadOptions(),
                     shouldStop: () -> Bool = { false },
                     onPage: (PageOutcome) -> Void) throws(ReadError) -> Int {
        readLock.lock()
        defer { readLock.unlock() }
        let pageCount: Int
        do {
            pageCount = try Self.open(source, password: options.password).pageCount
        } catch {
            throw ReadError(file: source.name, page: nil, message: error.reason)
        }
        guard pageCount <= options.maxPages else {
            throw ReadError(file: source.name, page: nil,
                            message: "the PDF has \(pageCount) pages, over the limit of \(options.maxPages) (raise it with --max-pages)")
        }
        var (pages, missing) = options.pages?.pages(of: pageCount) ?? (Array(1...pageCount), [])
        pages.removeAll { options.skipPages.contains($0) }

        condition.lock()
        nextBatch += 1
        let batch = nextBatch
        condition.unlock()

        let window = threads * 2
        var submitted = 0
        var emitted = 0
        var halted = false
        while emitted < (halted ? submitted : pages.count) {
            condition.lock()
            if !halted && shouldStop() {
                halted = true
                // Pages queued but not started are dropped; started ones are finished.
                let unstarted = queue.filter { $0.batch == batch }.map(\.slot)
                queue.removeAll { $0.batch == batch }
                submitted = unstarted.min() ?? submitted
            }
            while !halted && submitted < pages.count && submitted - emitted < window {
                queue.append(PageJob(slot: submitted, batch: batch, source: source, page: pages[submitted],
                                     options: options))
                submitted += 1
                condition.signal()
            }
            if halted && emitted >= submitted {
                condition.unlock()
                break
            }
            while results[emitted] == nil && !stopping { condition.wait() }
            let outcome = results.removeValue(forKey: emitted)
            condition.unlock()
            guard let outcome else {
                throw ReadError(file: source.name, page: nil, message: "the reader was shut down")
            }
            onPage(outcome)
            emitted += 1
        }
        if halted { return pageCount }
        for page in missing {
            onPage(.failed(ReadError(file: source.name, page: page,
                                     message: "no such page (the PDF has \(pageCount))")))
        }
        return pageCount
    }

    // MARK: - Worker threads

    private func work() {
        var engine: TesseractEngine?
        var engineError: (any Error)?
        var open: (batch: Int, document: PDFDocument)?
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if stopping {
                condition.unlock()
                return
            }
            let task = queue.removeFirst()
            condition.unlock()

            let outcome: PageOutcome
            do {
                if open?.batch != task.batch {
                    open = nil  // close the previous document before opening the next
                    open = (task.batch, try Self.open(task.source, password: task.options.password))
                }
                outcome = .read(try readPage(task.page, of: open!.document, options: task.options) {
                    if let engine { return engine }
                    if let engineError { throw engineError }
                    do {
                        engine = try TesseractEngine(language: language, tessdata: tessdata)
                        return engine!
                    } catch {
                        engineError = error
                        throw error
                    }
                })
            } catch {
                outcome = .failed(ReadError(file: task.source.name, page: task.page, message: Self.reason(error)))
            }

            ProcessEnvironment.releaseFreedMemory(overMegabytes: task.options.memoryBudgetMegabytes)
            condition.lock()
            results[task.slot] = outcome
            condition.broadcast()
            condition.unlock()
        }
    }

    private static func reason(_ error: any Error) -> String {
        (error as? PDFRenderingError)?.reason ?? "\(error)"
    }

    private static func open(_ source: ChartSource, password: String?) throws(PDFRenderingError) -> PDFDocument {
        switch source {
        case .file(let url): try PDFDocument(url: url, password: password)
        case .path(let path): try PDFDocument(path: path, password: password)
        case .data(let data, let name): try PDFDocument(data: data, name: name, password: password)
        }
    }

    private func readPage(_ number: Int, of document: PDFDocument, options: ReadOptions,
                          engine: () throws -> TesseractEngine) throws -> PageReading {
        let start = DispatchTime.now()
        let page = try document.page(number)
        if !options.forceOCR {
            let layer = page.textLayer()
            if layer.isBornDigital() {
                let layout = PageLayout(segments: layer.segments)
                var timings = PageTimings()
                timings.total = start.millisecondsSince
                return PageReading(number: number, width: page.width, height: page.height,
                                   pdfRotation: page.quarterTurn, source: .textLayer, rotation: 0, skew: 0,
                                   dpi: nil, meanConfidence: layout.meanConfidence, text: layout.text,
                                   words: layout.words, lines: layout.lines, blocks: layout.blocks,
                                   timings: timings)
            }
        }
        let renderStart = DispatchTime.now()
        let image = try page.render(dpi: options.dpi, maxMegapixels: options.maxPageMegapixels)
        let renderTime = renderStart.millisecondsSince
        let result = try engine().recognize(image, options: options.ocr)
        let layout = PageLayout(segments: result.segments)
        var timings = result.timings
        timings.render = renderTime
        timings.total = start.millisecondsSince
        return PageReading(number: number, width: result.width, height: result.height,
                           pdfRotation: page.quarterTurn, source: .ocr, rotation: result.rotation,
                           skew: (result.skew * 100).rounded() / 100, dpi: options.dpi,
                           meanConfidence: layout.meanConfidence.map { ($0 * 100).rounded() / 100 },
                           text: layout.text, words: layout.words, lines: layout.lines,
                           blocks: layout.blocks, timings: timings,
                           blankReason: layout.words.isEmpty ? result.blankReason ?? "OCR found no words" : nil)
    }
}

extension DispatchTime {
    var millisecondsSince: Double {
        Double(DispatchTime.now().uptimeNanoseconds - uptimeNanoseconds) / 1_000_000
    }
}
