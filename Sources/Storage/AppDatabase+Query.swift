import Foundation
import GRDB
import GRDBSQLite

/// Counts for `chartex status`.
public struct StoreStatus: Codable, Sendable {
    public var documents: [String: Int]
    public var jobs: [String: Int]
    public var pages: Int
    public var failedPages: Int
    public var words: Int
    public var facts: Int
}

/// One search hit: where, and a snippet with the match in [brackets].
public struct SearchHit: Codable, Sendable {
    public var documentId: Int64
    public var fileName: String
    public var sha256: String
    public var page: Int
    public var snippet: String
}

extension AppDatabase {
    public func status() throws -> StoreStatus {
        try writer.read { db in
            func counts(_ sql: String) throws -> [String: Int] {
                var result: [String: Int] = [:]
                for row in try Row.fetchAll(db, sql: sql) { result[row[0]] = row[1] }
                return result
            }
            return StoreStatus(
                documents: try counts("SELECT status, count(*) FROM document GROUP BY status"),
                jobs: try counts("SELECT state, count(*) FROM job GROUP BY state"),
                pages: try Int.fetchOne(db, sql: "SELECT count(*) FROM page") ?? 0,
                failedPages: try Int.fetchOne(db, sql: "SELECT count(*) FROM page WHERE status = 'failed'") ?? 0,
                words: try Int.fetchOne(db, sql: "SELECT count(*) FROM word") ?? 0,
                facts: try Int.fetchOne(db, sql: "SELECT count(*) FROM fact") ?? 0)
        }
    }

    public func documents() throws -> [DocumentRecord] {
        try writer.read { db in try DocumentRecord.order(Column("id")).fetchAll(db) }
    }

    /// Finds a document by id, unique sha256 prefix (4+ hex digits) or file name.
    public func resolveDocument(_ reference: String) throws -> DocumentRecord {
        try writer.read { db in
            try DocumentReference.resolve(reference) { criterion in
                switch criterion {
                case .id(let id): try DocumentRecord.fetchOne(db, key: id).map { [$0] } ?? []
                case .shaPrefix(let prefix): try DocumentRecord.filter(sql: "sha256 LIKE ? || '%'", arguments: [prefix]).fetchAll(db)
                case .fileName(let name): try DocumentRecord.filter(Column("fileName") == name).fetchAll(db)
                case .sourcePath(let path): try DocumentRecord.filter(Column("sourcePath") == path).fetchAll(db)
                }
            }
        }
    }

    public func pages(documentId: Int64) throws -> [PageRecord] {
        try writer.read { db in
            try PageRecord.filter(Column("documentId") == documentId).order(Column("number")).fetchAll(db)
        }
    }

    public func words(pageId: Int64) throws -> [WordRecord] {
        try writer.read { db in
            try WordRecord.filter(Column("pageId") == pageId).order(Column("ordinal")).fetchAll(db)
        }
    }

    public func facts(documentId: Int64?) throws -> [FactRecord] {
        try writer.read { db in
            var request = FactRecord.order(Column("documentId"), Column("groupName"), Column("item"), Column("id"))
            if let documentId { request = request.filter(Column("documentId") == documentId) }
            return try request.fetchAll(db)
        }
    }

    /// Full-text search over page text. Plain words match as words (all of them, any order);
    /// FTS5 syntax ("quoted phrases", OR, prefix*) works too.
    public func search(_ query: String, documentId: Int64? = nil, limit: Int = 20) throws -> [SearchHit] {
        try writer.read { db in
            func run(_ match: String) throws -> [SearchHit] {
                var sql = """
                    SELECT d.id, d.fileName, d.sha256, p.number,
                           snippet(pageText, 0, '[', ']', '…', 12) AS snippet
                    FROM pageText JOIN page p ON p.id = pageText.rowid JOIN document d ON d.id = p.documentId
                    WHERE pageText MATCH ?
                    """
                var arguments: StatementArguments = [match]
                if let documentId {
                    sql += " AND d.id = ?"
                    arguments += [documentId]
                }
                sql += " ORDER BY rank LIMIT ?"
                arguments += [limit]
                return try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                    SearchHit(documentId: $0[0], fileName: $0[1], sha256: $0[2], page: $0[3], snippet: $0[4])
                }
            }
            do {
                return try run(query)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_ERROR {
                // Not valid FTS5 syntax (a stray quote, a colon): search the words as phrases.
                let quoted = query.split(whereSeparator: \.isWhitespace)
                    .map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }.joined(separator: " ")
                return try run(quoted)
            }
        }
    }

    // MARK: - Read-only SQL

    /// Opens `path` for `chartex sql`: a read-only connection (writes are refused by SQLite
    /// itself), with ATTACH disabled and `query_only` set, so no statement can change any file.
    public static func openReadOnly(path: String) throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: path) else {
            throw StorageError.cannotCreate(path: path, reason: "no such database")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.prepareDatabase { db in
            // No ATTACH: an attached database (even :memory:) would be writable.
            sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_ATTACHED, 0)
            try db.execute(sql: "PRAGMA query_only = ON")
        }
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    /// The read-only connection of `openReadOnly`, for `chartex sql`.
    public static func readOnlySQL(path: String) throws -> ReadOnlyStore {
        ReadOnlyStore(queue: try openReadOnly(path: path))
    }
}

/// A value of a SQL result.
public enum SQLValue: Sendable, Equatable {
    case null, int(Int64), double(Double), string(String), blob(Data)
}

/// A read-only connection for `chartex sql`.
public struct ReadOnlyStore: Sendable {
    let queue: DatabaseQueue

    /// Runs one statement and returns its column names and rows. A statement SQLite refuses
    /// (a write, bad syntax) throws `StorageError.sqlFailed` with SQLite's message.
    public func query(_ sql: String) throws -> (columns: [String], rows: [[SQLValue]]) {
        do {
            return try queue.read { db in
                // No inspection of the SQL here: the connection itself refuses to write.
                let statement = try db.makeStatement(sql: sql)
                let rows = try Row.fetchAll(statement)
                return (statement.columnNames, rows.map { row in
                    row.databaseValues.map { value -> SQLValue in
                        switch value.storage {
                        case .null: .null
                        case .int64(let v): .int(v)
                        case .double(let v): .double(v)
                        case .string(let v): .string(v)
                        case .blob(let data): .blob(data)
                        }
                    }
                })
            }
        } catch let error as DatabaseError {
            throw StorageError.sqlFailed(message: error.message ?? "\(error)")
        }
    }
}
