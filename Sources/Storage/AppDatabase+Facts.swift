import ChartModel
import Foundation
import GRDB

/// A fact to store, with its evidence.
public struct FactInput: Sendable {
    public var group: String
    public var item: Int
    public var field: String
    public var raw: String
    public var value: String
    public var page: Int?
    public var bbox: BoundingBox?
    public var evidenceText: String?
    public var confidence: Double?
    public var status: String
    /// Why the fact needs review.
    public var reviewReason: String?
    /// False when the value was not found on its page.
    public var grounded = true
    /// A candidate another extractor disagreed with, not the item's value.
    public var alternative = false
    /// rules, model or rules+model; nil = the extraction's extractor.
    public var extractor: String?

    public init(group: String, item: Int, field: String, raw: String, value: String, page: Int?, bbox: BoundingBox?,
                evidenceText: String?, confidence: Double?, status: String) {
        self.group = group
        self.item = item
        self.field = field
        self.raw = raw
        self.value = value
        self.page = page
        self.bbox = bbox
        self.evidenceText = evidenceText
        self.confidence = confidence
        self.status = status
    }
}

/// How one page was classified (see Migrations/0002_add_page_classification.sql).
public struct PageLabel: Sendable {
    public var page: Int
    public var documentType: String
    public var segment: Int?
    public var patientMismatch: String?

    public init(page: Int, documentType: String, segment: Int?, patientMismatch: String?) {
        self.page = page
        self.documentType = documentType
        self.segment = segment
        self.patientMismatch = patientMismatch
    }
}

extension AppDatabase {
    /// Stores each page's document type, segment and wrong-patient flag.
    public func savePageLabels(_ labels: [PageLabel], documentId: Int64) throws {
        try writer.write { db in
            for label in labels {
                try db.execute(sql: """
                    UPDATE page SET documentType = ?, segment = ?, patientMismatch = ? WHERE documentId = ? AND number = ?
                    """, arguments: [label.documentType, label.segment, label.patientMismatch, documentId, label.page])
            }
        }
    }

    /// The stored pages of a document as page readings (words, lines, blocks), for extraction.
    public func pageReadings(documentId: Int64) throws -> [PageReading] {
        try writer.read { db in
            let pages = try PageRecord.filter(Column("documentId") == documentId && Column("status") == "completed")
                .order(Column("number")).fetchAll(db)
            return try pages.map { page in
                let words = try WordRecord.filter(Column("pageId") == page.id!).order(Column("ordinal")).fetchAll(db).map {
                    Word(text: $0.text, bbox: BoundingBox(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1), conf: $0.conf)
                }
                return Self.reading(page, words: words)
            }
        }
    }

    /// A stored page and its words as a page reading (lines rebuilt from the compact column).
    static func reading(_ page: PageRecord, words: [Word]) -> PageReading {
        let rows = (try? JSONDecoder().decode([[Double]].self, from: Data(page.lines.utf8))) ?? []
        let lines = rows.compactMap { r -> TextLine? in
            guard r.count >= 7, Int(r[0]) >= 0, Int(r[1]) >= 0, Int(r[0]) + Int(r[1]) <= words.count else { return nil }
            let range = Int(r[0])..<(Int(r[0]) + Int(r[1]))
            return TextLine(text: words[range].map(\.text).joined(separator: " "),
                            bbox: BoundingBox(x0: r[2], y0: r[3], x1: r[4], y1: r[5]), conf: r[6], words: range)
        }
        return PageReading(number: page.number, width: page.width ?? 612, height: page.height ?? 792, pdfRotation: 0,
                           source: TextSource(rawValue: page.source ?? "ocr") ?? .ocr, rotation: page.rotation ?? 0,
                           skew: page.skew ?? 0, dpi: page.dpi, meanConfidence: page.meanConfidence, text: page.text,
                           words: words, lines: lines, blocks: [], timings: PageTimings())
    }

    /// Stores one extraction attempt and its facts in one transaction, replacing what was
    /// stored for the document before (re-running is idempotent) except reviewed facts, which a
    /// re-extraction never overwrites. A failed attempt
    /// is stored with its error and no facts.
    public func saveExtraction(documentId: Int64, schema: String, extractor: String, facts: [FactInput],
                               error: String? = nil, output: String? = nil) throws {
        try writer.write { db in
            // One current set of facts per document, whichever extractor made the earlier one;
            // what a person reviewed stays, and no new reading of the same field replaces it.
            try db.execute(sql: "DELETE FROM fact WHERE documentId = ? AND reviewedBy IS NULL", arguments: [documentId])
            let reviewed = Set(try Row.fetchAll(db, sql: """
                SELECT groupName, item, fieldPath FROM fact WHERE documentId = ? AND reviewedBy IS NOT NULL
                """, arguments: [documentId]).map { "\($0[0] as String)#\($0[1] as Int)#\($0[2] as String)" })
            let now = Timestamp.now()
            let pages = facts.compactMap(\.page)
            try db.execute(sql: """
                INSERT INTO extraction (documentId, schema, extractor, firstPage, lastPage, status, error, output, createdAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [documentId, schema, extractor, pages.min(), pages.max(), error == nil ? "succeeded" : "failed",
                                 error, output, now])
            let extractionId = db.lastInsertedRowID
            guard error == nil else { return }
            for fact in facts where !reviewed.contains("\(fact.group)#\(fact.item)#\(fact.field)") {
                var record = FactRecord(id: nil, documentId: documentId, extractionId: extractionId, schema: schema,
                                        extractor: fact.extractor ?? extractor, groupName: fact.group, item: fact.item, fieldPath: fact.field,
                                        rawValue: fact.raw, normalizedValue: fact.value, evidencePage: fact.page,
                                        evidenceX0: fact.bbox?.x0, evidenceY0: fact.bbox?.y0, evidenceX1: fact.bbox?.x1,
                                        evidenceY1: fact.bbox?.y1, evidenceText: fact.evidenceText, confidence: fact.confidence,
                                        status: fact.status, createdAt: now, reviewReason: fact.reviewReason,
                                        grounded: fact.grounded, alternative: fact.alternative)
                try record.insert(db)
            }
        }
    }

    /// Records one model request (a page section): its outcome, and the validated JSON or the
    /// error. Never facts: those are stored by `saveExtraction` once the document is merged.
    public func saveModelAttempt(documentId: Int64, page: Int, section: String, schema: String, succeeded: Bool,
                                 error: String?, output: String?, seconds: Double, requests: Int, model: String? = nil) throws {
        try writer.write { db in
            try db.execute(sql: """
                INSERT INTO extraction (documentId, schema, extractor, firstPage, lastPage, status, error, output, createdAt,
                                        section, seconds, requests, model)
                VALUES (?, ?, 'model', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [documentId, schema, page, page, succeeded ? "succeeded" : "failed", error, output,
                                 Timestamp.now(), section, (seconds * 1000).rounded() / 1000, requests, model])
        }
    }
}
