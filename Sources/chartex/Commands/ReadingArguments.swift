import ArgumentParser
import ChartReading
import Foundation
import OCR

/// How pages are read: shared by `ocr`, `ingest` and `worker`.
struct ReadingArguments: ParsableArguments {
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

    @Flag(inversion: .prefixedNo, help: "With --orientation auto, look at the letters' shapes on the cleaned page before reading (about 0.06 s a page) and read a page that clearly looks turned turned: a turned page is read once instead of two or three times. Off: only pages that read poorly are checked.")
    var orientationFirst = true

    @Option(help: "Clean-up before OCR: off, normalize (flatten the paper), binarize (normalize, then one threshold) or sauvola.")
    var cleanUp: CleanUp = .normalize

    @Flag(inversion: .prefixedNo, help: "Replace streaks (lines at most 1/50 inch wide across more than half the page: a dirty scanner or fax head, a dropout) with the pixels beside them.")
    var streakRemoval = true

    @Flag(help: "Remove specks after a clean-up that binarises.")
    var despeckle = false

    @Flag(inversion: .prefixedNo, help: "Erase straight lines over 3/4 inch (table rules, fax streaks) before OCR.")
    var eraseLines = false

    @Flag(inversion: .prefixedNo,
          help: "Erase table rules that scanning broke into rows of dots and short dashes (a thin rule on a fax) before OCR.")
    var eraseBrokenRules = true

    @Flag(help: "Do not straighten skewed pages.")
    var noDeskew = false

    @Option(help: "Hand freed memory back to the system when the process holds more than this many MB.")
    var memoryBudget: Int = 200

    @Option(help: "Tesseract language(s), e.g. eng or eng+spa.")
    var language = "eng"

    @Option(help: "Folder holding Tesseract's .traineddata files.")
    var tessdata: String?

    func validate() throws {
        guard (50...1200).contains(dpi) else { throw ValidationError("--dpi must be between 50 and 1200") }
        if let jobs, jobs < 1 || jobs > 256 { throw ValidationError("--jobs must be between 1 and 256") }
        guard maxPageMegapixels > 0, maxPages > 0, pageTimeLimit > 0 else {
            throw ValidationError("limits must be positive")
        }
    }

    /// The reading options these arguments describe.
    var options: ReadOptions {
        var options = ReadOptions()
        options.dpi = dpi
        options.password = password
        options.maxPageMegapixels = maxPageMegapixels
        options.maxPages = maxPages
        options.forceOCR = forceOcr
        options.ocr.orientation = orientation
        options.ocr.orientationFirst = orientationFirst
        options.ocr.deskew = !noDeskew
        options.ocr.cleanUp = cleanUp
        options.ocr.despeckle = despeckle
        options.ocr.removeStreaks = streakRemoval
        options.ocr.eraseLines = eraseLines
        options.ocr.eraseBrokenRules = eraseBrokenRules
        options.ocr.timeLimit = pageTimeLimit
        options.memoryBudgetMegabytes = memoryBudget
        return options
    }

    /// A reader with `threads` threads (the core budget's), else `--jobs`, else one per core.
    func makeReader(threads: Int? = nil) -> ChartReader {
        ChartReader(threads: threads ?? jobs ?? ProcessInfo.processInfo.activeProcessorCount, language: language,
                    tessdata: tessdata)
    }
}

extension OrientationMode: ExpressibleByArgument {}
extension CleanUp: ExpressibleByArgument {}
