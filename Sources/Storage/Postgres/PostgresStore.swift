import ChartModel
import Foundation
import PostgresNIO

/// The Chartex store on PostgreSQL: the same documents, pages, words, queue, facts, reviews,
/// search and semantic index as `AppDatabase`, for imports that outgrow one SQLite file or
/// run workers on several hosts. Selected by `--db postgres://…` (see `StoreLocation`).
///
/// The schema is `Migrations/postgres/` (applied in order under an advisory lock), written
/// with the SQLite schema's names, unquoted. Every method is one transaction.
public struct PostgresStore: Sendable {
    let pool: PostgresConnectionPool
    public var location: PostgresLocation { pool.location }

    /// Connects (retrying for up to `connectTimeout` seconds) and migrates the database.
    public static func open(url: String, connectTimeout: Double = 30) throws -> PostgresStore {
        try open(location: try PostgresLocation(url: url), connectTimeout: connectTimeout)
    }

    /// True when the database has Chartex's tables (a store was created there).
    public func exists() throws -> Bool {
        try pool.read { tx in
            try tx.scalar("SELECT to_regclass('document') IS NOT NULL", as: Bool.self) ?? false
        }
    }

    // MARK: - Migrations

    /// Applies `Migrations/postgres/NNNN_name.sql` in order, each in its own transaction, under
    /// a transaction-level advisory lock so that workers starting at once apply each only once.
    func migrate() throws {
        for (name, sql) in try Self.migrations() {
            try pool.transaction { tx in
                try tx.execute("SELECT pg_advisory_xact_lock(7261686578)") // "chartex"
                try tx.execute("CREATE TABLE IF NOT EXISTS schemaMigration (id TEXT PRIMARY KEY, appliedAt TEXT NOT NULL)")
                let done = try tx.scalar("SELECT count(*) FROM schemaMigration WHERE id = \(name)", as: Int.self) ?? 0
                guard done == 0 else { return }
                for statement in Self.statements(sql) { try tx.execute(statement) }
                try tx.query("INSERT INTO schemaMigration (id, appliedAt) VALUES (\(name), \(Timestamp.now()))")
            }
        }
    }

    /// A migration file's statements: postgres-nio speaks only the extended protocol, one
    /// statement per query. Statements end with `;` at the end of a line; `--` comments are dropped.
    static func statements(_ sql: String) -> [String] {
        var statements: [String] = [], current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let code = line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line)
            current += code + "\n"
            if code.trimmingCharacters(in: .whitespaces).hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        return rest.isEmpty ? statements : statements + [rest]
    }

    static func migrations() throws -> [(String, String)] {
        guard let folder = Bundle.module.url(forResource: "Migrations", withExtension: nil)?
            .appendingPathComponent("postgres") else { throw StorageError.migrationsMissing }
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        guard !files.isEmpty else { throw StorageError.migrationsMissing }
        return try files.map { file in
            (String(file.dropLast(4)), try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
        }
    }

    // MARK: - Rows to records

    static let documentColumns = "id, sha256, fileName, sourcePath, size, pageCount, status, error, importedAt, completedAt"

    static func document(_ row: PostgresRandomAccessRow) throws -> DocumentRecord {
        DocumentRecord(id: try row.get("id"), sha256: try row.get("sha256"), fileName: try row.get("fileName"),
                       sourcePath: try row.get("sourcePath"), size: try row.get("size"), pageCount: try row.get("pageCount"),
                       status: DocumentStatus(rawValue: try row.get("status")) ?? .failed, error: try row.get("error"),
                       importedAt: try row.get("importedAt"), completedAt: try row.get("completedAt"))
    }

    static let pageColumns = """
        id, documentId, number, status, error, width, height, dpi, rotation, skew, source, meanConfidence, blank, text,
        lines, blocks, readAt, documentType, segment, patientMismatch, blankReason
        """

    static func page(_ row: PostgresRandomAccessRow) throws -> PageRecord {
        PageRecord(id: try row.get("id"), documentId: try row.get("documentId"), number: try row.get("number"),
                   status: try row.get("status"), error: try row.get("error"), width: try row.get("width"),
                   height: try row.get("height"), dpi: try row.get("dpi"), rotation: try row.get("rotation"),
                   skew: try row.get("skew"), source: try row.get("source"), meanConfidence: try row.get("meanConfidence"),
                   blank: try row.get("blank"), text: try row.get("text"), lines: try row.get("lines"),
                   blocks: try row.get("blocks"), readAt: try row.get("readAt"), documentType: try row.get("documentType"),
                   segment: try row.get("segment"), patientMismatch: try row.get("patientMismatch"),
                   blankReason: try row.get("blankReason"))
    }

    static let factColumns = """
        id, documentId, extractionId, schema, extractor, groupName, item, fieldPath, rawValue, normalizedValue, evidencePage,
        evidenceX0, evidenceY0, evidenceX1, evidenceY1, evidenceText, confidence, status, createdAt, reviewReason, grounded,
        alternative, reviewedBy, reviewedAt
        """

    static func fact(_ row: PostgresRandomAccessRow) throws -> FactRecord {
        FactRecord(id: try row.get("id"), documentId: try row.get("documentId"), extractionId: try row.get("extractionId"),
                   schema: try row.get("schema"), extractor: try row.get("extractor"), groupName: try row.get("groupName"),
                   item: try row.get("item"), fieldPath: try row.get("fieldPath"), rawValue: try row.get("rawValue"),
                   normalizedValue: try row.get("normalizedValue"), evidencePage: try row.get("evidencePage"),
                   evidenceX0: try row.get("evidenceX0"), evidenceY0: try row.get("evidenceY0"),
                   evidenceX1: try row.get("evidenceX1"), evidenceY1: try row.get("evidenceY1"),
                   evidenceText: try row.get("evidenceText"), confidence: try row.get("confidence"),
                   status: try row.get("status"), createdAt: try row.get("createdAt"), reviewReason: try row.get("reviewReason"),
                   grounded: try row.get("grounded"), alternative: try row.get("alternative"),
                   reviewedBy: try row.get("reviewedBy"), reviewedAt: try row.get("reviewedAt"))
    }

    static let reviewColumns = """
        id, factId, documentId, groupName, item, fieldPath, decision, oldValue, newValue, oldStatus, note, reviewer, at
        """

    static func review(_ row: PostgresRandomAccessRow) throws -> ReviewRecord {
        ReviewRecord(id: try row.get("id"), factId: try row.get("factId"), documentId: try row.get("documentId"),
                     groupName: try row.get("groupName"), item: try row.get("item"), fieldPath: try row.get("fieldPath"),
                     decision: try row.get("decision"), oldValue: try row.get("oldValue"), newValue: try row.get("newValue"),
                     oldStatus: try row.get("oldStatus"), note: try row.get("note"), reviewer: try row.get("reviewer"),
                     at: try row.get("at"))
    }

    static func insertAudit(_ tx: PostgresTransaction, at: String, action: String, osUser: String, documentId: Int64?,
                            detail: String?) throws {
        try tx.query("""
            INSERT INTO auditLog (at, action, osUser, documentId, detail)
            VALUES (\(at), \(action), \(osUser), \(documentId), \(detail))
            """)
    }
}

// MARK: - ChartStore

extension PostgresStore: ChartStore {
    public func status() throws -> StoreStatus {
        try pool.read { tx in
            func counts(_ sql: String) throws -> [String: Int] {
                var result: [String: Int] = [:]
                for row in try tx.query(PostgresQuery(unsafeSQL: sql)) { result[try row[0].decode(String.self)] = try row[1].decode(Int.self) }
                return result
            }
            return StoreStatus(
                documents: try counts("SELECT status, count(*) FROM document GROUP BY status"),
                jobs: try counts("SELECT state, count(*) FROM job GROUP BY state"),
                pages: try tx.scalar("SELECT count(*) FROM page", as: Int.self) ?? 0,
                failedPages: try tx.scalar("SELECT count(*) FROM page WHERE status = 'failed'", as: Int.self) ?? 0,
                words: try tx.scalar("SELECT count(*) FROM word", as: Int.self) ?? 0,
                facts: try tx.scalar("SELECT count(*) FROM fact", as: Int.self) ?? 0)
        }
    }

    public func documents() throws -> [DocumentRecord] {
        try pool.read { tx in
            try tx.query(PostgresQuery(unsafeSQL: "SELECT \(Self.documentColumns) FROM document ORDER BY id")).map(Self.document)
        }
    }

    public func document(id: Int64) throws -> DocumentRecord? {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.documentColumns) FROM document WHERE id = ")
            statement.sql += statement.bind(id)
            return try tx.query(statement.query).first.map(Self.document)
        }
    }

    public func resolveDocument(_ reference: String) throws -> DocumentRecord {
        try pool.read { tx in
            func matching(_ condition: String, _ value: some PostgresDynamicTypeEncodable) throws -> [DocumentRecord] {
                var statement = PostgresStatement("SELECT \(Self.documentColumns) FROM document WHERE ")
                statement.sql += condition.replacingOccurrences(of: "?", with: statement.bind(value)) + " ORDER BY id"
                return try tx.query(statement.query).map(Self.document)
            }
            return try DocumentReference.resolve(reference) { criterion in
                switch criterion {
                case .id(let id): try matching("id = ?", id)
                case .shaPrefix(let prefix): try matching("starts_with(sha256, ?)", prefix)
                case .fileName(let name): try matching("fileName = ?", name)
                case .sourcePath(let path): try matching("sourcePath = ?", path)
                }
            }
        }
    }

    public func pages(documentId: Int64) throws -> [PageRecord] {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.pageColumns) FROM page WHERE documentId = ")
            statement.sql += statement.bind(documentId) + " ORDER BY number"
            return try tx.query(statement.query).map(Self.page)
        }
    }

    public func page(documentId: Int64, number: Int) throws -> PageRecord? {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.pageColumns) FROM page WHERE documentId = ")
            statement.sql += statement.bind(documentId) + " AND number = " + statement.bind(number)
            return try tx.query(statement.query).first.map(Self.page)
        }
    }

    public func words(pageId: Int64) throws -> [WordRecord] {
        try pool.read { tx in
            try tx.query("SELECT pageId, ordinal, text, x0, y0, x1, y1, conf FROM word WHERE pageId = \(pageId) ORDER BY ordinal")
                .map { row in
                    WordRecord(pageId: try row.get("pageId"), ordinal: try row.get("ordinal"), text: try row.get("text"),
                               x0: try row.get("x0"), y0: try row.get("y0"), x1: try row.get("x1"), y1: try row.get("y1"),
                               conf: try row.get("conf"))
                }
        }
    }

    public func wordCounts(documentId: Int64) throws -> [Int: Int] {
        try pool.read { tx in
            let rows = try tx.query("""
                SELECT p.number, count(w.ordinal) FROM page p LEFT JOIN word w ON w.pageId = p.id
                WHERE p.documentId = \(documentId) GROUP BY p.id, p.number
                """)
            return try [Int: Int](rows.map { (try $0[0].decode(Int.self), try $0[1].decode(Int.self)) },
                                  uniquingKeysWith: { a, _ in a })
        }
    }

    public func sourceURI(documentId: Int64) throws -> String? {
        try pool.read { tx in
            try tx.scalar("SELECT path FROM job WHERE documentId = \(documentId) ORDER BY id DESC LIMIT 1", as: String.self)
        }
    }

    public func facts(_ filter: FactFilter) throws -> [FactRecord] {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.factColumns) FROM fact WHERE true")
            if let id = filter.documentId { statement.sql += " AND documentId = " + statement.bind(id) }
            if let group = filter.group { statement.sql += " AND groupName = " + statement.bind(group) }
            if let status = filter.status { statement.sql += " AND status = " + statement.bind(status) }
            if let reason = filter.reason {
                // The same meaning as SQLite's LIKE '%…%' (case-insensitive for ASCII), with no wildcards in `reason`.
                statement.sql += " AND strpos(lower(reviewReason), lower(" + statement.bind(reason) + ")) > 0"
            }
            if !filter.includeAlternatives { statement.sql += " AND NOT alternative" }
            statement.sql += " ORDER BY documentId, groupName COLLATE \"C\", item, id"
            if let limit = filter.limit {
                statement.sql += " LIMIT " + statement.bind(limit) + " OFFSET " + statement.bind(filter.offset)
            }
            return try tx.query(statement.query).map(Self.fact)
        }
    }

    public func fact(id: Int64) throws -> FactRecord? {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.factColumns) FROM fact WHERE id = ")
            statement.sql += statement.bind(id)
            return try tx.query(statement.query).first.map(Self.fact)
        }
    }

    public func patientMRNs() throws -> [(documentId: Int64, mrn: String)] {
        try pool.read { tx in
            try tx.query("""
                SELECT documentId, normalizedValue FROM fact
                WHERE groupName = 'patient' AND fieldPath = 'mrn' AND status != 'rejected' AND normalizedValue IS NOT NULL
                ORDER BY id
                """).map { (documentId: try $0[0].decode(Int64.self), mrn: try $0[1].decode(String.self)) }
        }
    }

    public func latestEncounterDates() throws -> [Int64: String] {
        try pool.read { tx in
            let rows = try tx.query("""
                SELECT documentId, max(normalizedValue COLLATE "C") FROM fact
                WHERE groupName = 'encounters' AND fieldPath IN ('date', 'endDate') AND status != 'rejected'
                GROUP BY documentId
                """)
            return try [Int64: String](rows.compactMap { row -> (Int64, String)? in
                guard let date = try row[1].decode(String?.self) else { return nil }
                return (try row[0].decode(Int64.self), date)
            }, uniquingKeysWith: { a, _ in a })
        }
    }

    public func applyReview(factId: Int64, decision: ReviewDecision, value: String?, note: String?,
                            reviewer: String) throws -> ReviewOutcome {
        try pool.transaction { tx in
            var select = PostgresStatement("SELECT \(Self.factColumns) FROM fact WHERE id = ")
            select.sql += select.bind(factId) + " FOR UPDATE"
            guard var fact = try tx.query(select.query).first.map(Self.fact) else { throw StorageError.factNotFound(id: factId) }
            let now = Timestamp.now()
            let before = fact
            var superseded: [Int64] = []
            fact = decision.applied(to: fact, value: value)
            if decision != .reject {
                // The field's other readings are set aside.
                var others = PostgresStatement("SELECT \(Self.factColumns) FROM fact WHERE documentId = ")
                others.sql += others.bind(fact.documentId) + " AND groupName = " + others.bind(fact.groupName)
                    + " AND item = " + others.bind(fact.item) + " AND fieldPath = " + others.bind(fact.fieldPath)
                    + " AND id <> " + others.bind(factId) + " AND status <> 'rejected' ORDER BY id FOR UPDATE"
                for other in try tx.query(others.query).map(Self.fact) {
                    try tx.query("""
                        UPDATE fact SET status = 'rejected', reviewedBy = \(reviewer), reviewedAt = \(now) WHERE id = \(other.id!)
                        """)
                    let note = decision.supersedingNote(factId: factId)
                    try tx.query("""
                        INSERT INTO review (factId, documentId, groupName, item, fieldPath, decision, oldValue, newValue,
                                            oldStatus, note, reviewer, at)
                        VALUES (\(other.id), \(other.documentId), \(other.groupName), \(other.item), \(other.fieldPath),
                                'reject', \(other.normalizedValue), \(other.normalizedValue), \(other.status), \(note),
                                \(reviewer), \(now))
                        """)
                    superseded.append(other.id!)
                }
            }
            fact.reviewedBy = reviewer
            fact.reviewedAt = now
            try tx.query("""
                UPDATE fact SET normalizedValue = \(fact.normalizedValue), status = \(fact.status), extractor = \(fact.extractor),
                    alternative = \(fact.alternative), reviewedBy = \(reviewer), reviewedAt = \(now)
                WHERE id = \(factId)
                """)
            let reviewId = try tx.scalar("""
                INSERT INTO review (factId, documentId, groupName, item, fieldPath, decision, oldValue, newValue, oldStatus,
                                    note, reviewer, at)
                VALUES (\(factId), \(fact.documentId), \(fact.groupName), \(fact.item), \(fact.fieldPath), \(decision.rawValue),
                        \(before.normalizedValue), \(fact.normalizedValue), \(before.status), \(note), \(reviewer), \(now))
                RETURNING id
                """, as: Int64.self)
            let review = ReviewRecord(id: reviewId, factId: factId, documentId: fact.documentId, groupName: fact.groupName,
                                      item: fact.item, fieldPath: fact.fieldPath, decision: decision.rawValue,
                                      oldValue: before.normalizedValue, newValue: fact.normalizedValue,
                                      oldStatus: before.status, note: note, reviewer: reviewer, at: now)
            try Self.insertAudit(tx, at: now, action: "review", osUser: reviewer, documentId: fact.documentId,
                                 detail: decision.auditDetail(before: before, after: fact))
            return ReviewOutcome(fact: fact, review: review, supersededFacts: superseded)
        }
    }

    public func reviews(factId: Int64?, documentId: Int64?) throws -> [ReviewRecord] {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.reviewColumns) FROM review WHERE true")
            if let factId { statement.sql += " AND factId = " + statement.bind(factId) }
            if let documentId { statement.sql += " AND documentId = " + statement.bind(documentId) }
            statement.sql += " ORDER BY id"
            return try tx.query(statement.query).map(Self.review)
        }
    }

    /// Full-text search over page text (`tsvector` + GIN): plain words match as words (all of
    /// them, any order), "quoted phrases" as phrases, `or` and `-word` as in web search engines.
    /// Snippets mark the matches in [brackets], like the SQLite store's.
    public func search(_ query: String, documentId: Int64?, limit: Int) throws -> [SearchHit] {
        try pool.read { tx in
            var statement = PostgresStatement("")
            let q = statement.bind(query)
            var sql = """
                SELECT d.id, d.fileName, d.sha256, p.number, p.text,
                       ts_headline('simple', p.text, websearch_to_tsquery('simple', \(q)),
                                   'StartSel=[, StopSel=], MaxWords=12, MinWords=4, ShortWord=1, MaxFragments=1')
                FROM page p JOIN document d ON d.id = p.documentId
                WHERE p.textSearch @@ websearch_to_tsquery('simple', \(q))
                """
            if let documentId { sql += " AND d.id = " + statement.bind(documentId) }
            // Normalisation 1 divides by the log of the page's length, as BM25 favours short pages.
            sql += " ORDER BY ts_rank(p.textSearch, websearch_to_tsquery('simple', \(q)), 1) DESC, d.id, p.number LIMIT "
                + statement.bind(limit)
            statement.sql = sql
            return try tx.query(statement.query).map { row in
                let text = Self.words(try row[4].decode(String.self))
                var snippet = Self.words(try row[5].decode(String.self))
                // "…" where the snippet cuts the page's text, as SQLite's snippet() marks it.
                let plain = snippet.replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
                if !text.hasPrefix(plain) { snippet = "…" + snippet }
                if !text.hasSuffix(plain) { snippet += "…" }
                return SearchHit(documentId: try row[0].decode(Int64.self), fileName: try row[1].decode(String.self),
                                 sha256: try row[2].decode(String.self), page: try row[3].decode(Int.self),
                                 snippet: snippet)
            }
        }
    }

    /// Text with every run of white space made one space.
    static func words(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    public func exportDocument(_ document: DocumentRecord) throws -> ExportedDocument {
        try pool.read { tx in
            let id = document.id!
            var pagesQuery = PostgresStatement("SELECT \(Self.pageColumns) FROM page WHERE documentId = ")
            pagesQuery.sql += pagesQuery.bind(id) + " ORDER BY number"
            var exportedPages: [ExportedPage] = []
            // Every word of the document in one query, not one per page.
            var texts: [Int64: [String]] = [:]
            for row in try tx.query("""
                SELECT w.pageId, w.text FROM word w JOIN page p ON p.id = w.pageId
                WHERE p.documentId = \(id) ORDER BY w.pageId, w.ordinal
                """) {
                texts[try row[0].decode(Int64.self), default: []].append(try row[1].decode(String.self))
            }
            for page in try tx.query(pagesQuery.query).map(Self.page) {
                let words = texts[page.id!] ?? []
                exportedPages.append(ExportedPage(number: page.number, status: page.status, error: page.error,
                                                  source: page.source, width: page.width, height: page.height,
                                                  rotation: page.rotation, skew: page.skew, dpi: page.dpi,
                                                  meanConfidence: page.meanConfidence, blank: page.blank,
                                                  blankReason: page.blankReason, documentType: page.documentType,
                                                  segment: page.segment, patientMismatch: page.patientMismatch, text: page.text,
                                                  lines: AppDatabase.expandLines(page.lines, words: words)))
            }
            var factsQuery = PostgresStatement("SELECT \(Self.factColumns) FROM fact WHERE documentId = ")
            factsQuery.sql += factsQuery.bind(id) + " ORDER BY groupName COLLATE \"C\", item, id"
            let facts = try tx.query(factsQuery.query).map(Self.fact).map { AppDatabase.exported($0, of: document) }
            let models = try tx.query("""
                SELECT DISTINCT model FROM extraction
                WHERE documentId = \(id) AND extractor = 'model' AND status = 'succeeded' AND model IS NOT NULL ORDER BY model
                """).map { try $0[0].decode(String.self) }
            return ExportedDocument(id: id, sha256: document.sha256, fileName: document.fileName, size: document.size,
                                    pageCount: document.pageCount, status: document.status.rawValue, error: document.error,
                                    importedAt: document.importedAt, completedAt: document.completedAt, pages: exportedPages,
                                    facts: facts, models: models.isEmpty ? nil : models)
        }
    }

    public func audit(_ action: String, documentId: Int64?, detail: String?) throws {
        try pool.transaction { tx in
            try Self.insertAudit(tx, at: Timestamp.now(), action: action, osUser: AppDatabase.osUser, documentId: documentId,
                                 detail: detail)
        }
    }

    public func auditLog(documentId: Int64?, limit: Int) throws -> [AuditRecord] {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT id, at, action, osUser, documentId, detail FROM auditLog WHERE true")
            if let documentId { statement.sql += " AND documentId = " + statement.bind(documentId) }
            statement.sql += " ORDER BY id DESC LIMIT " + statement.bind(limit)
            return try tx.query(statement.query).map { row in
                AuditRecord(id: try row.get("id"), at: try row.get("at"), action: try row.get("action"),
                            osUser: try row.get("osUser"), documentId: try row.get("documentId"), detail: try row.get("detail"))
            }
        }
    }
}
