import ChartModel
import Foundation
import GRDB

/// What happened when a file was offered to the queue.
public enum EnqueueResult: Sendable, Equatable {
    /// A new document and job were created.
    case queued(documentId: Int64)
    /// The same bytes were imported before: nothing was done.
    case duplicate(documentId: Int64, status: DocumentStatus)
}

/// A job a worker has claimed, with its lease.
public struct ClaimedJob: Sendable {
    public var jobId: Int64
    public var documentId: Int64
    public var path: String
    public var sha256: String
    public var attempts: Int
}

extension AppDatabase {
    /// Adds a document and its job to the queue, unless the same bytes are already stored.
    /// `path` is what the worker opens (a lossless `file:` URI, see `RawPath.uri`);
    /// `displayPath` and `fileName` are for people.
    public func enqueue(path: String, displayPath: String, fileName: String, sha256: String, size: Int64) throws -> EnqueueResult {
        try writer.write { db in
            if let existing = try DocumentRecord.filter(Column("sha256") == sha256).fetchOne(db) {
                return .duplicate(documentId: existing.id!, status: existing.status)
            }
            let now = Timestamp.now()
            var document = DocumentRecord(id: nil, sha256: sha256, fileName: fileName, sourcePath: displayPath,
                                          size: size, pageCount: nil, status: .queued, error: nil, importedAt: now,
                                          completedAt: nil)
            try document.insert(db)
            var job = JobRecord(id: nil, documentId: document.id!, path: path, state: .pending, attempts: 0,
                                leaseOwner: nil, leaseExpiresAt: nil, heartbeatAt: nil, lastError: nil,
                                createdAt: now, updatedAt: now)
            try job.insert(db)
            var entry = AuditRecord(at: now, action: "import", osUser: Self.osUser, documentId: document.id,
                                    detail: "queued \(sha256.prefix(12))")
            try entry.insert(db)
            return .queued(documentId: document.id!)
        }
    }

    /// Claims the oldest pending job, or a running job whose lease has expired or whose owner
    /// is known to be dead (`isOwnerDead`), for `owner`, for `leaseSeconds`. One transaction.
    public func claimJob(owner: String, leaseSeconds: Double, maxAttempts: Int = 3,
                         isOwnerDead: @Sendable (String) -> Bool = { _ in false }) throws -> ClaimedJob? {
        try writer.write { db in
            let now = Date().timeIntervalSince1970
            var candidate = try JobRecord.filter(Column("state") == JobState.pending.rawValue)
                .order(Column("id")).fetchOne(db)
            if candidate == nil {
                let running = try JobRecord.filter(Column("state") == JobState.running.rawValue)
                    .order(Column("id")).fetchAll(db)
                // Never one this owner still holds (its model stage may be finishing it).
                candidate = running.first { job in
                    job.leaseOwner != owner && ((job.leaseExpiresAt ?? 0) < now || job.leaseOwner.map(isOwnerDead) == true)
                }
            }
            guard var job = candidate else { return nil }
            guard let document = try DocumentRecord.fetchOne(db, key: job.documentId) else { return nil }
            if job.attempts >= maxAttempts {
                // A document that killed its worker this many times is not tried again.
                job.state = .failed
                job.lastError = job.lastError ?? "gave up after \(job.attempts) attempts"
                job.updatedAt = Timestamp.now()
                try job.update(db)
                try db.execute(sql: "UPDATE document SET status = 'failed', error = ?, completedAt = ? WHERE id = ?",
                               arguments: [job.lastError, Timestamp.now(), job.documentId])
                return nil
            }
            job.state = .running
            job.attempts += 1
            job.leaseOwner = owner
            job.leaseExpiresAt = now + leaseSeconds
            job.heartbeatAt = now
            job.updatedAt = Timestamp.now()
            try job.update(db)
            try db.execute(sql: "UPDATE document SET status = 'processing' WHERE id = ?", arguments: [job.documentId])
            return ClaimedJob(jobId: job.id!, documentId: job.documentId, path: job.path, sha256: document.sha256,
                              attempts: job.attempts)
        }
    }

    /// Page numbers already stored for a document (read or failed).
    public func storedPageNumbers(documentId: Int64) throws -> Set<Int> {
        try writer.read { db in
            Set(try Int.fetchAll(db, sql: "SELECT number FROM page WHERE documentId = ?", arguments: [documentId]))
        }
    }

    /// Stores one page and its words, and renews the job's lease, in one transaction. A page
    /// already stored is left as it is (a restarted worker never duplicates a page).
    public func savePage(_ reading: PageReading, documentId: Int64, jobId: Int64, owner: String,
                         leaseSeconds: Double) throws {
        try writer.write { db in
            let exists = try PageRecord.filter(Column("documentId") == documentId && Column("number") == reading.number)
                .fetchCount(db) > 0
            if exists { return }
            var page = PageRecord(id: nil, documentId: documentId, number: reading.number, status: "completed",
                                  error: nil, width: reading.width, height: reading.height, dpi: reading.dpi,
                                  rotation: reading.rotation, skew: reading.skew, source: reading.source.rawValue,
                                  meanConfidence: reading.meanConfidence, blank: reading.isBlank,
                                  text: reading.text, lines: Self.compactLines(reading.lines),
                                  blocks: Self.compactBlocks(reading.blocks), readAt: Timestamp.now(),
                                  documentType: nil, segment: nil, patientMismatch: nil,
                                  blankReason: reading.isBlank ? reading.blankReason : nil)
            try page.insert(db)
            guard let pageId = page.id else { return }
            for (ordinal, word) in reading.words.enumerated() {
                try WordRecord(pageId: pageId, ordinal: ordinal, text: word.text, x0: word.bbox.x0, y0: word.bbox.y0,
                               x1: word.bbox.x1, y1: word.bbox.y1, conf: word.conf).insert(db)
            }
            try renewLease(db, jobId: jobId, owner: owner, leaseSeconds: leaseSeconds)
        }
    }

    /// Stores a page that could not be read, with its error.
    public func saveFailedPage(number: Int, error: String, documentId: Int64, jobId: Int64, owner: String,
                               leaseSeconds: Double) throws {
        try writer.write { db in
            var page = PageRecord(id: nil, documentId: documentId, number: number, status: "failed", error: error,
                                  width: nil, height: nil, dpi: nil, rotation: nil, skew: nil, source: nil,
                                  meanConfidence: nil, blank: false, text: "", lines: "[]", blocks: "[]",
                                  readAt: Timestamp.now(), documentType: nil, segment: nil, patientMismatch: nil)
            try page.insert(db, onConflict: .ignore)
            try renewLease(db, jobId: jobId, owner: owner, leaseSeconds: leaseSeconds)
        }
    }

    /// Extends a job's lease while its document is still being worked on (the model stage).
    public func renewLease(jobId: Int64, owner: String, leaseSeconds: Double) throws {
        try writer.write { db in try renewLease(db, jobId: jobId, owner: owner, leaseSeconds: leaseSeconds) }
    }

    private func renewLease(_ db: Database, jobId: Int64, owner: String, leaseSeconds: Double) throws {
        let now = Date().timeIntervalSince1970
        try db.execute(sql: "UPDATE job SET leaseExpiresAt = ?, heartbeatAt = ? WHERE id = ? AND leaseOwner = ?",
                       arguments: [now + leaseSeconds, now, jobId, owner])
    }

    /// Records the page count as soon as the document is open.
    public func setPageCount(_ count: Int, documentId: Int64) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE document SET pageCount = ? WHERE id = ?", arguments: [count, documentId])
        }
    }

    /// Marks a document done: `completed` when every page was read, `partial` when some pages
    /// failed, `failed` when none could be read.
    public func finishDocument(documentId: Int64, jobId: Int64) throws {
        try writer.write { db in
            let failed = try Int.fetchOne(db, sql: "SELECT count(*) FROM page WHERE documentId = ? AND status = 'failed'",
                                          arguments: [documentId]) ?? 0
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM page WHERE documentId = ?",
                                         arguments: [documentId]) ?? 0
            let status: DocumentStatus = failed == 0 ? .completed : (failed == total ? .failed : .partial)
            let error = failed == 0 ? nil : "\(failed) of \(total) pages could not be read"
            try db.execute(sql: "UPDATE document SET status = ?, error = ?, completedAt = ? WHERE id = ?",
                           arguments: [status.rawValue, error, Timestamp.now(), documentId])
            try db.execute(sql: """
                UPDATE job SET state = 'done', leaseOwner = NULL, leaseExpiresAt = NULL, lastError = ?, updatedAt = ?
                WHERE id = ?
                """, arguments: [error, Timestamp.now(), jobId])
        }
    }

    /// Marks a document that cannot be read at all as failed, with the reason.
    public func failDocument(documentId: Int64, jobId: Int64, error: String) throws {
        try writer.write { db in
            try db.execute(sql: "UPDATE document SET status = 'failed', error = ?, completedAt = ? WHERE id = ?",
                           arguments: [error, Timestamp.now(), documentId])
            try db.execute(sql: """
                UPDATE job SET state = 'failed', leaseOwner = NULL, leaseExpiresAt = NULL, lastError = ?, updatedAt = ?
                WHERE id = ?
                """, arguments: [error, Timestamp.now(), jobId])
        }
    }

    /// Hands a job back to the queue (a worker stopping gracefully mid-document).
    public func releaseJob(jobId: Int64, owner: String) throws {
        try writer.write { db in
            try db.execute(sql: """
                UPDATE job SET state = 'pending', leaseOwner = NULL, leaseExpiresAt = NULL, attempts = max(attempts - 1, 0),
                    updatedAt = ? WHERE id = ? AND leaseOwner = ?
                """, arguments: [Timestamp.now(), jobId, owner])
            // Only a job this owner held goes back (one taken over meanwhile is left alone).
            try db.execute(sql: """
                UPDATE document SET status = 'queued'
                WHERE id = (SELECT documentId FROM job WHERE id = ? AND state = 'pending' AND leaseOwner IS NULL)
                """, arguments: [jobId])
        }
    }

    static func compactLines(_ lines: [TextLine]) -> String {
        "[" + lines.map { l in
            "[\(l.words.lowerBound),\(l.words.count),\(r(l.bbox.x0)),\(r(l.bbox.y0)),\(r(l.bbox.x1)),\(r(l.bbox.y1)),\(r(l.conf))]"
        }.joined(separator: ",") + "]"
    }

    static func compactBlocks(_ blocks: [TextBlock]) -> String {
        "[" + blocks.map { b in
            "[\(b.lines.lowerBound),\(b.lines.count),\(r(b.bbox.x0)),\(r(b.bbox.y0)),\(r(b.bbox.x1)),\(r(b.bbox.y1))]"
        }.joined(separator: ",") + "]"
    }

    private static func r(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
