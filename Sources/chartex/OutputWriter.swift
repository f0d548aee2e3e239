import ChartModel
import ChartReading
import Foundation

/// Writes command output to stdout, errors to stderr, and a progress line to stderr when it
/// is a terminal.
final class OutputWriter {
    private let json: Bool
    private let encoder: JSONEncoder
    private let showProgress = isatty(STDERR_FILENO) != 0
    private var progressShown = false

    init(json: Bool) {
        self.json = json
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    }

    /// One page: its text and a form feed, or one JSON line.
    func page(_ page: PageReading, file: String) {
        if json {
            emitJSON(PageRecord(file: file, page: page))
        } else {
            write(page.text.isEmpty ? "\u{0C}" : page.text + "\n\u{0C}")
        }
    }

    /// A file or page that failed: a message on stderr; in JSON mode also an error record
    /// (and in text mode a form feed, so page positions stay aligned).
    /// A page that was read with something to know (on stderr, naming the file and page).
    func warning(_ message: String, file: String, page: Int) {
        clearProgress()
        FileHandle.standardError.write(Data("chartex: \(file): page \(page): warning: \(message)\n".utf8))
    }

    func failure(_ error: ReadError) {
        clearProgress()
        FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
        if json {
            emitJSON(ErrorRecord(file: error.file, page: error.page, error: error.message))
        } else if error.page != nil {
            write("\u{0C}")
        }
    }

    func progress(file: String, page: Int) {
        guard showProgress else { return }
        let name = (file as NSString).lastPathComponent
        FileHandle.standardError.write(Data("\r\u{1B}[K\(name): page \(page)".utf8))
        progressShown = true
    }

    func finish() { clearProgress() }

    private func clearProgress() {
        guard progressShown else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        progressShown = false
    }

    private func emitJSON(_ value: some Encodable) {
        guard var data = try? encoder.encode(value) else { return }
        data.append(0x0A)
        FileHandle.standardOutput.write(data)
    }

    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// One line of `chartex ocr --json`: the page's fields plus the file it came from.
struct PageRecord: Encodable {
    var file: String
    var page: PageReading

    func encode(to encoder: any Encoder) throws {
        try page.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(file, forKey: .file)
    }

    enum Keys: String, CodingKey { case file }
}

/// A file or page that could not be read, in `chartex ocr --json` output.
struct ErrorRecord: Encodable {
    var file: String
    var page: Int?
    var error: String
}
