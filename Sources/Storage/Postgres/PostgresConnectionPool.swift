import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// Where a PostgreSQL store lives, from a `postgres://user[:password]@host[:port]/database` URL.
/// `?host=/run/postgresql` (a folder) connects over that folder's Unix socket instead of TCP;
/// `?connect_timeout=S` (seconds, default 30) bounds the retries when the server cannot be
/// reached; `?query_timeout=S` (default 120) closes a connection whose statement has not
/// answered by then (a cut link).
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var socketFolder: String?
    public var connectTimeout: Double?
    public var queryTimeout: Double?

    /// True for `postgres://…` and `postgresql://…`.
    public static func isPostgresURL(_ string: String) -> Bool {
        string.hasPrefix("postgres://") || string.hasPrefix("postgresql://")
    }

    public init(url string: String) throws {
        guard Self.isPostgresURL(string), let components = URLComponents(string: string) else {
            throw StorageError.cannotCreate(path: Self.redacted(string), reason: "not a postgres:// URL")
        }
        host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
        port = components.port ?? 5432
        user = components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        password = components.password
        let path = components.path.drop(while: { $0 == "/" })
        database = path.isEmpty ? user : String(path)
        func item(_ name: String) -> String? { components.queryItems?.first(where: { $0.name == name })?.value }
        socketFolder = item("host")
        connectTimeout = item("connect_timeout").flatMap(Double.init)
        queryTimeout = item("query_timeout").flatMap(Double.init)
    }

    /// The URL without its password, for messages and logs.
    public var display: String {
        socketFolder.map { "postgres://\(user)@/\(database)?host=\($0)" } ?? "postgres://\(user)@\(host):\(port)/\(database)"
    }

    static func redacted(_ string: String) -> String {
        guard var components = URLComponents(string: string) else { return "postgres://…" }
        if components.password != nil { components.password = "…" }
        return components.string ?? "postgres://…"
    }
}

/// A small pool of PostgreSQL connections, used synchronously: the store's protocols are
/// synchronous (like GRDB's), so each call blocks its thread on a NIO future. The futures run
/// on NIO's own event loops, never on the caller's, so blocking cannot starve them.
///
/// A lost connection (server restart, cut link) fails the call in progress, and the next call
/// connects again, retrying with backoff for up to `connectTimeout`. Every query has a time
/// limit (`queryTimeout`): a link that goes silent closes the connection instead of hanging.
final class PostgresConnectionPool: @unchecked Sendable {
    let location: PostgresLocation
    let connectTimeout: Double
    let queryTimeout: Double
    private let maxIdle: Int
    private let logger: Logger
    // Guards `idle` and `nextID` (the class is @unchecked Sendable because of them).
    private let lock = NSLock()
    private var idle: [PostgresConnection] = []
    private var nextID = 1

    init(location: PostgresLocation, connectTimeout: Double = 30, queryTimeout: Double = 120, maxIdle: Int = 4) {
        self.location = location
        self.connectTimeout = location.connectTimeout ?? connectTimeout
        self.queryTimeout = location.queryTimeout ?? queryTimeout
        self.maxIdle = maxIdle
        var logger = Logger(label: "chartex.postgres")
        // postgres-nio logs queries and their binds at debug level: keep patient data out of logs.
        logger.logLevel = .error
        self.logger = logger
    }

    deinit {
        for connection in idle { Self.discard(connection) }
    }

    /// Runs `body` on one connection inside a transaction: COMMIT when it returns, ROLLBACK when it throws.
    /// `readOnly`: BEGIN READ ONLY, so the server refuses any write (`chartex sql`).
    @discardableResult
    func transaction<T>(readOnly: Bool = false, _ body: (PostgresTransaction) throws -> T) throws -> T {
        try run(begin: readOnly ? "BEGIN READ ONLY" : "BEGIN", body)
    }

    /// Runs reads on one connection without a transaction: at READ COMMITTED a transaction would
    /// give each statement its own snapshot all the same, and this saves two round trips.
    func read<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
        try run(begin: nil, body)
    }

    private func run<T>(begin: String?, _ body: (PostgresTransaction) throws -> T) throws -> T {
        let connection = try checkout()
        let transaction = PostgresTransaction(connection: connection, logger: logger, timeout: queryTimeout)
        do {
            if let begin { try transaction.execute(begin) }
            let result = try body(transaction)
            if begin != nil { try transaction.execute("COMMIT") }
            checkin(connection)
            return result
        } catch {
            if !connection.isClosed, (try? transaction.execute("ROLLBACK")) != nil {
                checkin(connection)
            } else {
                Self.discard(connection)
            }
            throw Self.storageError(error)
        }
    }

    private func checkout() throws -> PostgresConnection {
        let reused: PostgresConnection? = lock.withLock {
            while let connection = idle.popLast() {
                if !connection.isClosed { return connection }
            }
            return nil
        }
        if let reused { return reused }
        return try connect()
    }

    private func checkin(_ connection: PostgresConnection) {
        let keep = lock.withLock { () -> Bool in
            guard !connection.isClosed, idle.count < maxIdle else { return false }
            idle.append(connection)
            return true
        }
        if !keep { Self.discard(connection) }
    }

    /// Closes a connection, keeping it alive until it is closed (postgres-nio insists).
    static func discard(_ connection: PostgresConnection) {
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Connects, retrying with backoff (0.1 s doubling to 2 s) until `connectTimeout` has passed.
    private func connect() throws -> PostgresConnection {
        var configuration: PostgresConnection.Configuration
        if let folder = location.socketFolder {
            configuration = .init(unixSocketPath: "\(folder)/.s.PGSQL.\(location.port)", username: location.user,
                                  password: location.password, database: location.database)
        } else {
            configuration = .init(host: location.host, port: location.port, username: location.user,
                                  password: location.password, database: location.database, tls: .disable)
        }
        configuration.options.connectTimeout = .milliseconds(Int64(min(connectTimeout, 10) * 1000))
        let deadline = Date().addingTimeInterval(connectTimeout)
        var delay = 0.1
        while true {
            let id = lock.withLock { () -> Int in
                nextID += 1
                return nextID
            }
            do {
                return try PostgresConnection.connect(on: MultiThreadedEventLoopGroup.singleton.any(),
                                                      configuration: configuration, id: id, logger: logger).wait()
            } catch {
                // A refused login or a missing database does not get better by waiting.
                if let psql = error as? PSQLError, psql.code == .server { throw Self.storageError(error) }
                guard Date().addingTimeInterval(delay) < deadline else {
                    throw StorageError.unavailable(location: location.display, reason: Self.message(error))
                }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 2)
            }
        }
    }

    /// PostgreSQL's own message for a server error; a short description for a connection error.
    static func message(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            return psql.serverInfo?[.detail].map { "\(message) (\($0))" } ?? message
        }
        switch psql.code {
        case .serverClosedConnection, .clientClosedConnection, .uncleanShutdown: return "the connection was closed"
        case .connectionError: return "cannot connect (\(psql.underlying.map { "\($0)" } ?? "no route"))"
        default: return "\(psql.code)"
        }
    }

    static func storageError(_ error: any Error) -> any Error {
        guard let psql = error as? PSQLError else { return error }
        if psql.code == .server { return StorageError.sqlFailed(message: message(error)) }
        return StorageError.unavailable(location: "PostgreSQL", reason: message(error))
    }
}

/// One transaction's connection: run statements, read rows.
struct PostgresTransaction {
    let connection: PostgresConnection
    let logger: Logger
    let timeout: Double

    @discardableResult
    func query(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
        let future = connection.query(query, logger: logger)
        let connection = self.connection
        // A silent link would leave the query waiting forever: close the connection at the limit.
        let timer = connection.eventLoop.scheduleTask(in: .milliseconds(Int64(timeout * 1000))) {
            PostgresConnectionPool.discard(connection)
        }
        defer { timer.cancel() }
        return try future.wait().rows.map { $0.makeRandomAccess() }
    }

    func execute(_ sql: String) throws {
        try query(PostgresQuery(unsafeSQL: sql))
    }

    /// The first column of the first row.
    func scalar<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) throws -> T? {
        guard let cell = try self.query(query).first?.first, cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }
}

extension PostgresRandomAccessRow {
    /// The value of a column by its name as written in the SQL (PostgreSQL folds unquoted names to lower case).
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column.lowercased()].decode(T.self)
    }
}

/// SQL built piece by piece with numbered parameters, for statements whose shape depends on a filter.
struct PostgresStatement {
    var sql: String
    var binds = PostgresBindings()

    init(_ sql: String) { self.sql = sql }

    /// Appends `$n` for `value` and returns it.
    mutating func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    mutating func bind(_ value: (some PostgresDynamicTypeEncodable)?) -> String {
        binds.append(value)
        return "$\(binds.count)"
    }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}
