import CMalloc
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Process settings that must be in the environment before the process starts.
public enum ProcessEnvironment {
    /// What Chartex needs, and why:
    /// - `OMP_THREAD_LIMIT=1`: Tesseract is 3–3.7× slower when several pages run in parallel
    ///   and OpenMP threads compete; OpenMP reads the variable once, at load.
    /// - `GLIBC_TUNABLES`: two malloc arenas instead of one per thread, so that freed page
    ///   buffers are reused across threads (see `releaseFreedMemory()`).
    public static let required: KeyValuePairs<String, String> = [
        "OMP_THREAD_LIMIT": "1",
        "GLIBC_TUNABLES": "glibc.malloc.arena_max=2",
    ]

    /// Returns freed heap memory to the system when the process holds more than
    /// `budgetMegabytes`.
    ///
    /// Reading a page allocates and frees several page-sized buffers, and glibc keeps what is
    /// freed: peak memory grew with the number of pages read on 2 threads (260 MB after 12
    /// pages, 310 MB after 60, 517 MB after 300). Trimming after every page kept it flat but
    /// cost 35 % in speed (Tesseract faults its buffers back in), and so did a low
    /// `glibc.malloc.mmap_threshold`; trimming only over a budget costs almost nothing.
    public static func releaseFreedMemory(overMegabytes budgetMegabytes: Int) {
        #if canImport(Glibc)
        guard let resident = residentMegabytes(), resident > budgetMegabytes else { return }
        _ = malloc_trim(0)
        #endif
    }

    /// The process's resident set size in megabytes, from /proc/self/statm.
    public static func residentMegabytes() -> Int? {
        // /proc files report a size of 0: read them to the end rather than by size.
        guard let handle = FileHandle(forReadingAtPath: "/proc/self/statm") else { return nil }
        defer { try? handle.close() }
        let statm = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / 1_048_576
    }

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
        // The raw argv, not CommandLine.arguments: that decodes arguments as UTF-8 lossily and
        // would break file names that are not UTF-8.
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
}
