import ChartModel
import Foundation
import GRDB

/// One document as exported. The layout is documented in docs/export.md and described by
/// Schemas/export.schema.json; fields are only ever added.
public struct ExportedDocument: Encodable, Sendable {
    public var id: Int64
    public var sha256: String
    public var fileName: String
    public var size: Int64
    public var pageCount: Int?
    public var status: String
    public var error: String?
    public var importedAt: String
    public var completedAt: String?
    public var pages: [ExportedPage]
    public var facts: [ExportedFact]
    /// The models that read the document (their configured names), absent when only the rules did.
    public var models: [String]?
}

public struct ExportedPage: Encodable, Sendable {
    public var number: Int
    public var status: String
    public var error: String?
    public var source: String?
    public var width: Double?
    public var height: Double?
    public var rotation: Int?
    public var skew: Double?
    public var dpi: Double?
    public var meanConfidence: Double?
    public var blank: Bool
    /// Why a blank page holds no words (null for pages with text).
    public var blankReason: String?
    public var documentType: String?
    public var segment: Int?
    public var patientMismatch: String?
    public var text: String
    public var lines: [ExportedLine]
    /// Pages of other documents that read like this one (the same page faxed twice), by the
    /// semantic index; absent when there are none or the index is not built.
    public var nearDuplicates: [ExportedNearDuplicate]?
}

public struct ExportedNearDuplicate: Encodable, Sendable {
    public var documentSha256: String
    public var fileName: String
    public var page: Int
    public var cosine: Double

    public init(documentSha256: String, fileName: String, page: Int, cosine: Double) {
        (self.documentSha256, self.fileName, self.page, self.cosine) = (documentSha256, fileName, page, cosine)
    }
}

public struct ExportedLine: Encodable, Sendable {
    public var text: String
    public var bbox: BoundingBox
    public var conf: Double
}

/// A fact with its provenance: the document's hash, the page and the box it came from.
public struct ExportedFact: Encodable, Sendable {
    public var group: String
    public var item: Int
    public var field: String
    public var value: String?
    public var rawValue: String?
    public var status: String
    public var confidence: Double?
    public var schema: String
    public var extractor: String
    /// Why the fact needs review (an extractor disagreement, low OCR confidence, a value not on the page…).
    public var reviewReason: String?
    /// False when the value could not be found on its page.
    public var grounded: Bool
    /// True for a competing candidate kept for the reviewer: the item's value is the fact that is not an alternative.
    public var alternative: Bool
    /// Who reviewed the fact (OS user or API token name) and when; absent before any review.
    public var reviewedBy: String?
    public var reviewedAt: String?
    public var evidence: Evidence?

    public struct Evidence: Encodable, Sendable {
        public var documentSha256: String
        public var page: Int
        public var bbox: BoundingBox?
        public var text: String?
    }
}

extension AppDatabase {
    /// The export of one document: pages with their lines and boxes, and facts with evidence.
    public func exportDocument(_ document: DocumentRecord) throws -> ExportedDocument {
        try writer.read { db in
            let pages = try PageRecord.filter(Column("documentId") == document.id!).order(Column("number")).fetchAll(db)
            var exportedPages: [ExportedPage] = []
            for page in pages {
                let words = try String.fetchAll(db, sql: "SELECT text FROM word WHERE pageId = ? ORDER BY ordinal",
                                                arguments: [page.id!])
                let lines = Self.expandLines(page.lines, words: words)
                exportedPages.append(ExportedPage(number: page.number, status: page.status, error: page.error,
                                                  source: page.source, width: page.width, height: page.height,
                                                  rotation: page.rotation, skew: page.skew, dpi: page.dpi,
                                                  meanConfidence: page.meanConfidence, blank: page.blank,
                                                  blankReason: page.blankReason, documentType: page.documentType, segment: page.segment,
                                                  patientMismatch: page.patientMismatch, text: page.text, lines: lines))
            }
            let facts = try FactRecord.filter(Column("documentId") == document.id!)
                .order(Column("groupName"), Column("item"), Column("id")).fetchAll(db).map { Self.exported($0, of: document) }
            let models = try String.fetchAll(db, sql: """
                SELECT DISTINCT model FROM extraction
                WHERE documentId = ? AND extractor = 'model' AND status = 'succeeded' AND model IS NOT NULL ORDER BY model
                """, arguments: [document.id!])
            return ExportedDocument(id: document.id!, sha256: document.sha256, fileName: document.fileName,
                                    size: document.size, pageCount: document.pageCount, status: document.status.rawValue,
                                    error: document.error, importedAt: document.importedAt,
                                    completedAt: document.completedAt, pages: exportedPages, facts: facts,
                                    models: models.isEmpty ? nil : models)
        }
    }

    /// A fact as exported, with its evidence (both stores).
    static func exported(_ fact: FactRecord, of document: DocumentRecord) -> ExportedFact {
        ExportedFact(group: fact.groupName, item: fact.item, field: fact.fieldPath, value: fact.normalizedValue,
                     rawValue: fact.rawValue, status: fact.status, confidence: fact.confidence,
                     schema: fact.schema, extractor: fact.extractor, reviewReason: fact.reviewReason,
                     grounded: fact.grounded, alternative: fact.alternative,
                     reviewedBy: fact.reviewedBy, reviewedAt: fact.reviewedAt,
                     evidence: fact.evidencePage.map { page in
                         var box: BoundingBox?
                         if let x0 = fact.evidenceX0, let y0 = fact.evidenceY0, let x1 = fact.evidenceX1,
                            let y1 = fact.evidenceY1 {
                             box = BoundingBox(x0: x0, y0: y0, x1: x1, y1: y1)
                         }
                         return .init(documentSha256: document.sha256, page: page, bbox: box, text: fact.evidenceText)
                     })
    }

    /// A page's lines, from the compact `page.lines` column and the page's words in order.
    public static func lines(_ compact: String, words: [String]) -> [ExportedLine] {
        expandLines(compact, words: words)
    }

    /// Rebuilds lines from the compact `page.lines` column and the page's words.
    static func expandLines(_ compact: String, words: [String]) -> [ExportedLine] {
        guard let rows = try? JSONDecoder().decode([[Double]].self, from: Data(compact.utf8)) else { return [] }
        return rows.compactMap { row in
            guard row.count >= 7 else { return nil }
            let first = Int(row[0]), count = Int(row[1])
            guard first >= 0, count >= 0, first + count <= words.count else { return nil }
            return ExportedLine(text: words[first..<(first + count)].joined(separator: " "),
                                bbox: BoundingBox(x0: row[2], y0: row[3], x1: row[4], y1: row[5]), conf: row[6])
        }
    }
}
