import ChartModel
import Foundation
import GRDB
import Storage
import TestSupport
import Testing

/// A store on either backend: SQLite in memory, or a database of its own on the test
/// PostgreSQL (dropped by `close`). `execute` changes rows behind the store's back (tests only).
struct TestStore {
    let backend: Backend
    let store: any Store
    let url: String?

    init(_ backend: Backend) throws {
        self.backend = backend
        switch backend {
        case .sqlite:
            (store, url) = (try AppDatabase.inMemory(), nil)
        case .postgres:
            let url = try TestPostgres.newDatabase()
            (store, self.url) = (try PostgresStore.open(url: url), url)
        }
    }

    func execute(_ sql: String) throws {
        if let database = store as? AppDatabase {
            try database.writer.write { db in try db.execute(sql: sql) }
        } else if let url {
            let result = try TestPostgres.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
            try #require(result.status == 0, "\(result.stderr)")
        }
    }

    func close() {
        if let url { TestPostgres.dropDatabase(url) }
    }
}

func temporaryDatabasePath() -> String {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chartex-tests-\(UUID().uuidString)")
    return folder.appendingPathComponent("store.sqlite").path
}

func reading(_ number: Int, words: [String] = ["Metformin", "1000", "mg", "PO", "BID"]) -> PageReading {
    let layout = PageLayout(segments: [words.enumerated().map { i, text in
        Word(text: text, bbox: BoundingBox(x0: Double(50 + i * 60), y0: 100, x1: Double(100 + i * 60), y1: 112), conf: 91)
    }])
    return PageReading(number: number, width: 612, height: 792, pdfRotation: 0, source: .ocr, rotation: 0, skew: 1.2,
                       dpi: 300, meanConfidence: layout.meanConfidence, text: layout.text, words: layout.words,
                       lines: layout.lines, blocks: layout.blocks, timings: PageTimings())
}

@Suite struct SHA256Tests {
    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func matchesTheFIPSVectors(input: String, digest: String) {
        #expect(SHA256.hex(of: Data(input.utf8)) == digest)
    }

    @Test func streamingEqualsOneShotAcrossBlockBoundaries() {
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        var hash = SHA256()
        for chunk in stride(from: 0, to: data.count, by: 63) { hash.update(data[chunk..<min(chunk + 63, data.count)]) }
        #expect(hash.finalize() == SHA256.hex(of: data))
        #expect(SHA256.hex(of: Data(repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
}

@Suite struct AppDatabaseTests {
    @Test func createsAPrivateWALDatabaseAndMigratesIt() throws {
        let path = temporaryDatabasePath()
        let database = try AppDatabase.open(path: path)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let (journal, tables, migrations) = try database.writer.read { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode"),
             try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table')"),
             try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations"))
        }
        #expect(journal == "wal")
        #expect(Set(tables).isSuperset(of: ["document", "page", "word", "pageText", "job", "extraction", "fact", "auditLog"]))
        #expect(migrations == ["0001_create_schema", "0002_add_page_classification", "0003_add_model_extraction",
                               "0004_add_page_blank_reason", "0005_add_semantic_index", "0006_add_review", "0007_add_extraction_model"])
        // Reopening applies nothing twice.
        _ = try AppDatabase.open(path: path)
    }

    @Test(arguments: Backend.allCases) func enqueueingTheSameBytesTwiceIsANoOp(_ backend: Backend) throws {
        let test = try TestStore(backend), database = test.store
        defer { test.close() }
        let sha = String(repeating: "a", count: 64)
        let first = try database.enqueue(path: "file:///x/a.pdf", displayPath: "/x/a.pdf", fileName: "a.pdf", sha256: sha, size: 10)
        let second = try database.enqueue(path: "file:///y/copy.pdf", displayPath: "/y/copy.pdf", fileName: "copy.pdf", sha256: sha, size: 10)
        guard case .queued(let id) = first else { Issue.record("first should be queued"); return }
        #expect(second == .duplicate(documentId: id, status: .queued))
        #expect(try database.status().jobs["pending"] == 1)
        let audit = try database.auditLog(documentId: nil, limit: 10)
        #expect(audit.map(\.action) == ["import"])
        #expect(audit.first?.osUser.isEmpty == false)
    }

    @Test(arguments: Backend.allCases) func aJobIsClaimedOnceUntilItsLeaseExpires(_ backend: Backend) throws {
        let test = try TestStore(backend), database = test.store
        defer { test.close() }
        _ = try database.enqueue(path: "file:///a.pdf", displayPath: "/a.pdf", fileName: "a.pdf",
                                 sha256: String(repeating: "b", count: 64), size: 1)
        let claimed = try #require(try database.claimJob(owner: "host:1:a", leaseSeconds: 60, maxAttempts: 3, isOwnerDead: { _ in false }))
        #expect(claimed.attempts == 1)
        #expect(try database.claimJob(owner: "host:2:b", leaseSeconds: 60, maxAttempts: 3, isOwnerDead: { _ in false }) == nil)
        // The owner died: another worker takes the job over.
        let taken = try #require(try database.claimJob(owner: "host:2:b", leaseSeconds: 60, maxAttempts: 3, isOwnerDead: { $0 == "host:1:a" }))
        #expect(taken.jobId == claimed.jobId && taken.attempts == 2)
        // The first owner comes back (a cut link) and hands back the job it had to leave: the job
        // is no longer its own, so neither the job nor its document changes.
        try database.releaseJob(jobId: claimed.jobId, owner: "host:1:a")
        #expect(try database.documents().first?.status == .processing)
        #expect(try database.status().jobs["running"] == 1)
        // An expired lease is reclaimed too.
        try test.execute("UPDATE job SET leaseExpiresAt = 0")
        #expect(try database.claimJob(owner: "host:3:c", leaseSeconds: 60, maxAttempts: 3, isOwnerDead: { _ in false })?.attempts == 3)
        // After maxAttempts the document is given up on.
        try test.execute("UPDATE job SET leaseExpiresAt = 0")
        #expect(try database.claimJob(owner: "host:4:d", leaseSeconds: 60, maxAttempts: 3, isOwnerDead: { _ in false }) == nil)
        #expect(try database.documents().first?.status == .failed)
    }

    @Test(arguments: Backend.allCases) func pagesAreStoredOnceWithWordsAndSearchable(_ backend: Backend) throws {
        let test = try TestStore(backend), database = test.store
        defer { test.close() }
        guard case .queued(let documentId) = try database.enqueue(
            path: "file:///n.pdf", displayPath: "/n.pdf", fileName: "note.pdf", sha256: String(repeating: "c", count: 64), size: 1)
        else { Issue.record("not queued"); return }
        let job = try #require(try database.claimJob(owner: "w", leaseSeconds: 60, maxAttempts: 3, isOwnerDead: { _ in false }))
        try database.savePage(reading(1), documentId: documentId, jobId: job.jobId, owner: "w", leaseSeconds: 60)
        try database.savePage(reading(1, words: ["different"]), documentId: documentId, jobId: job.jobId, owner: "w", leaseSeconds: 60)
        try database.saveFailedPage(number: 2, error: "too large", documentId: documentId, jobId: job.jobId, owner: "w", leaseSeconds: 60)
        try database.finishDocument(documentId: documentId, jobId: job.jobId)
        let pages = try database.pages(documentId: documentId)
        #expect(pages.map(\.number) == [1, 2])
        #expect(pages[0].text == "Metformin 1000 mg PO BID")
        #expect(try database.words(pageId: pages[0].id!).map(\.text) == ["Metformin", "1000", "mg", "PO", "BID"])
        #expect(try database.documents().first?.status == .partial)
        let hits = try database.search("metformin", documentId: nil, limit: 20)
        #expect(hits.count == 1 && hits[0].page == 1 && hits[0].snippet.contains("[Metformin]"))
        #expect(try database.search("\"unbalanced", documentId: nil, limit: 20).isEmpty)  // bad FTS syntax falls back to words
        let export = try database.exportDocument(try database.resolveDocument("note.pdf"))
        #expect(export.pages[0].lines.first?.text == "Metformin 1000 mg PO BID")
        #expect(export.pages[1].status == "failed" && export.pages[1].error == "too large")
    }

    @Test(arguments: Backend.allCases) func documentsResolveByIdShaPrefixOrFileName(_ backend: Backend) throws {
        let test = try TestStore(backend), database = test.store
        defer { test.close() }
        for (name, sha) in [("a.pdf", "abcd" + String(repeating: "0", count: 60)), ("b.pdf", "abce" + String(repeating: "1", count: 60))] {
            _ = try database.enqueue(path: "file:///\(name)", displayPath: "/\(name)", fileName: name, sha256: sha, size: 1)
        }
        #expect(try database.resolveDocument("1").fileName == "a.pdf")
        #expect(try database.resolveDocument("abce").fileName == "b.pdf")
        #expect(try database.resolveDocument("b.pdf").id == 2)
        #expect(throws: StorageError.self) { try database.resolveDocument("abc") }  // 3 digits: a name, not a prefix
        #expect(throws: StorageError.self) { try database.resolveDocument("nope.pdf") }
        _ = try database.enqueue(path: "file:///c/a.pdf", displayPath: "/c/a.pdf", fileName: "a.pdf",
                                 sha256: String(repeating: "e", count: 64), size: 1)
        let ambiguous = #expect(throws: StorageError.self) { try database.resolveDocument("a.pdf") }
        #expect(ambiguous?.description.contains("several documents") == true)
    }

    @Test(arguments: [
        "INSERT INTO auditLog(at, action, osUser) VALUES ('x', 'y', 'z')",
        "UPDATE document SET status = 'failed'",
        "DELETE FROM word",
        "ATTACH DATABASE ':memory:' AS scratch",
        "PRAGMA user_version = 42",
        "CREATE TABLE evil(x)",
        "DROP TABLE page",
    ])
    func readOnlySQLIsRefusedByTheConnection(sql: String) throws {
        let path = temporaryDatabasePath()
        _ = try AppDatabase.open(path: path)
        let store = try AppDatabase.readOnlySQL(path: path)
        #expect(throws: StorageError.self) { try store.query(sql) }
        let check = try AppDatabase.open(path: path)
        let (version, hasPage, hasEvil) = try check.writer.read { db in
            (try Int.fetchOne(db, sql: "PRAGMA user_version"), try db.tableExists("page"), try db.tableExists("evil"))
        }
        #expect(version == 0 && hasPage && !hasEvil)
    }

    @Test func readOnlySQLAnswersQueries() throws {
        let path = temporaryDatabasePath()
        _ = try AppDatabase.open(path: path)
        let result = try AppDatabase.readOnlySQL(path: path).query("SELECT count(*) AS n, 'x' AS s FROM document")
        #expect(result.columns == ["n", "s"])
        #expect(result.rows.first == [.int(0), .string("x")])
    }
}

@Suite struct ReviewStorageTests {
    func storeWithFacts(_ backend: Backend) throws -> (TestStore, Int64) {
        let test = try TestStore(backend), database = test.store
        guard case .queued(let documentId) = try database.enqueue(
            path: "file:///r.pdf", displayPath: "/r.pdf", fileName: "r.pdf", sha256: String(repeating: "d", count: 64), size: 1)
        else { throw CocoaError(.fileReadUnknown) }
        try database.saveExtraction(documentId: documentId, schema: "chart", extractor: "rules", facts: facts(dose: "1000"),
                                    error: nil, output: nil)
        return (test, documentId)
    }

    func facts(dose: String) -> [FactInput] {
        var name = FactInput(group: "medications", item: 0, field: "name", raw: "Metformin", value: "Metformin", page: 1,
                             bbox: BoundingBox(x0: 50, y0: 100, x1: 100, y1: 112), evidenceText: "Metformin 1000 mg", confidence: 0.9,
                             status: "verified")
        name.extractor = "rules"
        var amount = FactInput(group: "medications", item: 0, field: "dose", raw: dose, value: dose, page: 1, bbox: nil,
                               evidenceText: "Metformin 1000 mg", confidence: 0.4, status: "needs_review")
        amount.reviewReason = "low OCR confidence"
        var other = amount
        other.value = "100"
        other.alternative = true
        return [name, amount, other]
    }

    @Test(arguments: Backend.allCases)
    func aCorrectionIsRecordedRejectsTheOtherReadingsAndSurvivesReExtraction(_ backend: Backend) throws {
        let (test, documentId) = try storeWithFacts(backend), database = test.store
        defer { test.close() }
        let all = try database.facts(FactFilter(documentId: documentId))
        let dose = try #require(all.first { $0.fieldPath == "dose" && !$0.alternative })
        let outcome = try database.applyReview(factId: dose.id!, decision: .correct, value: "500", note: "see the label",
                                               reviewer: "nurse")
        #expect(outcome.fact.status == "verified" && outcome.fact.extractor == "reviewer" && outcome.fact.normalizedValue == "500")
        #expect(outcome.fact.reviewedBy == "nurse")
        #expect(outcome.supersededFacts.count == 1)
        let reviews = try database.reviews(factId: nil, documentId: documentId)
        #expect(reviews.map(\.decision) == ["reject", "correct"])
        #expect(reviews.last?.oldValue == "1000" && reviews.last?.newValue == "500" && reviews.last?.oldStatus == "needs_review")
        let audit = try database.auditLog(documentId: documentId, limit: 100)
        #expect(audit.first?.action == "review" && audit.first?.osUser == "nurse")
        #expect(audit.first?.detail?.contains("'1000' → '500'") == true)

        // The worker reads the document again: the reviewed field keeps the person's value,
        // the rest is replaced.
        try database.saveExtraction(documentId: documentId, schema: "chart", extractor: "rules", facts: facts(dose: "1001"),
                                    error: nil, output: nil)
        let after = try database.facts(FactFilter(documentId: documentId))
        let doses = after.filter { $0.fieldPath == "dose" }
        #expect(!doses.contains { $0.normalizedValue == "1001" }, "a new reading of a reviewed field is not stored")
        let current = doses.filter { $0.status != "rejected" }
        #expect(current.count == 1 && current[0].normalizedValue == "500" && current[0].extractor == "reviewer")
        #expect(doses.filter { $0.status == "rejected" }.map(\.normalizedValue) == ["100"], "the decision against a reading stays too")
        #expect(after.filter { $0.fieldPath == "name" }.count == 1)
        #expect(try database.exportDocument(try database.resolveDocument("r.pdf")).facts
            .first { $0.field == "dose" }?.reviewedBy == "nurse")
    }

    @Test(arguments: Backend.allCases) func aRejectionLeavesTheOtherReadingsForReview(_ backend: Backend) throws {
        let (test, documentId) = try storeWithFacts(backend), database = test.store
        defer { test.close() }
        let dose = try #require(try database.facts(FactFilter(documentId: documentId, group: "medications"))
            .first { $0.fieldPath == "dose" && !$0.alternative })
        _ = try database.applyReview(factId: dose.id!, decision: .reject, value: nil, note: nil, reviewer: "nurse")
        let pending = try database.facts(FactFilter(documentId: documentId, status: "needs_review"))
        #expect(pending.count == 1 && pending[0].alternative)
        #expect(throws: StorageError.self) {
            try database.applyReview(factId: 999, decision: .accept, value: nil, note: nil, reviewer: "x")
        }
    }
}
