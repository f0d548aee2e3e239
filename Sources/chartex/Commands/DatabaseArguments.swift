import ArgumentParser
import ChartService
import Foundation
import Storage

/// Where the store lives: `--db PATH|postgres://user@host:port/db`, else `$CHARTEX_DB`, else
/// `./chartex.sqlite`.
struct DatabaseArguments: ParsableArguments {
    @Option(name: .customLong("db"),
            help: "The database: a file, or postgres://user@host:port/db (default: $CHARTEX_DB or ./chartex.sqlite).")
    var path: String?

    var resolvedPath: String {
        path ?? ProcessInfo.processInfo.environment["CHARTEX_DB"] ?? "chartex.sqlite"
    }

    /// The store's location, parsed (a bad postgres:// URL is a usage error).
    func location() throws -> StoreLocation {
        do {
            return try StoreLocation(resolvedPath)
        } catch {
            throw CommandFailure(message: "\(error)", exitCode: ExitStatus.usage)
        }
    }

    /// Where the store is, for messages (a URL without its password).
    var display: String { (try? StoreLocation(resolvedPath).display) ?? resolvedPath }

    /// Opens (creating and migrating) the store.
    func open() throws -> any Store {
        let location = try location()
        do {
            return try location.open()
        } catch {
            throw CommandFailure(message: "\(location.display): \(error)", exitCode: ExitStatus.internalError)
        }
    }

    /// Opens an existing store; a missing file (or a database without Chartex's tables) is a
    /// usage error, not a new empty store.
    func openExisting() throws -> any Store {
        let location = try location()
        let exists: Bool
        do {
            exists = try location.exists()
        } catch {
            throw CommandFailure(message: "\(location.display): \(error)", exitCode: ExitStatus.internalError)
        }
        guard exists else {
            throw CommandFailure(message: "\(location.display): no such database (import something first, or give --db)",
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
