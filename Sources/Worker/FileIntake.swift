import ChartModel
import Foundation
import Storage

#if canImport(Glibc)
import Glibc
#endif

/// Finds the files to import and reads their bytes for hashing, by raw path: Foundation on
/// Linux loses file names that are not UTF-8, and such files must still be imported.
public enum FileIntake {
    /// Files named directly are taken whatever their extension; folders are walked
    /// recursively (hidden entries skipped) for `*.pdf`, `*.tif(f)`, `*.png` and `*.jp(e)g` in any case. Paths that do not exist
    /// are returned as problems.
    public static func candidates(_ paths: [RawPath]) -> (files: [RawPath], problems: [String]) {
        var files: [RawPath] = []
        var problems: [String] = []
        for path in paths {
            var info = stat()
            guard path.withCString({ stat($0, &info) }) == 0 else {
                problems.append("\(path.display): no such file or folder")
                continue
            }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                var found: [RawPath] = []
                walk(path, into: &found, problems: &problems)
                files += found.sorted { $0.bytes.lexicographicallyPrecedes($1.bytes) }
            } else {
                files.append(path)
            }
        }
        return (files, problems)
    }

    private static func walk(_ folder: RawPath, into found: inout [RawPath], problems: inout [String], depth: Int = 0) {
        guard depth < 64, let directory = folder.withCString({ opendir($0) }) else {
            problems.append("\(folder.display): cannot list the folder")
            return
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name: [UInt8] = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                Array(raw.prefix { $0 != 0 })
            }
            guard let first = name.first, first != UInt8(ascii: ".") else { continue }
            let child = folder.appending(name)
            var info = stat()
            guard child.withCString({ stat($0, &info) }) == 0 else { continue }
            if (info.st_mode & S_IFMT) == S_IFDIR {
                walk(child, into: &found, problems: &problems, depth: depth + 1)
            } else if (info.st_mode & S_IFMT) == S_IFREG, Self.isScanName(name) {
                found.append(child)
            }
        }
    }

    /// Names a folder walk picks up: PDFs and the image formats scans arrive in (the reader then
    /// goes by content: a JPEG named .pdf is read as a JPEG).
    static let scanExtensions = ["pdf", "tif", "tiff", "png", "jpg", "jpeg"]

    static func isScanName(_ name: [UInt8]) -> Bool {
        guard let dot = name.lastIndex(of: UInt8(ascii: ".")) else { return false }
        let ext = String(decoding: name[(dot + 1)...], as: UTF8.self).lowercased()
        return scanExtensions.contains(ext)
    }

    /// The SHA-256 and size of the file at `path`, read in 1 MB chunks.
    public static func digest(_ path: RawPath) throws -> (sha256: String, size: Int64) {
        let fd = path.withCString { open($0, O_RDONLY) }
        guard fd >= 0 else { throw IntakeError(path: path.display, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var hash = SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var size: Int64 = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count >= 0 else { throw IntakeError(path: path.display, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            hash.update(buffer[0..<count])
            size += Int64(count)
        }
        return (hash.finalize(), size)
    }
}

/// A file that could not be read for intake.
public struct IntakeError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var reason: String
    public var description: String { "\(path): cannot read the file: \(reason)" }
}
