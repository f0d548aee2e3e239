/// Why OCR of a page failed.
public enum OCRError: Error, Sendable, Hashable, CustomStringConvertible {
    case initFailed(language: String, tessdata: String?)
    case imageFailed(reason: String)
    case recognitionFailed
    case timeLimitExceeded(seconds: Double)

    public var description: String {
        switch self {
        case .initFailed(let language, let tessdata):
            "Tesseract could not load language '\(language)' from \(tessdata ?? "its default tessdata folder")"
                + " (install tesseract-ocr-\(language))"
        case .imageFailed(let reason): "could not prepare the page image: \(reason)"
        case .recognitionFailed: "Tesseract failed to recognise the page"
        case .timeLimitExceeded(let seconds):
            "OCR stopped after the page time limit of \(Int(seconds)) s (raise it with --page-time-limit)"
        }
    }
}
