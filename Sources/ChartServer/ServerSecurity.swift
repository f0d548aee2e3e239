import Foundation
import Storage

/// The API's tokens: read from the token file, or generated into it on first start (mode
/// 0600, its folder 0700). Each non-empty line is `TOKEN` (named "api") or `NAME TOKEN`; the
/// name is who a review made with the token is recorded as.
public struct TokenRing: Sendable {
    public struct Entry: Sendable {
        public var name: String
        public var token: String
        /// Sent by the review page with each POST made on the cookie alone (derived from the token).
        public var csrf: String
    }

    public let entries: [Entry]
    public let path: String
    /// True when this start wrote the file.
    public let generated: Bool

    public static var defaultPath: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.config/chartex/token"
    }

    public static func load(path: String) throws -> TokenRing {
        let url = URL(fileURLWithPath: path)
        var generated = false
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            var bytes = [UInt8](repeating: 0, count: 32)
            var generator = SystemRandomNumberGenerator()
            for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &generator) }
            let token = bytes.map { String(format: "%02x", $0) }.joined()
            guard FileManager.default.createFile(atPath: path, contents: Data((token + "\n").utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw TokenError(message: "\(path): cannot create the token file")
            }
            generated = true
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw TokenError(message: "\(path): the token file is readable by others (mode \(String(mode, radix: 8))); chmod 600 it")
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var entries: [Entry] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(whereSeparator: \.isWhitespace).map(String.init)
            guard !parts.isEmpty, !parts[0].hasPrefix("#") else { continue }
            let (name, token) = parts.count >= 2 ? (parts[0], parts[1]) : ("api", parts[0])
            guard token.count >= 16 else { throw TokenError(message: "\(path): a token is shorter than 16 characters") }
            entries.append(Entry(name: name, token: token, csrf: SHA256.hex(of: Data(("chartex-csrf:" + token).utf8))))
        }
        guard !entries.isEmpty else { throw TokenError(message: "\(path): no token in the file") }
        return TokenRing(entries: entries, path: path, generated: generated)
    }

    /// The entry a presented token belongs to (compared in constant time).
    public func entry(for presented: String) -> Entry? {
        entries.first { Self.equal($0.token, presented) }
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }
}

public struct TokenError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}
