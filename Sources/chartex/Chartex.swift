import ArgumentParser

/// The `chartex` command line.
struct Chartex: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "chartex",
        abstract: "Turn scanned medical charts (PDF) into validated, queryable facts.",
        discussion: """
            Exit codes: 0 all input read; 64 usage error; 65 one or more files or pages could \
            not be read (the rest were); 70 internal error.
            """,
        version: "0.1.0",
        subcommands: [Ocr.self])
}

/// Exit codes shared by every command (sysexits.h values).
enum ExitStatus {
    static let inputFailed = ExitCode(65)
    static let internalError = ExitCode(70)
}
