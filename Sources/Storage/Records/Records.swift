import Foundation
import GRDB

/// A document's state in the store.
public enum DocumentStatus: String, Codable, Sendable, DatabaseValueConvertible, CaseIterable {
    case queued, processing, completed, partial, failed
}

/// A job's state in the durable queue.
public enum JobState: String, Codable, Sendable, DatabaseValueConvertible, CaseIterable {
    case pending, running, done, failed
}

/// One imported file: table `document` (Migrations/0001_create_schema.sql).
public struct DocumentRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord, Identifiable {
    public static let databaseTableName = "document"
    public var id: Int64?
    public var sha256: String
    public var fileName: String
    public var sourcePath: String
    public var size: Int64
    public var pageCount: Int?
    public var status: DocumentStatus
    public var error: String?
    public var importedAt: String
    public var completedAt: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One page as read: table `page` (Migrations/0001_create_schema.sql). `lines` and `blocks`
/// are compact JSON arrays; words live in `word`.
public struct PageRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "page"
    public var id: Int64?
    public var documentId: Int64
    public var number: Int
    public var status: String
    public var error: String?
    public var width: Double?
    public var height: Double?
    public var dpi: Double?
    public var rotation: Int?
    public var skew: Double?
    public var source: String?
    public var meanConfidence: Double?
    public var blank: Bool
    public var text: String
    public var lines: String
    public var blocks: String
    public var readAt: String
    /// From Migrations/0002_add_page_classification.sql.
    public var documentType: String?
    public var segment: Int?
    public var patientMismatch: String?
    /// From Migrations/0004_add_page_blank_reason.sql.
    public var blankReason: String? = nil

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One word with its box: table `word` (Migrations/0001_create_schema.sql).
public struct WordRecord: Codable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "word"
    public var pageId: Int64
    public var ordinal: Int
    public var text: String
    public var x0: Double
    public var y0: Double
    public var x1: Double
    public var y1: Double
    public var conf: Double
}

/// One entry of the import queue: table `job` (Migrations/0001_create_schema.sql).
public struct JobRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "job"
    public var id: Int64?
    public var documentId: Int64
    public var path: String
    public var state: JobState
    public var attempts: Int
    public var leaseOwner: String?
    public var leaseExpiresAt: Double?
    public var heartbeatAt: Double?
    public var lastError: String?
    public var createdAt: String
    public var updatedAt: String

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One line of the audit log: table `auditLog` (Migrations/0001_create_schema.sql).
public struct AuditRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "auditLog"
    public var id: Int64?
    public var at: String
    public var action: String
    public var osUser: String
    public var documentId: Int64?
    public var detail: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One extracted value with its evidence: table `fact` (Migrations/0001_create_schema.sql).
public struct FactRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "fact"
    public var id: Int64?
    public var documentId: Int64
    public var extractionId: Int64?
    public var schema: String
    public var extractor: String
    public var groupName: String
    public var item: Int
    public var fieldPath: String
    public var rawValue: String?
    public var normalizedValue: String?
    public var evidencePage: Int?
    public var evidenceX0: Double?
    public var evidenceY0: Double?
    public var evidenceX1: Double?
    public var evidenceY1: Double?
    public var evidenceText: String?
    public var confidence: Double?
    public var status: String
    public var createdAt: String
    public var reviewReason: String?
    public var grounded: Bool = true
    public var alternative: Bool = false
    /// Who reviewed the fact (OS user or API token name), and when; nil before any review.
    public var reviewedBy: String?
    public var reviewedAt: String?

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// One review decision: table `review` (Migrations/0006_add_review.sql).
public struct ReviewRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "review"
    public var id: Int64?
    public var factId: Int64?
    public var documentId: Int64
    public var groupName: String
    public var item: Int
    public var fieldPath: String
    public var decision: String
    public var oldValue: String?
    public var newValue: String?
    public var oldStatus: String
    public var note: String?
    public var reviewer: String
    public var at: String

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Timestamps as stored: ISO 8601 UTC with milliseconds.
enum Timestamp {
    static func now() -> String { string(Date()) }

    static func string(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
