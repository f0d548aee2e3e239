import Foundation
import GRDB

/// A page's text to embed.
public struct PageToIndex: Sendable {
    public var pageId: Int64
    public var documentId: Int64
    public var page: Int
    public var text: String
}

/// One embedded line of a page.
public struct StoredChunk: Sendable {
    public var documentId: Int64
    public var fileName: String
    public var page: Int
    public var text: String
    public var vector: [Float]
}

extension AppDatabase {
    /// Completed pages with text that `model` has not embedded yet, in document and page order.
    public func pagesToIndex(model: String, limit: Int = 64) throws -> [PageToIndex] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.id, p.documentId, p.number, p.text FROM page p
                WHERE p.status = 'completed'
                  AND NOT EXISTS (SELECT 1 FROM chunk c WHERE c.pageId = p.id AND c.model = ?)
                ORDER BY p.documentId, p.number LIMIT ?
                """, arguments: [model, limit]).map {
                PageToIndex(pageId: $0[0], documentId: $0[1], page: $0[2], text: $0[3])
            }
        }
    }

    /// Stores one page's embedded lines in one transaction (an empty list marks the page done).
    public func saveChunks(pageId: Int64, model: String, lines: [(text: String, vector: [Float])]) throws {
        try writer.write { db in
            try db.execute(sql: "DELETE FROM chunk WHERE pageId = ? AND model = ?", arguments: [pageId, model])
            if lines.isEmpty {
                try db.execute(sql: "INSERT INTO chunk (pageId, ordinal, model, text, vector) VALUES (?, -1, ?, '', x'')",
                               arguments: [pageId, model])
            }
            for (ordinal, line) in lines.enumerated() {
                let blob = line.vector.withUnsafeBufferPointer { Data(buffer: $0) }
                try db.execute(sql: "INSERT INTO chunk (pageId, ordinal, model, text, vector) VALUES (?, ?, ?, ?, ?)",
                               arguments: [pageId, ordinal, model, line.text, blob])
            }
        }
    }

    /// The embedded lines of `model`, of the given documents (all when nil).
    public func chunks(model: String, documentIds: [Int64]? = nil) throws -> [StoredChunk] {
        try writer.read { db in
            var sql = """
                SELECT p.documentId, d.fileName, p.number, c.text, c.vector FROM chunk c
                JOIN page p ON p.id = c.pageId JOIN document d ON d.id = p.documentId
                WHERE c.model = ? AND c.ordinal >= 0
                """
            var arguments: StatementArguments = [model]
            if let documentIds {
                sql += " AND p.documentId IN (\(documentIds.map { _ in "?" }.joined(separator: ",")))"
                arguments += StatementArguments(documentIds)
            }
            sql += " ORDER BY p.documentId, p.number, c.ordinal"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let blob: Data = row[4]
                let vector = blob.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                return StoredChunk(documentId: row[0], fileName: row[1], page: row[2], text: row[3], vector: vector)
            }
        }
    }

    /// How many pages `model` has embedded, and how many completed pages there are.
    public func indexCoverage(model: String) throws -> (indexed: Int, pages: Int) {
        try writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(DISTINCT pageId) FROM chunk WHERE model = ?", arguments: [model]) ?? 0,
             try Int.fetchOne(db, sql: "SELECT count(*) FROM page WHERE status = 'completed'") ?? 0)
        }
    }
}
