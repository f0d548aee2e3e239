import Foundation

/// Why a PDF or one of its pages could not be read. Every case names the file, and the page
/// (1-based) where one is involved.
public enum PDFRenderingError: Error, Sendable, Hashable, CustomStringConvertible {
    case fileNotFound(file: String)
    case unreadable(file: String, reason: String)
    case emptyFile(file: String)
    case notAPDF(file: String)
    case damaged(file: String, reason: String)
    case encrypted(file: String)
    case wrongPassword(file: String)
    case noPages(file: String)
    case pageOutOfRange(file: String, page: Int, pageCount: Int)
    case pageTooLarge(file: String, page: Int, widthPoints: Double, heightPoints: Double,
                      megapixels: Double, limit: Double)
    case renderFailed(file: String, page: Int, reason: String)

    public var description: String {
        if let page { return "\(file): page \(page): \(reason)" }
        return "\(file): \(reason)"
    }

    /// The file the error is about.
    public var file: String {
        switch self {
        case .fileNotFound(let file), .unreadable(let file, _), .emptyFile(let file), .notAPDF(let file),
             .damaged(let file, _), .encrypted(let file), .wrongPassword(let file), .noPages(let file),
             .pageOutOfRange(let file, _, _), .pageTooLarge(let file, _, _, _, _, _),
             .renderFailed(let file, _, _):
            file
        }
    }

    /// What went wrong, without the file and page.
    public var reason: String {
        switch self {
        case .fileNotFound: "no such file"
        case .unreadable(_, let reason): "cannot read the file: \(reason)"
        case .emptyFile: "the file is empty"
        case .notAPDF: "not a PDF (no %PDF- header in its first 1024 bytes)"
        case .damaged(_, let reason): "the PDF is damaged or truncated: \(reason)"
        case .encrypted: "the PDF is encrypted; give its password with --password"
        case .wrongPassword: "the password does not open this encrypted PDF"
        case .noPages: "the PDF has no pages"
        case .pageOutOfRange(_, _, let count): "no such page (the PDF has \(count))"
        case .pageTooLarge(_, _, let w, let h, let mp, let limit):
            "a page of \(Int(w))x\(Int(h)) pt would render to \(String(format: "%.0f", mp)) megapixels, "
                + "over the limit of \(String(format: "%.0f", limit)) (raise it with --max-page-megapixels)"
        case .renderFailed(_, _, let reason): reason
        }
    }

    /// The 1-based page the error is about, if it is about one page.
    public var page: Int? {
        switch self {
        case .pageOutOfRange(_, let page, _), .pageTooLarge(_, let page, _, _, _, _),
             .renderFailed(_, let page, _):
            page
        default: nil
        }
    }
}
