import ArgumentParser
import ChartModel
import ChartReading
import Foundation
import OCR

extension Chartex {
    /// `chartex ocr`: read PDFs and print their text, or per-page JSON.
    struct Ocr: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read scanned or born-digital PDFs: text in reading order, words with boxes and confidences.",
            discussion: """
                Plain text by default: each page followed by a form feed, like pdftotext. With \
                --json, one JSON object per line for each page (see docs/ocr-json.md), and one \
                {"file", "page", "error"} object for each file or page that failed. Errors also go \
                to stderr, naming the file and page; the other pages and files go on.
                """)

        @Argument(help: "PDF files to read.")
        var files: [String]

        @Flag(help: "Print one JSON object per page (JSON Lines).")
        var json = false

        @Option(help: "Pages to read, e.g. 1-3,7 or 5- (default: all).")
        var pages: String?

        @Option(help: "Resolution to render pages at for OCR.")
        var dpi: Double = 300

        @Option(help: "Pages read in parallel (default: the number of cores).")
        var jobs: Int?

        @Option(help: "Password of encrypted PDFs.")
        var password: String?

        @Option(help: "Fail pages that would render to more megapixels than this.")
        var maxPageMegapixels: Double = 100

        @Option(help: "Fail documents with more pages than this.")
        var maxPages: Int = 5_000

        @Option(help: "Seconds of OCR allowed per page.")
        var pageTimeLimit: Double = 120

        @Flag(help: "OCR every page, even pages with a born-digital text layer.")
        var forceOcr = false

        @Option(help: "Page orientation: auto (check pages that read poorly), always (check every page) or off.")
        var orientation: OrientationMode = .auto

        @Flag(help: "Do not straighten skewed pages.")
        var noDeskew = false

        @Option(help: "Tesseract language(s), e.g. eng or eng+spa.")
        var language = "eng"

        @Option(help: "Folder holding Tesseract's .traineddata files.")
        var tessdata: String?

        func validate() throws {
            if let pages, PageSelection(pages) == nil {
                throw ValidationError("--pages '\(pages)' is not a page list like 1-3,7")
            }
            guard (50...1200).contains(dpi) else { throw ValidationError("--dpi must be between 50 and 1200") }
            if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256") }
            guard maxPageMegapixels > 0, maxPages > 0, pageTimeLimit > 0 else {
                throw ValidationError("limits must be positive")
            }
        }

        func run() throws {
            var options = ReadOptions()
            options.dpi = dpi
            options.pages = pages.flatMap(PageSelection.init)
            options.password = password
            options.maxPageMegapixels = maxPageMegapixels
            options.maxPages = maxPages
            options.forceOCR = forceOcr
            options.ocr.orientation = orientation
            options.ocr.deskew = !noDeskew
            options.ocr.timeLimit = pageTimeLimit

            let reader = ChartReader(threads: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                     language: language, tessdata: tessdata)
            defer { reader.shutdown() }
            let output = OutputWriter(json: json)
            var failures = 0
            for file in files {
                do {
                    try reader.read(.file(URL(fileURLWithPath: file)), options: options) { outcome in
                        switch outcome {
                        case .read(let page):
                            output.page(page, file: file)
                        case .failed(let error):
                            failures += 1
                            output.failure(error)
                        }
                        output.progress(file: file, page: outcome.pageNumber)
                    }
                } catch {
                    failures += 1
                    output.failure(error)
                }
            }
            output.finish()
            if failures > 0 { throw ExitStatus.inputFailed }
        }
    }
}

extension OrientationMode: ExpressibleByArgument {}
