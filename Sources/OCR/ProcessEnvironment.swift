import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Process settings that must be in the environment before the process starts.
public enum ProcessEnvironment {
    /// What Chartex needs, and why:
    /// - `OMP_THREAD_LIMIT=1`: Tesseract is 3–3.7× slower when several pages run in parallel
    ///   and OpenMP threads compete; OpenMP reads the variable once, at load.
    /// - `GLIBC_TUNABLES`: a fixed mmap threshold hands every page-sized buffer back to the
    ///   system when it is freed, and two arenas stop per-thread heaps from fragmenting; without
    ///   them peak memory grows with the number of pages read (260 → 520 MB over 300 pages).
    public static let required: KeyValuePairs<String, String> = [
        "OMP_THREAD_LIMIT": "1",
        "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=1048576:glibc.malloc.arena_max=2",
    ]

    /// Re-executes the current program once with the missing settings added. Settings the user
    /// already has are kept as they are. Returns when nothing is missing (or exec failed, in
    /// which case Chartex runs on, slower).
    public static func reexecIfNeeded() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["CHARTEX_REEXEC"] == nil else { return }
        let missing = required.filter { environment[$0.key] == nil }
        guard !missing.isEmpty else { return }
        for (key, value) in missing { setenv(key, value, 1) }
        setenv("CHARTEX_REEXEC", "1", 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        for pointer in argv { free(pointer) }
    }
}
