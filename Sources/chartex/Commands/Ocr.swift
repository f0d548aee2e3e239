import ArgumentParser
import ChartModel
import ChartReading
import ChartModel
import Foundation

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

        @Argument(help: "PDF files, or scans as TIFF (multi-page, fax G3/G4), PNG or JPEG images (told apart by content).")
        var files: [String]

        @Flag(help: "Print one JSON object per page (JSON Lines).")
        var json = false

        @Option(help: "Pages to read, e.g. 1-3,7 or 5- (default: all).")
        var pages: String?

        @OptionGroup var reading: ReadingArguments

        func validate() throws {
            if let pages, PageSelection(pages) == nil {
                throw ValidationError("--pages '\(pages)' is not a page list like 1-3,7")
            }
        }

        func run() throws {
            var options = reading.options
            options.pages = pages.flatMap(PageSelection.init)
            let reader = reading.makeReader()
            defer { reader.shutdown() }
            let output = OutputWriter(json: json)
            var failures = 0
            for file in files {
                do {
                    try reader.read(.path(RawPath.argument(file)), options: options) { outcome in
                        switch outcome {
                        case .read(let page):
                            if let warning = page.warning { output.warning(warning, file: file, page: page.number) }
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
