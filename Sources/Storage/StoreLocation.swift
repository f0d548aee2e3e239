import Foundation
import PostgresNIO

/// Where the store is: an SQLite file (the embedded default) or a PostgreSQL database
/// (`postgres://user@host:port/db`), from `--db` or `$CHARTEX_DB`.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// A `postgres://` or `postgresql://` URL is a PostgreSQL database; anything else is a file path.
    public init(_ string: String) throws {
        self = PostgresLocation.isPostgresURL(string) ? .postgres(try PostgresLocation(url: string)) : .sqlite(path: string)
    }

    /// For messages: the path, or the URL without its password.
    public var display: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let location): location.display
        }
    }

    /// Opens (creating and migrating) the store.
    public func open(connectTimeout: Double = 30) throws -> any Store {
        switch self {
        case .sqlite(let path): try AppDatabase.open(path: path)
        case .postgres(let location):
            try PostgresStore.open(location: location, connectTimeout: connectTimeout)
        }
    }

    /// Whether a store was created here: the file exists, or the database has Chartex's tables.
    public func exists() throws -> Bool {
        switch self {
        case .sqlite(let path): FileManager.default.fileExists(atPath: path)
        case .postgres(let location):
            try PostgresStore(pool: PostgresConnectionPool(location: location, connectTimeout: 10)).exists()
        }
    }

    /// Runs one read-only statement (`chartex sql`): SQLite opens the file read-only; PostgreSQL
    /// runs it in a READ ONLY transaction with a statement timeout, then rolls back.
    public func readOnlyQuery(_ sql: String) throws -> (columns: [String], rows: [[SQLValue]]) {
        switch self {
        case .sqlite(let path): return try AppDatabase.readOnlySQL(path: path).query(sql)
        case .postgres(let location):
            let store = PostgresStore(pool: PostgresConnectionPool(location: location, connectTimeout: 10))
            return try store.readOnlyQuery(sql)
        }
    }
}

extension PostgresStore {
    static func open(location: PostgresLocation, connectTimeout: Double) throws -> PostgresStore {
        let store = PostgresStore(pool: PostgresConnectionPool(location: location, connectTimeout: connectTimeout))
        try store.migrate()
        return store
    }

    func readOnlyQuery(_ sql: String) throws -> (columns: [String], rows: [[SQLValue]]) {
        try pool.transaction(readOnly: true) { tx in
            try tx.execute("SET LOCAL statement_timeout = '60s'")
            let rows = try tx.query(PostgresQuery(unsafeSQL: sql))
            let columns = rows.first.map { row in row.map(\.columnName) } ?? []
            return (columns, try rows.map { row in try row.map(Self.sqlValue) })
        }
    }

    /// A result cell as a plain value, whatever its PostgreSQL type.
    static func sqlValue(_ cell: PostgresCell) throws -> SQLValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .int(try cell.decode(Int64.self))
        case .float4, .float8: return .double(try cell.decode(Double.self))
        case .bool: return .int(try cell.decode(Bool.self) ? 1 : 0)
        case .numeric: return .string("\(try cell.decode(Decimal.self))")
        case .bytea:
            var buffer = try cell.decode(ByteBuffer.self)
            return .blob(Data(buffer.readBytes(length: buffer.readableBytes) ?? []))
        default:
            if let text = try? cell.decode(String.self) { return .string(text) }
            return .string("(\(cell.dataType))")
        }
    }
}
