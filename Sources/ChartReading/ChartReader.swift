import ChartModel
import Foundation
import OCR
import PDFRendering
#if canImport(Glibc)
import Glibc
#endif

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
            throw ReadError(file: source.name, page: nil, message: Self.reason(error))
        }
        guard pageCount <= options.maxPages else {
            throw ReadError(file: source.name, page: nil,
                            message: "the document has \(pageCount) pages, over the limit of \(options.maxPages) (raise it with --max-pages)")
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
        var open: (batch: Int, document: OpenDocument)?
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
        if let error = error as? PDFRenderingError { return error.reason }
        if let error = error as? ImageInputError { return error.reason }
        return "\(error)"
    }

    /// Opens `source` as what its first bytes say it is: a TIFF, PNG or JPEG image (whatever
    /// its name), else a PDF.
    static func open(_ source: ChartSource, password: String?) throws -> OpenDocument {
        if let image = try openImage(source) { return .image(image) }
        return switch source {
        case .file(let url): .pdf(try PDFDocument(url: url, password: password))
        case .path(let path): .pdf(try PDFDocument(path: path, password: password))
        case .data(let data, let name): .pdf(try PDFDocument(data: data, name: name, password: password))
        }
    }

    private static func openImage(_ source: ChartSource) throws -> ImageDocument? {
        switch source {
        case .file(let url):
            let path = RawPath(url.standardizedFileURL.path)
            guard let header = Self.header(path), ImageFormat(header: header) != nil else { return nil }
            return try ImageDocument(path: path, name: url.relativePath)
        case .path(let path):
            guard let header = Self.header(path), ImageFormat(header: header) != nil else { return nil }
            return try ImageDocument(path: path)
        case .data(let data, let name):
            guard ImageFormat(header: data.prefix(8)) != nil else { return nil }
            return try ImageDocument(bytes: [UInt8](data), name: name)
        }
    }

    /// The first 8 bytes of a file (nil when it cannot be read: the PDF reader reports why).
    private static func header(_ path: RawPath) -> [UInt8]? {
        let fd = path.withCString { Glibc.open($0, O_RDONLY) }
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8)
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 8) }
        return count > 0 ? Array(buffer.prefix(count)) : nil
    }

    private func readPage(_ number: Int, of document: OpenDocument, options: ReadOptions,
                          engine: () throws -> TesseractEngine) throws -> PageReading {
        let start = DispatchTime.now()
        let image: PageImage
        var warning: String?
        var pdfRotation = 0
        let renderStart = DispatchTime.now()
        switch document {
        case .image(let document):
            (image, warning) = try document.page(number, dpi: options.dpi, maxMegapixels: options.maxPageMegapixels)
        case .pdf(let document):
            let page = try document.page(number)
            pdfRotation = page.quarterTurn
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
            // A page too large for the limit at the reading resolution (a phone photo placed on
            // a page at 72 dpi is 42 x 56 in) is read at the highest resolution that fits.
            var dpi = options.dpi
            let megapixels = page.width * dpi / 72 * page.height * dpi / 72 / 1_000_000
            if megapixels > options.maxPageMegapixels {
                dpi = (dpi * (options.maxPageMegapixels / megapixels).squareRoot()).rounded(.down)
                warning = String(format: "the page is %.1f x %.1f in, %.0f megapixels at %.0f dpi, over the limit of %.0f: read at %.0f dpi",
                                 page.width / 72, page.height / 72, megapixels, options.dpi,
                                 options.maxPageMegapixels, dpi)
                guard dpi >= Self.minimumDPI else {
                    throw ReadError(file: document.name, page: number,
                                    message: warning! + ", too low to read (raise --max-page-megapixels)")
                }
            }
            image = try page.render(dpi: dpi, maxMegapixels: options.maxPageMegapixels)
        }
        let renderTime = renderStart.millisecondsSince
        let result = try engine().recognize(image, options: options.ocr)
        let layout = PageLayout(segments: result.segments)
        var timings = result.timings
        timings.render = renderTime
        timings.total = start.millisecondsSince
        var reading = PageReading(number: number, width: result.width, height: result.height,
                                  pdfRotation: pdfRotation, source: .ocr, rotation: result.rotation,
                                  skew: (result.skew * 100).rounded() / 100, dpi: image.dpi,
                                  meanConfidence: layout.meanConfidence.map { ($0 * 100).rounded() / 100 },
                                  text: layout.text, words: layout.words, lines: layout.lines,
                                  blocks: layout.blocks, timings: timings,
                                  blankReason: layout.words.isEmpty ? result.blankReason ?? "OCR found no words" : nil)
        reading.warning = warning
        return reading
    }

    /// Pages that only fit the megapixel limit below this resolution fail instead.
    static let minimumDPI = 30.0
}

/// A document open on one worker thread: a PDF, or a scan delivered as an image.
enum OpenDocument {
    case pdf(PDFDocument)
    case image(ImageDocument)

    var pageCount: Int {
        switch self {
        case .pdf(let document): document.pageCount
        case .image(let document): document.pageCount
        }
    }
}

extension DispatchTime {
    var millisecondsSince: Double {
        Double(DispatchTime.now().uptimeNanoseconds - uptimeNanoseconds) / 1_000_000
    }
}

extension ChartReader {
    /// Page `number` of the document at `path` (a PDF or an image scan) as a grey PNG whose
    /// longer side is at most `maxPixels`: the page image sent to a vision model.
    public static func pagePNG(_ path: RawPath, page number: Int, maxPixels: Int) throws -> Data {
        switch try open(.path(path), password: nil) {
        case .pdf(let document): try document.page(number).pngData(maxPixels: maxPixels)
        case .image(let document): try document.pngData(number, maxPixels: maxPixels)
        }
    }
}
