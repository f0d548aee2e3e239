import ChartModel
import Foundation

// The store's operations as protocols: what the service layer, the worker and the semantic
// index need from a store, so that another backend (PostgreSQL is planned) can stand beside
// `AppDatabase`. Every method is one transaction. No SQL or GRDB type crosses these.

/// Documents, pages, facts, reviews, search and export: what `ChartService` reads and decides.
public protocol ChartStore: Sendable {
    func status() throws -> StoreStatus
    func documents() throws -> [DocumentRecord]
    func document(id: Int64) throws -> DocumentRecord?
    /// By id, unique sha256 prefix or file name.
    func resolveDocument(_ reference: String) throws -> DocumentRecord
    func pages(documentId: Int64) throws -> [PageRecord]
    func page(documentId: Int64, number: Int) throws -> PageRecord?
    func words(pageId: Int64) throws -> [WordRecord]
    func wordCounts(documentId: Int64) throws -> [Int: Int]
    /// Where the document's file was read from (a file URI).
    func sourceURI(documentId: Int64) throws -> String?

    func facts(_ filter: FactFilter) throws -> [FactRecord]
    func fact(id: Int64) throws -> FactRecord?
    func patientMRNs() throws -> [(documentId: Int64, mrn: String)]
    func latestEncounterDates() throws -> [Int64: String]

    func applyReview(factId: Int64, decision: ReviewDecision, value: String?, note: String?, reviewer: String) throws -> ReviewOutcome
    func reviews(factId: Int64?, documentId: Int64?) throws -> [ReviewRecord]

    func search(_ query: String, documentId: Int64?, limit: Int) throws -> [SearchHit]
    func exportDocument(_ document: DocumentRecord) throws -> ExportedDocument
    func audit(_ action: String, documentId: Int64?, detail: String?) throws
    func auditLog(documentId: Int64?, limit: Int) throws -> [AuditRecord]
}

/// The durable queue and what a worker commits: claims with leases, pages, facts.
public protocol QueueStore: Sendable {
    func enqueue(path: String, displayPath: String, fileName: String, sha256: String, size: Int64) throws -> EnqueueResult
    func claimJob(owner: String, leaseSeconds: Double, maxAttempts: Int, isOwnerDead: @Sendable (String) -> Bool) throws -> ClaimedJob?
    func storedPageNumbers(documentId: Int64) throws -> Set<Int>
    func savePage(_ reading: PageReading, documentId: Int64, jobId: Int64, owner: String, leaseSeconds: Double) throws
    func saveFailedPage(number: Int, error: String, documentId: Int64, jobId: Int64, owner: String, leaseSeconds: Double) throws
    func renewLease(jobId: Int64, owner: String, leaseSeconds: Double) throws
    func setPageCount(_ count: Int, documentId: Int64) throws
    func finishDocument(documentId: Int64, jobId: Int64) throws
    func failDocument(documentId: Int64, jobId: Int64, error: String) throws
    func releaseJob(jobId: Int64, owner: String) throws
    func savePageLabels(_ labels: [PageLabel], documentId: Int64) throws
    func pageReadings(documentId: Int64) throws -> [PageReading]
    func saveExtraction(documentId: Int64, schema: String, extractor: String, facts: [FactInput],
                        error: String?, output: String?) throws
    func saveModelAttempt(documentId: Int64, page: Int, section: String, schema: String, succeeded: Bool,
                          error: String?, output: String?, seconds: Double, requests: Int, model: String?) throws
}

/// The semantic index's rows.
public protocol ChunkStore: Sendable {
    func pagesToIndex(model: String, limit: Int) throws -> [PageToIndex]
    func saveChunks(pageId: Int64, model: String, lines: [(text: String, vector: [Float])]) throws
    func chunks(model: String, documentIds: [Int64]?) throws -> [StoredChunk]
    func indexCoverage(model: String) throws -> (indexed: Int, pages: Int)
}

/// A whole store: what `chartex serve` and the CLI run on.
public typealias Store = ChartStore & QueueStore & ChunkStore

extension AppDatabase: ChartStore, QueueStore, ChunkStore {}

/// How a document reference (`chartex show REF`, `--document REF`) is read, in both stores:
/// an id, else a unique sha256 prefix of 4+ hex digits, else a file name, else the path it was
/// imported from. Several matches are an error naming them.
enum DocumentReference {
    case id(Int64), shaPrefix(String), fileName(String), sourcePath(String)

    /// `find` returns the documents matching one criterion.
    static func resolve(_ reference: String, _ find: (DocumentReference) throws -> [DocumentRecord]) throws -> DocumentRecord {
        if let id = Int64(reference), let document = try find(.id(id)).first { return document }
        var matches: [DocumentRecord] = []
        let lower = reference.lowercased()
        if lower.count >= 4, lower.allSatisfy(\.isHexDigit) { matches = try find(.shaPrefix(lower)) }
        if matches.isEmpty { matches = try find(.fileName(reference)) }
        if matches.isEmpty { matches = try find(.sourcePath(reference)) }
        guard let first = matches.first else { throw StorageError.documentNotFound(reference: reference) }
        guard matches.count == 1 else {
            throw StorageError.ambiguousDocument(reference: reference,
                                                 candidates: matches.map { "\($0.id!) (\($0.sha256.prefix(12)))" })
        }
        return first
    }
}
