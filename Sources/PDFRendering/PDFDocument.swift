import CPoppler
import ChartModel
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An open PDF, read through poppler-glib.
///
/// Owns one `PopplerDocument*` and releases it in `deinit`. Not `Sendable`: Poppler documents
/// must not be shared between threads; open one per thread (opening is cheap: pages are read
/// lazily from the file, so memory does not grow with the page count).
public final class PDFDocument {
    private let handle: OpaquePointer
    /// The file name used in error messages.
    public let name: String
    /// The number of pages.
    public let pageCount: Int

    /// Opens the PDF at `url`.
    /// - Throws: `PDFRenderingError` naming the file: not found, empty, not a PDF, damaged,
    ///   encrypted (without or with a wrong password), or without pages.
    public convenience init(url: URL, password: String? = nil) throws(PDFRenderingError) {
        try self.init(path: RawPath(url.standardizedFileURL.path), name: url.relativePath, password: password)
    }

    /// Opens the PDF at `path` (bytes, which need not be UTF-8); `name` is used in messages.
    public convenience init(path: RawPath, name: String? = nil, password: String? = nil) throws(PDFRenderingError) {
        let name = name ?? path.display
        let header = try Self.readHeader(path, name: name)
        try Self.checkHeader(header, name: name)
        var error: UnsafeMutablePointer<GError>?
        // Poppler wants a file:// URI of an absolute path; g_filename_to_uri takes raw bytes.
        var absolute = path
        if absolute.bytes.first != UInt8(ascii: "/") {
            absolute = RawPath(FileManager.default.currentDirectoryPath).appending(path.bytes)
        }
        let document = absolute.withCString { cPath in
            g_filename_to_uri(cPath, nil, &error).flatMap { uri -> OpaquePointer? in
                defer { g_free(uri) }
                return poppler_document_new_from_file(uri, password, &error)
            }
        }
        try self.init(opened: document, error: error, name: name, password: password)
    }

    /// The first 1024 bytes of the file.
    private static func readHeader(_ path: RawPath, name: String) throws(PDFRenderingError) -> Data {
        let fd = path.withCString { open($0, O_RDONLY) }
        guard fd >= 0 else {
            if errno == ENOENT { throw .fileNotFound(file: name) }
            throw .unreadable(file: name, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, 1024) }
        guard count >= 0 else { throw .unreadable(file: name, reason: String(cString: strerror(errno))) }
        return Data(buffer.prefix(count))
    }

    /// Opens a PDF held in memory; `name` is used in error messages.
    public convenience init(data: Data, name: String, password: String? = nil) throws(PDFRenderingError) {
        try Self.checkHeader(data.prefix(1024), name: name)
        var error: UnsafeMutablePointer<GError>?
        let document = data.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bytes = g_bytes_new(raw.baseAddress, gsize(raw.count)) else { return nil }
            defer { g_bytes_unref(bytes) }  // the document keeps its own reference
            return poppler_document_new_from_bytes(bytes, password, &error)
        }
        try self.init(opened: document, error: error, name: name, password: password)
    }

    private init(opened document: OpaquePointer?, error: UnsafeMutablePointer<GError>?, name: String,
                 password: String?) throws(PDFRenderingError) {
        guard let document else {
            var reason = "unknown error"
            var code: Int32 = -1
            if let error {
                reason = String(cString: error.pointee.message)
                code = error.pointee.code
                g_error_free(error)
            }
            if code == Int32(POPPLER_ERROR_ENCRYPTED.rawValue) {
                throw password == nil ? .encrypted(file: name) : .wrongPassword(file: name)
            }
            throw .damaged(file: name, reason: reason)
        }
        if let error { g_error_free(error) }
        let count = Int(poppler_document_get_n_pages(document))
        guard count > 0 else {
            g_object_unref(UnsafeMutableRawPointer(document))
            throw .noPages(file: name)
        }
        self.handle = document
        self.name = name
        self.pageCount = count
    }

    deinit { g_object_unref(UnsafeMutableRawPointer(handle)) }

    private static func checkHeader(_ header: Data, name: String) throws(PDFRenderingError) {
        guard !header.isEmpty else { throw .emptyFile(file: name) }
        // The PDF specification allows junk before the header within the first 1024 bytes.
        guard header.range(of: Data("%PDF-".utf8)) != nil else { throw .notAPDF(file: name) }
    }

    /// Page `number` (1-based).
    public func page(_ number: Int) throws(PDFRenderingError) -> PDFPage {
        guard (1...pageCount).contains(number) else {
            throw .pageOutOfRange(file: name, page: number, pageCount: pageCount)
        }
        guard let page = poppler_document_get_page(handle, Int32(number - 1)) else {
            throw .renderFailed(file: name, page: number, reason: "Poppler could not load the page")
        }
        return PDFPage(handle: page, document: self, number: number)
    }
}
