import Foundation
import GRDB

/// Which facts to list.
public struct FactFilter: Sendable, Equatable {
    public var documentId: Int64?
    public var group: String?
    public var status: String?
    /// A substring of the review reason ("low OCR confidence", "not on the page"…).
    public var reason: String?
    public var includeAlternatives = true
    public var limit: Int?
    public var offset = 0

    public init(documentId: Int64? = nil, group: String? = nil, status: String? = nil, reason: String? = nil,
                includeAlternatives: Bool = true, limit: Int? = nil, offset: Int = 0) {
        (self.documentId, self.group, self.status, self.reason) = (documentId, group, status, reason)
        (self.includeAlternatives, self.limit, self.offset) = (includeAlternatives, limit, offset)
    }
}

/// A review decision on one fact.
public enum ReviewDecision: String, Codable, Sendable, CaseIterable {
    case accept, correct, reject
}

/// What a review changed: the fact as it is now, and the decision recorded.
public struct ReviewOutcome: Codable, Sendable {
    public var fact: FactRecord
    public var review: ReviewRecord
    /// Other readings of the same field that the decision set aside (now rejected).
    public var supersededFacts: [Int64]
}

extension ReviewDecision {
    /// The fact as this decision leaves it (value, status, extractor); who and when are the caller's.
    /// Accepting or correcting makes a reading the field's value, verified by the reviewer.
    func applied(to fact: FactRecord, value: String?) -> FactRecord {
        var fact = fact
        switch self {
        case .accept, .correct:
            if self == .correct, let value { fact.normalizedValue = value }
            fact.status = "verified"
            fact.extractor = "reviewer"
            fact.alternative = false
        case .reject:
            fact.status = "rejected"
        }
        return fact
    }

    /// The note on another reading of the field that an accept or a correction set aside.
    func supersedingNote(factId: Int64) -> String {
        "another reading of the field (fact \(factId)) was \(self == .accept ? "accepted" : "corrected")"
    }

    /// The audit log's line for the decision.
    func auditDetail(before: FactRecord, after: FactRecord) -> String {
        "fact \(after.id ?? 0) \(after.groupName)[\(after.item)].\(after.fieldPath): \(rawValue), \(before.status) → \(after.status)"
            + (before.normalizedValue != after.normalizedValue
                ? ", '\(before.normalizedValue ?? "")' → '\(after.normalizedValue ?? "")'" : "")
    }
}

extension AppDatabase {
    public func fact(id: Int64) throws -> FactRecord? {
        try writer.read { db in try FactRecord.fetchOne(db, key: id) }
    }

    public func facts(_ filter: FactFilter) throws -> [FactRecord] {
        try writer.read { db in
            var request = FactRecord.order(Column("documentId"), Column("groupName"), Column("item"), Column("id"))
            if let id = filter.documentId { request = request.filter(Column("documentId") == id) }
            if let group = filter.group { request = request.filter(Column("groupName") == group) }
            if let status = filter.status { request = request.filter(Column("status") == status) }
            if let reason = filter.reason { request = request.filter(Column("reviewReason").like("%\(reason)%")) }
            if !filter.includeAlternatives { request = request.filter(Column("alternative") == false) }
            if let limit = filter.limit { request = request.limit(limit, offset: filter.offset) }
            return try request.fetchAll(db)
        }
    }

    /// Applies a review decision in one transaction: the fact's status (and, for a correction,
    /// its value, already validated by the caller) and who decided, a `review` row per fact it
    /// changed, and an audit-log row. Accepting or correcting a reading makes it the field's
    /// value: the field's other readings (alternatives, or the value an alternative replaces)
    /// are rejected.
    public func applyReview(factId: Int64, decision: ReviewDecision, value: String?, note: String?,
                            reviewer: String) throws -> ReviewOutcome {
        try writer.write { db in
            guard var fact = try FactRecord.fetchOne(db, key: factId) else { throw StorageError.factNotFound(id: factId) }
            let now = Timestamp.now()
            let before = fact
            var superseded: [Int64] = []
            fact = decision.applied(to: fact, value: value)
            if decision != .reject {
                // The field's other readings are set aside.
                let others = try FactRecord.filter(Column("documentId") == fact.documentId && Column("groupName") == fact.groupName
                                                   && Column("item") == fact.item && Column("fieldPath") == fact.fieldPath
                                                   && Column("id") != factId && Column("status") != "rejected").fetchAll(db)
                for var other in others {
                    let old = other
                    other.status = "rejected"
                    other.reviewedBy = reviewer
                    other.reviewedAt = now
                    try other.update(db)
                    var row = ReviewRecord(factId: other.id, documentId: other.documentId, groupName: other.groupName, item: other.item,
                                           fieldPath: other.fieldPath, decision: ReviewDecision.reject.rawValue,
                                           oldValue: old.normalizedValue, newValue: old.normalizedValue, oldStatus: old.status,
                                           note: decision.supersedingNote(factId: factId),
                                           reviewer: reviewer, at: now)
                    try row.insert(db)
                    superseded.append(other.id!)
                }
            }
            fact.reviewedBy = reviewer
            fact.reviewedAt = now
            try fact.update(db)
            var review = ReviewRecord(factId: factId, documentId: fact.documentId, groupName: fact.groupName, item: fact.item,
                                      fieldPath: fact.fieldPath, decision: decision.rawValue, oldValue: before.normalizedValue,
                                      newValue: fact.normalizedValue, oldStatus: before.status, note: note, reviewer: reviewer, at: now)
            try review.insert(db)
            var entry = AuditRecord(at: now, action: "review", osUser: reviewer, documentId: fact.documentId,
                                    detail: decision.auditDetail(before: before, after: fact))
            try entry.insert(db)
            return ReviewOutcome(fact: fact, review: review, supersededFacts: superseded)
        }
    }

    /// Every decision on a fact, or on a document's facts, oldest first.
    public func reviews(factId: Int64? = nil, documentId: Int64? = nil) throws -> [ReviewRecord] {
        try writer.read { db in
            var request = ReviewRecord.order(Column("id"))
            if let factId { request = request.filter(Column("factId") == factId) }
            if let documentId { request = request.filter(Column("documentId") == documentId) }
            return try request.fetchAll(db)
        }
    }

    /// The audit log, newest first.
    public func auditLog(documentId: Int64? = nil, limit: Int = 100) throws -> [AuditRecord] {
        try writer.read { db in
            var request = AuditRecord.order(Column("id").desc).limit(limit)
            if let documentId { request = request.filter(Column("documentId") == documentId) }
            return try request.fetchAll(db)
        }
    }

    // MARK: - Named queries for the commands

    /// Words per page number of a document.
    public func wordCounts(documentId: Int64) throws -> [Int: Int] {
        try writer.read { db in
            try [Int: Int](Row.fetchAll(db, sql: """
                SELECT p.number, count(w.ordinal) FROM page p LEFT JOIN word w ON w.pageId = p.id
                WHERE p.documentId = ? GROUP BY p.id
                """, arguments: [documentId]).map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Each document's patient MRN as extracted (documents without one are absent; rejected
    /// readings do not count).
    public func patientMRNs() throws -> [(documentId: Int64, mrn: String)] {
        try writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT documentId, normalizedValue FROM fact
                WHERE groupName = 'patient' AND fieldPath = 'mrn' AND status != 'rejected' AND normalizedValue IS NOT NULL
                """).map { (documentId: $0[0] as Int64, mrn: $0[1] as String) }
        }
    }

    /// Each document's latest encounter date (visit, admission or discharge), for ordering
    /// documents in time.
    public func latestEncounterDates() throws -> [Int64: String] {
        try writer.read { db in
            try [Int64: String](Row.fetchAll(db, sql: """
                SELECT documentId, max(normalizedValue) FROM fact
                WHERE groupName = 'encounters' AND fieldPath IN ('date', 'endDate') AND status != 'rejected'
                GROUP BY documentId
                """).compactMap { row -> (Int64, String)? in
                    guard let date = row[1] as String? else { return nil }
                    return (row[0], date)
                }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// Where the document's file was read from (a file URI), when the queue recorded it.
    public func sourceURI(documentId: Int64) throws -> String? {
        try writer.read { db in
            try String.fetchOne(db, sql: "SELECT path FROM job WHERE documentId = ? ORDER BY id DESC LIMIT 1", arguments: [documentId])
        }
    }

    /// One stored page of a document.
    public func page(documentId: Int64, number: Int) throws -> PageRecord? {
        try writer.read { db in
            try PageRecord.filter(Column("documentId") == documentId && Column("number") == number).fetchOne(db)
        }
    }

    public func document(id: Int64) throws -> DocumentRecord? {
        try writer.read { db in try DocumentRecord.fetchOne(db, key: id) }
    }
}
