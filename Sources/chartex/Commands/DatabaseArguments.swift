import ArgumentParser
import ChartService
import Foundation
import Storage

/// Where the store lives: `--db PATH`, else `$CHARTEX_DB`, else `./chartex.sqlite`.
struct DatabaseArguments: ParsableArguments {
    @Option(name: .customLong("db"), help: "The database file (default: $CHARTEX_DB or ./chartex.sqlite).")
    var path: String?

    var resolvedPath: String {
        path ?? ProcessInfo.processInfo.environment["CHARTEX_DB"] ?? "chartex.sqlite"
    }

    /// Opens (creating and migrating) the store.
    func open() throws -> AppDatabase {
        do {
            return try AppDatabase.open(path: resolvedPath)
        } catch {
            throw CommandFailure(message: "\(resolvedPath): \(error)", exitCode: ExitStatus.internalError)
        }
    }

    /// Opens an existing store; a missing file is a usage error, not a new empty store.
    func openExisting() throws -> AppDatabase {
        guard FileManager.default.fileExists(atPath: resolvedPath) else {
            throw CommandFailure(message: "\(resolvedPath): no such database (import something first, or give --db)",
                                 exitCode: ExitStatus.notFound)
        }
        return try open()
    }

    /// The service layer over the existing store.
    func service() throws -> ChartService {
        ChartService(store: try openExisting())
    }
}

/// A failure whose message is printed as `chartex: MESSAGE` before exiting with `exitCode`.
struct CommandFailure: Error, CustomStringConvertible {
    var message: String
    var exitCode: ExitCode
    var description: String { message }
}
