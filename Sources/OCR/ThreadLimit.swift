import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Tesseract's OpenMP thread limit, which must be in the environment before the process starts.
public enum ThreadLimit {
    /// Without `OMP_THREAD_LIMIT=1` Tesseract is 3–3.7× slower when several pages run in
    /// parallel, and setting it after start is too late (OpenMP reads it once at load). When it
    /// is missing this re-executes the current program with it set; it returns only when the
    /// variable was already present (or the re-exec failed).
    public static func ensureSingleThreadedOpenMP() {
        guard ProcessInfo.processInfo.environment["OMP_THREAD_LIMIT"] == nil else { return }
        setenv("OMP_THREAD_LIMIT", "1", 1)
        let arguments = CommandLine.arguments
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        // execv only returns on failure: carry on, slower but correct.
        for pointer in argv { free(pointer) }
    }
}
