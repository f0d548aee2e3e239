import ChartModel
import Foundation
import PostgresNIO

// The durable queue on PostgreSQL. Claims lock the job row with `FOR UPDATE SKIP LOCKED`, so
// workers on any number of hosts never wait on each other or take the same job; leases and
// heartbeats are in the database server's clock, so hosts whose clocks differ still agree
// on when a lease has run out. The rules are the SQLite queue's (AppDatabase+Queue.swift).

/// The database server's clock, in epoch seconds.
private let serverNow = "extract(epoch FROM clock_timestamp())::float8"

extension PostgresStore: QueueStore {
    public func enqueue(path: String, displayPath: String, fileName: String, sha256: String, size: Int64) throws -> EnqueueResult {
        try pool.transaction { tx in
            let now = Timestamp.now()
            let inserted = try tx.scalar("""
                INSERT INTO document (sha256, fileName, sourcePath, size, status, importedAt)
                VALUES (\(sha256), \(fileName), \(displayPath), \(size), 'queued', \(now))
                ON CONFLICT (sha256) DO NOTHING RETURNING id
                """, as: Int64.self)
            guard let documentId = inserted else {
                let row = try tx.query("SELECT id, status FROM document WHERE sha256 = \(sha256)").first
                guard let row else { throw StorageError.sqlFailed(message: "document \(sha256.prefix(12)) vanished") }
                return .duplicate(documentId: try row[0].decode(Int64.self),
                                  status: DocumentStatus(rawValue: try row[1].decode(String.self)) ?? .failed)
            }
            try tx.query("""
                INSERT INTO job (documentId, path, state, attempts, createdAt, updatedAt)
                VALUES (\(documentId), \(path), 'pending', 0, \(now), \(now))
                """)
            try Self.insertAudit(tx, at: now, action: "import", osUser: AppDatabase.osUser, documentId: documentId,
                                 detail: "queued \(sha256.prefix(12))")
            return .queued(documentId: documentId)
        }
    }

    public func claimJob(owner: String, leaseSeconds: Double, maxAttempts: Int,
                         isOwnerDead: @Sendable (String) -> Bool) throws -> ClaimedJob? {
        try pool.transaction { tx in
            let columns = "j.id, j.documentId, j.path, j.attempts, j.lastError, d.sha256"
            var candidate = try tx.query(PostgresQuery(unsafeSQL: """
                SELECT \(columns) FROM job j JOIN document d ON d.id = j.documentId
                WHERE j.state = 'pending' ORDER BY j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED
                """)).first
            if candidate == nil {
                // A running job whose lease ran out or whose owner is known to be dead; never
                // one this owner still holds (its model stage may be finishing it).
                let running = try tx.query("""
                    SELECT id, leaseOwner, leaseExpiresAt < \(unescaped: serverNow) AS expired FROM job
                    WHERE state = 'running' AND leaseOwner IS DISTINCT FROM \(owner) ORDER BY id
                    """)
                for row in running {
                    let holder: String? = try row.get("leaseOwner")
                    let expired: Bool? = try row.get("expired")
                    guard expired != false || holder.map(isOwnerDead) == true else { continue }
                    let id: Int64 = try row.get("id")
                    // Taken only if no other worker took it meanwhile (same owner, still running).
                    candidate = try tx.query("""
                        SELECT \(unescaped: columns) FROM job j JOIN document d ON d.id = j.documentId
                        WHERE j.id = \(id) AND j.state = 'running' AND j.leaseOwner IS NOT DISTINCT FROM \(holder)
                        FOR UPDATE OF j SKIP LOCKED
                        """).first
                    if candidate != nil { break }
                }
            }
            guard let job = candidate else { return nil }
            let jobId: Int64 = try job.get("id"), documentId: Int64 = try job.get("documentId")
            let attempts: Int = try job.get("attempts")
            let now = Timestamp.now()
            if attempts >= maxAttempts {
                // A document that killed its worker this many times is not tried again.
                let error = (try job.get("lastError", as: String?.self)) ?? "gave up after \(attempts) attempts"
                try tx.query("UPDATE job SET state = 'failed', lastError = \(error), updatedAt = \(now) WHERE id = \(jobId)")
                try tx.query("""
                    UPDATE document SET status = 'failed', error = \(error), completedAt = \(now) WHERE id = \(documentId)
                    """)
                return nil
            }
            try tx.query("""
                UPDATE job SET state = 'running', attempts = attempts + 1, leaseOwner = \(owner),
                    leaseExpiresAt = \(unescaped: serverNow) + \(leaseSeconds), heartbeatAt = \(unescaped: serverNow),
                    updatedAt = \(now)
                WHERE id = \(jobId)
                """)
            try tx.query("UPDATE document SET status = 'processing' WHERE id = \(documentId)")
            return ClaimedJob(jobId: jobId, documentId: documentId, path: try job.get("path"), sha256: try job.get("sha256"),
                              attempts: attempts + 1)
        }
    }

    public func storedPageNumbers(documentId: Int64) throws -> Set<Int> {
        try pool.read { tx in
            Set(try tx.query("SELECT number FROM page WHERE documentId = \(documentId)").map { try $0[0].decode(Int.self) })
        }
    }

    public func savePage(_ reading: PageReading, documentId: Int64, jobId: Int64, owner: String, leaseSeconds: Double) throws {
        try pool.transaction { tx in
            let blankReason = reading.isBlank ? reading.blankReason : nil
            let inserted = try tx.scalar("""
                INSERT INTO page (documentId, number, status, width, height, dpi, rotation, skew, source, meanConfidence,
                                  blank, text, lines, blocks, readAt, blankReason)
                VALUES (\(documentId), \(reading.number), 'completed', \(reading.width), \(reading.height), \(reading.dpi),
                        \(reading.rotation), \(reading.skew), \(reading.source.rawValue), \(reading.meanConfidence),
                        \(reading.isBlank), \(reading.text), \(AppDatabase.compactLines(reading.lines)),
                        \(AppDatabase.compactBlocks(reading.blocks)), \(Timestamp.now()), \(blankReason))
                ON CONFLICT (documentId, number) DO NOTHING RETURNING id
                """, as: Int64.self)
            // A page already stored is left as it is (a restarted worker never duplicates a page).
            guard let pageId = inserted else { return }
            if !reading.words.isEmpty {
                let words = reading.words
                // One statement for all the page's words.
                try tx.query("""
                    INSERT INTO word (pageId, ordinal, text, x0, y0, x1, y1, conf)
                    SELECT \(pageId), w.* FROM unnest(\(Array(0..<words.count))::bigint[], \(words.map(\.text))::text[],
                        \(words.map(\.bbox.x0))::float8[], \(words.map(\.bbox.y0))::float8[],
                        \(words.map(\.bbox.x1))::float8[], \(words.map(\.bbox.y1))::float8[],
                        \(words.map(\.conf))::float8[]) AS w
                    """)
            }
            try Self.renewLease(tx, jobId: jobId, owner: owner, leaseSeconds: leaseSeconds)
        }
    }

    public func saveFailedPage(number: Int, error: String, documentId: Int64, jobId: Int64, owner: String,
                               leaseSeconds: Double) throws {
        try pool.transaction { tx in
            try tx.query("""
                INSERT INTO page (documentId, number, status, error, blank, text, lines, blocks, readAt)
                VALUES (\(documentId), \(number), 'failed', \(error), false, '', '[]', '[]', \(Timestamp.now()))
                ON CONFLICT (documentId, number) DO NOTHING
                """)
            try Self.renewLease(tx, jobId: jobId, owner: owner, leaseSeconds: leaseSeconds)
        }
    }

    public func renewLease(jobId: Int64, owner: String, leaseSeconds: Double) throws {
        try pool.transaction { tx in try Self.renewLease(tx, jobId: jobId, owner: owner, leaseSeconds: leaseSeconds) }
    }

    static func renewLease(_ tx: PostgresTransaction, jobId: Int64, owner: String, leaseSeconds: Double) throws {
        try tx.query("""
            UPDATE job SET leaseExpiresAt = \(unescaped: serverNow) + \(leaseSeconds), heartbeatAt = \(unescaped: serverNow)
            WHERE id = \(jobId) AND leaseOwner = \(owner)
            """)
    }

    public func setPageCount(_ count: Int, documentId: Int64) throws {
        try pool.transaction { tx in
            try tx.query("UPDATE document SET pageCount = \(count) WHERE id = \(documentId)")
        }
    }

    public func finishDocument(documentId: Int64, jobId: Int64) throws {
        try pool.transaction { tx in
            let failed = try tx.scalar("SELECT count(*) FROM page WHERE documentId = \(documentId) AND status = 'failed'",
                                       as: Int.self) ?? 0
            let total = try tx.scalar("SELECT count(*) FROM page WHERE documentId = \(documentId)", as: Int.self) ?? 0
            let status: DocumentStatus = failed == 0 ? .completed : (failed == total ? .failed : .partial)
            let error = failed == 0 ? nil : "\(failed) of \(total) pages could not be read"
            let now = Timestamp.now()
            try tx.query("""
                UPDATE document SET status = \(status.rawValue), error = \(error), completedAt = \(now) WHERE id = \(documentId)
                """)
            try tx.query("""
                UPDATE job SET state = 'done', leaseOwner = NULL, leaseExpiresAt = NULL, lastError = \(error), updatedAt = \(now)
                WHERE id = \(jobId)
                """)
        }
    }

    public func failDocument(documentId: Int64, jobId: Int64, error: String) throws {
        try pool.transaction { tx in
            let now = Timestamp.now()
            try tx.query("UPDATE document SET status = 'failed', error = \(error), completedAt = \(now) WHERE id = \(documentId)")
            try tx.query("""
                UPDATE job SET state = 'failed', leaseOwner = NULL, leaseExpiresAt = NULL, lastError = \(error), updatedAt = \(now)
                WHERE id = \(jobId)
                """)
        }
    }

    public func releaseJob(jobId: Int64, owner: String) throws {
        try pool.transaction { tx in
            try tx.query("""
                UPDATE job SET state = 'pending', leaseOwner = NULL, leaseExpiresAt = NULL, attempts = greatest(attempts - 1, 0),
                    updatedAt = \(Timestamp.now())
                WHERE id = \(jobId) AND leaseOwner = \(owner)
                """)
            // Only a job this owner held goes back (one taken over meanwhile is left alone).
            try tx.query("""
                UPDATE document SET status = 'queued'
                WHERE id = (SELECT documentId FROM job WHERE id = \(jobId) AND state = 'pending' AND leaseOwner IS NULL)
                """)
        }
    }

    public func savePageLabels(_ labels: [PageLabel], documentId: Int64) throws {
        try pool.transaction { tx in
            for label in labels {
                try tx.query("""
                    UPDATE page SET documentType = \(label.documentType), segment = \(label.segment),
                        patientMismatch = \(label.patientMismatch)
                    WHERE documentId = \(documentId) AND number = \(label.page)
                    """)
            }
        }
    }

    public func pageReadings(documentId: Int64) throws -> [PageReading] {
        try pool.read { tx in
            var statement = PostgresStatement("SELECT \(Self.pageColumns) FROM page WHERE documentId = ")
            statement.sql += statement.bind(documentId) + " AND status = 'completed' ORDER BY number"
            let pages = try tx.query(statement.query).map(Self.page)
            // Every word of the document in one query, not one per page.
            var words: [Int64: [Word]] = [:]
            for row in try tx.query("""
                SELECT w.pageId, w.text, w.x0, w.y0, w.x1, w.y1, w.conf FROM word w JOIN page p ON p.id = w.pageId
                WHERE p.documentId = \(documentId) AND p.status = 'completed' ORDER BY w.pageId, w.ordinal
                """) {
                words[try row[0].decode(Int64.self), default: []].append(
                    Word(text: try row[1].decode(String.self),
                         bbox: BoundingBox(x0: try row[2].decode(Double.self), y0: try row[3].decode(Double.self),
                                           x1: try row[4].decode(Double.self), y1: try row[5].decode(Double.self)),
                         conf: try row[6].decode(Double.self)))
            }
            return pages.map { AppDatabase.reading($0, words: words[$0.id!] ?? []) }
        }
    }

    public func saveExtraction(documentId: Int64, schema: String, extractor: String, facts: [FactInput],
                               error: String?, output: String?) throws {
        try pool.transaction { tx in
            // One current set of facts per document; what a person reviewed stays.
            try tx.query("DELETE FROM fact WHERE documentId = \(documentId) AND reviewedBy IS NULL")
            let reviewed = Set(try tx.query("""
                SELECT groupName, item, fieldPath FROM fact WHERE documentId = \(documentId) AND reviewedBy IS NOT NULL
                """).map { "\(try $0[0].decode(String.self))#\(try $0[1].decode(Int.self))#\(try $0[2].decode(String.self))" })
            let now = Timestamp.now()
            let pages = facts.compactMap(\.page)
            let status = error == nil ? "succeeded" : "failed"
            let extractionId = try tx.scalar("""
                INSERT INTO extraction (documentId, schema, extractor, firstPage, lastPage, status, error, output, createdAt)
                VALUES (\(documentId), \(schema), \(extractor), \(pages.min()), \(pages.max()), \(status), \(error), \(output),
                        \(now))
                RETURNING id
                """, as: Int64.self)
            guard error == nil else { return }
            for fact in facts where !reviewed.contains("\(fact.group)#\(fact.item)#\(fact.field)") {
                try tx.query("""
                    INSERT INTO fact (documentId, extractionId, schema, extractor, groupName, item, fieldPath, rawValue,
                                      normalizedValue, evidencePage, evidenceX0, evidenceY0, evidenceX1, evidenceY1, evidenceText,
                                      confidence, status, createdAt, reviewReason, grounded, alternative)
                    VALUES (\(documentId), \(extractionId), \(schema), \(fact.extractor ?? extractor), \(fact.group), \(fact.item),
                            \(fact.field), \(fact.raw), \(fact.value), \(fact.page), \(fact.bbox?.x0), \(fact.bbox?.y0),
                            \(fact.bbox?.x1), \(fact.bbox?.y1), \(fact.evidenceText), \(fact.confidence), \(fact.status), \(now),
                            \(fact.reviewReason), \(fact.grounded), \(fact.alternative))
                    """)
            }
        }
    }

    public func saveModelAttempt(documentId: Int64, page: Int, section: String, schema: String, succeeded: Bool,
                                 error: String?, output: String?, seconds: Double, requests: Int, model: String?) throws {
        try pool.transaction { tx in
            try tx.query("""
                INSERT INTO extraction (documentId, schema, extractor, firstPage, lastPage, status, error, output, createdAt,
                                        section, seconds, requests, model)
                VALUES (\(documentId), \(schema), 'model', \(page), \(page), \(succeeded ? "succeeded" : "failed"), \(error),
                        \(output), \(Timestamp.now()), \(section), \((seconds * 1000).rounded() / 1000), \(requests), \(model))
                """)
        }
    }
}

// MARK: - ChunkStore

extension PostgresStore: ChunkStore {
    public func pagesToIndex(model: String, limit: Int) throws -> [PageToIndex] {
        try pool.read { tx in
            try tx.query("""
                SELECT p.id, p.documentId, p.number, p.text FROM page p
                WHERE p.status = 'completed'
                  AND NOT EXISTS (SELECT 1 FROM chunk c WHERE c.pageId = p.id AND c.model = \(model))
                ORDER BY p.documentId, p.number LIMIT \(limit)
                """).map {
                PageToIndex(pageId: try $0[0].decode(Int64.self), documentId: try $0[1].decode(Int64.self),
                            page: try $0[2].decode(Int.self), text: try $0[3].decode(String.self))
            }
        }
    }

    public func saveChunks(pageId: Int64, model: String, lines: [(text: String, vector: [Float])]) throws {
        try pool.transaction { tx in
            try tx.query("DELETE FROM chunk WHERE pageId = \(pageId) AND model = \(model)")
            if lines.isEmpty {
                try tx.query("""
                    INSERT INTO chunk (pageId, ordinal, model, text, vector) VALUES (\(pageId), -1, \(model), '', ''::bytea)
                    """)
            }
            for (ordinal, line) in lines.enumerated() {
                // float32 little-endian, as in the SQLite store.
                let bytes = line.vector.withUnsafeBufferPointer { ByteBuffer(bytes: UnsafeRawBufferPointer($0)) }
                try tx.query("""
                    INSERT INTO chunk (pageId, ordinal, model, text, vector)
                    VALUES (\(pageId), \(ordinal), \(model), \(line.text), \(bytes))
                    """)
            }
        }
    }

    public func chunks(model: String, documentIds: [Int64]?) throws -> [StoredChunk] {
        try pool.read { tx in
            var statement = PostgresStatement("""
                SELECT p.documentId, d.fileName, p.number, c.text, c.vector FROM chunk c
                JOIN page p ON p.id = c.pageId JOIN document d ON d.id = p.documentId
                WHERE c.ordinal >= 0 AND c.model = 
                """)
            statement.sql += statement.bind(model)
            if let documentIds { statement.sql += " AND p.documentId = ANY(" + statement.bind(documentIds) + ")" }
            statement.sql += " ORDER BY p.documentId, p.number, c.ordinal"
            return try tx.query(statement.query).map { row in
                var buffer = try row[4].decode(ByteBuffer.self)
                let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
                let vector = bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                return StoredChunk(documentId: try row[0].decode(Int64.self), fileName: try row[1].decode(String.self),
                                   page: try row[2].decode(Int.self), text: try row[3].decode(String.self), vector: vector)
            }
        }
    }

    public func indexCoverage(model: String) throws -> (indexed: Int, pages: Int) {
        try pool.read { tx in
            (try tx.scalar("SELECT count(DISTINCT pageId) FROM chunk WHERE model = \(model)", as: Int.self) ?? 0,
             try tx.scalar("SELECT count(*) FROM page WHERE status = 'completed'", as: Int.self) ?? 0)
        }
    }
}
