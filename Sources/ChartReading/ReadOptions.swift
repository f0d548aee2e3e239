import ChartModel
import Foundation
import OCR

/// How to read a chart. Every limit is explicit.
public struct ReadOptions: Sendable, Hashable {
    /// Resolution pages are rendered at for OCR.
    public var dpi: Double = 300
    /// 1-based page numbers to read; nil reads them all.
    public var pages: PageSelection?
    /// Pages not to read (already stored by an earlier, interrupted run).
    public var skipPages: Set<Int> = []
    /// Password of an encrypted PDF.
    public var password: String?
    /// Pages larger than this many megapixels at `dpi` fail instead of rendering (100 MP is
    /// about 33x33 inches at 300 dpi).
    public var maxPageMegapixels: Double = 100
    /// Documents with more pages than this fail as a whole.
    public var maxPages = 5_000
    /// When the process holds more memory than this after a page, freed memory is handed back
    /// to the system (which costs some speed, so it only happens over the budget).
    public var memoryBudgetMegabytes = 200
    /// OCR every page, even born-digital ones.
    public var forceOCR = false
    /// Orientation detection, deskew and the per-page OCR time limit.
    public var ocr = OCROptions()

    public init() {}
}

/// A set of 1-based page numbers, written like `1-3,7,10-`.
public struct PageSelection: Sendable, Hashable, CustomStringConvertible {
    public var ranges: [ClosedRange<Int>]

    /// Parses `1-3,7`, `5-` (to the end) and `-4` (from the start).
    public init?(_ text: String) {
        var ranges: [ClosedRange<Int>] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
            switch bounds.count {
            case 1:
                guard let page = Int(bounds[0]), page >= 1 else { return nil }
                ranges.append(page...page)
            case 2:
                let lower = bounds[0].isEmpty ? 1 : Int(bounds[0])
                let upper = bounds[1].isEmpty ? Int.max : Int(bounds[1])
                guard let lower, let upper, lower >= 1, lower <= upper else { return nil }
                ranges.append(lower...upper)
            default:
                return nil
            }
        }
        guard !ranges.isEmpty else { return nil }
        self.ranges = ranges
    }

    /// The selected pages of a document with `pageCount` pages, in order, without repeats,
    /// and the selected page numbers past its end (at most 100 of them; open-ended ranges such
    /// as `5-` select none past the end).
    public func pages(of pageCount: Int) -> (inside: [Int], outside: [Int]) {
        var seen = Set<Int>()
        var inside: [Int] = []
        var outside: [Int] = []
        for range in ranges {
            if range.lowerBound <= pageCount {
                for page in range.lowerBound...min(range.upperBound, pageCount) where seen.insert(page).inserted {
                    inside.append(page)
                }
            }
            guard range.upperBound != Int.max, range.upperBound > pageCount else { continue }
            for page in max(range.lowerBound, pageCount + 1)...range.upperBound {
                guard outside.count < 100 else { break }
                if seen.insert(page).inserted { outside.append(page) }
            }
        }
        return (inside, outside)
    }

    public var description: String {
        ranges.map { r in
            r.lowerBound == r.upperBound ? "\(r.lowerBound)"
                : "\(r.lowerBound)-\(r.upperBound == Int.max ? "" : String(r.upperBound))"
        }.joined(separator: ",")
    }
}

/// A PDF to read: a file, or bytes with a name for messages.
public enum ChartSource: Sendable {
    case file(URL)
    /// A path as raw bytes (for names that are not valid UTF-8).
    case path(RawPath)
    case data(Data, name: String)

    /// The name used in messages.
    public var name: String {
        switch self {
        case .file(let url): url.relativePath
        case .path(let path): path.display
        case .data(_, let name): name
        }
    }
}

/// A document or page that could not be read: the file, the page when there is one, and why.
public struct ReadError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var page: Int?
    public var message: String

    public init(file: String, page: Int?, message: String) {
        self.file = file
        self.page = page
        self.message = message
    }

    public var description: String {
        if let page { return "\(file): page \(page): \(message)" }
        return "\(file): \(message)"
    }
}

/// The result of reading one page: what was read, or why it failed.
public enum PageOutcome: Sendable {
    case read(PageReading)
    case failed(ReadError)

    /// The 1-based page number.
    public var pageNumber: Int {
        switch self {
        case .read(let reading): reading.number
        case .failed(let error): error.page ?? 0
        }
    }
}
