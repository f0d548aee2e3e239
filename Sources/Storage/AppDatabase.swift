import ChartModel
import Foundation
import GRDB

/// The Chartex store: one SQLite file (WAL) that holds the whole state of an import.
///
/// A `Sendable` wrapper around a GRDB `DatabasePool`. Open one per file per process. Every
/// method that writes is one transaction.
public struct AppDatabase: Sendable {
    /// The underlying pool, for read-only queries that have no method here.
    public let writer: any DatabaseWriter
    /// The database file's path (nil in memory).
    public let path: String?

    /// Opens (creating it with mode 0600 if needed) the database at `path` and migrates it.
    public static func open(path: String) throws -> AppDatabase {
        let url = URL(fileURLWithPath: path)
        if !FileManager.default.fileExists(atPath: url.path) {
            try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            // Created 0600 before SQLite touches it: SQLite gives its -wal and -shm files the
            // same mode as the database file.
            guard FileManager.default.createFile(atPath: url.path, contents: nil,
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw StorageError.cannotCreate(path: path, reason: "the folder is not writable")
            }
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        let pool = try DatabasePool(path: url.path, configuration: configuration)
        let database = AppDatabase(writer: pool, path: url.path)
        try database.migrate()
        return database
    }

    /// A migrated database in memory, for tests.
    public static func inMemory() throws -> AppDatabase {
        let database = AppDatabase(writer: try DatabaseQueue(), path: nil)
        try database.migrate()
        return database
    }

    /// Applies `Migrations/NNNN_name.sql` in order; the file name is the migration id.
    private func migrate() throws {
        var migrator = DatabaseMigrator()
        for (name, sql) in try Self.migrations() {
            migrator.registerMigration(name) { db in try db.execute(sql: sql) }
        }
        // Two processes opening a store of an older version at once (two workers after an
        // upgrade, two `ask`s) both see a migration missing; the one that loses the race fails on
        // the other's committed change. The migrations they raced on are then applied: try again.
        for attempt in 1... {
            do {
                return try migrator.migrate(writer)
            } catch let error as DatabaseError where attempt < 4 {
                if try writer.read({ try migrator.hasCompletedMigrations($0) }) { return }
                if error.resultCode != .SQLITE_ERROR && error.resultCode != .SQLITE_BUSY { throw error }
                Thread.sleep(forTimeInterval: 0.05 * Double(attempt))
            }
        }
    }

    static func migrations() throws -> [(String, String)] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw StorageError.migrationsMissing
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        return try files.map { file in
            (String(file.dropLast(4)), try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
        }
    }

    // MARK: - Audit

    /// The OS user running this process.
    public static var osUser: String {
        ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.userName
    }

    /// Records who did what.
    public func audit(_ action: String, documentId: Int64? = nil, detail: String? = nil) throws {
        try writer.write { db in
            var entry = AuditRecord(at: Timestamp.now(), action: action, osUser: Self.osUser,
                                    documentId: documentId, detail: detail)
            try entry.insert(db)
        }
    }
}
