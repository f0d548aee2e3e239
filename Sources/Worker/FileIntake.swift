import Foundation
import Storage

/// Finds the files to import and offers them to the queue.
public enum FileIntake {
    /// One input file found under the given paths.
    public struct Candidate: Sendable {
        public var url: URL
        /// The name shown to people: the last path component, with any byte that is not UTF-8
        /// replaced.
        public var fileName: String
    }

    /// Files named directly are taken whatever their extension; folders are walked
    /// recursively for `*.pdf` (any case). Missing paths are returned as problems.
    public static func candidates(_ paths: [String]) -> (files: [Candidate], problems: [String]) {
        var files: [Candidate] = []
        var problems: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                problems.append("\(path): no such file or folder")
                continue
            }
            let url = URL(fileURLWithPath: path)
            if !isDirectory.boolValue {
                files.append(Candidate(url: url, fileName: url.lastPathComponent))
                continue
            }
            guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey],
                                                              options: [.skipsHiddenFiles]) else {
                problems.append("\(path): cannot list the folder")
                continue
            }
            var found: [Candidate] = []
            for case let file as URL in walker where file.pathExtension.lowercased() == "pdf" {
                if (try? file.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                    found.append(Candidate(url: file, fileName: file.lastPathComponent))
                }
            }
            files += found.sorted { $0.url.path < $1.url.path }
        }
        return (files, problems)
    }
}
