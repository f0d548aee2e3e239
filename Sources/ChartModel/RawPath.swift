/// A file path as the bytes the file system holds, which need not be UTF-8.
///
/// Foundation on Linux decodes paths lossily (an invalid byte becomes U+FFFD and the file can
/// no longer be opened), so paths that come from directory listings or the command line are
/// kept as bytes, shown with `display`, and stored losslessly as a `file:` URI.
public struct RawPath: Sendable, Hashable, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// A path given as text.
    public init(_ path: String) { bytes = Array(path.utf8) }

    /// For people: invalid UTF-8 shown as U+FFFD.
    public var display: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { display }

    /// The last path component, for display.
    public var fileName: String {
        let name = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).last.map(Array.init) ?? bytes
        return String(decoding: name, as: UTF8.self)
    }

    /// `file://` + the path with every byte outside unreserved ASCII percent-encoded: a
    /// lossless text form for the database.
    public var uri: String {
        var result = "file://"
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                result += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return result
    }

    /// Decodes a `uri` made by `RawPath.uri` (or any percent-encoded `file://` URI).
    public init?(uri: String) {
        guard uri.hasPrefix("file://") else { return nil }
        var bytes: [UInt8] = []
        var utf8 = Array(uri.utf8.dropFirst(7))[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "%") {
                guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        self.bytes = bytes
    }

    /// This path with `component` appended.
    public func appending(_ component: [UInt8]) -> RawPath {
        var joined = bytes
        if joined.last != UInt8(ascii: "/") { joined.append(UInt8(ascii: "/")) }
        return RawPath(bytes: joined + component)
    }

    /// Calls `body` with the path as a NUL-terminated C string.
    public func withCString<T>(_ body: (UnsafePointer<CChar>) throws -> T) rethrows -> T {
        try (bytes + [0]).withUnsafeBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) }
        }
    }
}
