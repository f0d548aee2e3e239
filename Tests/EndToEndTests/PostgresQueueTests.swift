import Foundation
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The queue on a real PostgreSQL 15 (issue 16): several worker processes claim with
/// `FOR UPDATE SKIP LOCKED`, and a worker that dies mid-document loses it to another once its
/// lease has run out.
@Suite(.serialized) struct PostgresQueueTests {
    /// 20 born-digital charts of the layout-family generator (scripts/corpus/make_chart_corpus.py).
    static func charts(in folder: URL) throws -> [String] {
        try #require(try makeChartCorpus(in: folder), "make_chart_corpus.py failed; run scripts/setup-corpus.sh")
        let pdfs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".pdf") }.sorted()
        try #require(pdfs.count >= 20)
        return pdfs.prefix(20).map { folder.appendingPathComponent($0).path }
    }

    /// Every fact of a store as one comparable line, in a fixed order.
    static func facts(_ db: String) throws -> [String] {
        let export = try chartex(["export", "--db", db])
        try #require(export.status == 0, "\(export.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(export.stdout.utf8)) as? [String: Any])
        let documents = try #require(json["documents"] as? [[String: Any]])
        return documents.flatMap { document in
            (document["facts"] as? [[String: Any]] ?? []).map { fact in
                let evidence = fact["evidence"] as? [String: Any]
                return ["\(document["fileName"] ?? "")", "\(fact["group"] ?? "")", "\(fact["item"] ?? "")",
                        "\(fact["field"] ?? "")", "\(fact["value"] ?? "")", "\(fact["status"] ?? "")",
                        "\(evidence?["page"] ?? "")", "\(evidence?["bbox"] ?? "")"].joined(separator: "|")
            }
        }.sorted()
    }

    @Test func threeWorkersProcessEveryDocumentExactlyOnce() throws {
        let single = try Scratch(.postgres), shared = try Scratch(.postgres)
        let pdfs = try Self.charts(in: single.folder.appendingPathComponent("charts"))

        // One worker: the reference.
        let reference = try chartex(["ingest", "--db", single.db, "--semantic-index", "off"] + pdfs)
        #expect(reference.status == 0, "\(reference.stderr)")

        // Three worker processes on one queue of the same 20 documents.
        #expect(try chartex(["ingest", "--db", shared.db, "--enqueue-only"] + pdfs).status == 0)
        let workers = try (1...3).map { _ in
            try launch(["worker", "--db", shared.db, "--jobs", "1", "--semantic-index", "off"])
        }
        for worker in workers { worker.waitUntilExit() }
        #expect(workers.allSatisfy { $0.terminationReason == .exit && $0.terminationStatus == 0 })

        #expect(try shared.count("SELECT count(*) FROM document WHERE status = 'completed'") == 20)
        #expect(try shared.count("SELECT count(*) FROM job WHERE state = 'done' AND attempts = 1") == 20)
        // Each document claimed once: one worker's name on its job's audit trail is not kept,
        // but no page was stored twice and every page of every document is there.
        #expect(try shared.count("SELECT count(*) FROM (SELECT documentId, number FROM page GROUP BY 1, 2 HAVING count(*) > 1) d") == 0)
        #expect(try shared.count("SELECT count(*) FROM page") == single.count("SELECT count(*) FROM page"))
        #expect(try shared.count("SELECT count(*) FROM extraction") == 20)
        let facts = try Self.facts(shared.db)
        #expect(facts.count > 500)
        #expect(facts == (try Self.facts(single.db)), "three workers stored other facts than one")
    }

    /// A worker killed with kill -9 mid-document, on a "host" whose processes this one cannot
    /// see (`--worker-name`): no one takes its document while the lease runs, another worker
    /// finishes it after, and no page is lost or stored twice.
    @Test func aKilledWorkersDocumentIsFinishedByAnotherAfterItsLease() throws {
        let scratch = try Scratch(.postgres)
        let pdf = try scratch.copy("Samples/packet-nguyen.pdf")
        #expect(try chartex(["ingest", "--db", scratch.db, "--enqueue-only", pdf]).status == 0)
        let lease = 8.0
        let first = try launch(["worker", "--db", scratch.db, "--jobs", "1", "--worker-name", "host-a",
                                "--lease-seconds", "\(Int(lease))", "--semantic-index", "off"])
        let started = try waitUntil(timeout: 120) { try scratch.count("SELECT count(*) FROM page") >= 2 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let killedAt = Date()
        #expect(started)
        let before = try scratch.count("SELECT count(*) FROM page")
        #expect(before < 7, "the worker should have been killed mid-document")

        // While the lease runs, the document is not another worker's to take.
        let early = try chartex(["worker", "--db", scratch.db, "--jobs", "1", "--worker-name", "host-b", "--semantic-index", "off"])
        #expect(early.status == 0)
        if Date().timeIntervalSince(killedAt) < lease - 1 {
            #expect(try scratch.count("SELECT count(*) FROM job WHERE state = 'running' AND leaseOwner LIKE 'host-a:%'") == 1)
        }

        // After it, host-b takes the document over and reads only the missing pages.
        Thread.sleep(forTimeInterval: max(0, lease + 0.5 - Date().timeIntervalSince(killedAt)))
        let late = try chartex(["worker", "--db", scratch.db, "--jobs", "1", "--worker-name", "host-b", "--semantic-index", "off"])
        #expect(late.status == 0, "\(late.stderr)")
        #expect(try scratch.count("SELECT count(*) FROM page") == 7)
        #expect(try scratch.count("SELECT count(DISTINCT number) FROM page") == 7)
        #expect(try scratch.count("SELECT count(*) FROM document WHERE status = 'completed' AND pageCount = 7") == 1)
        #expect(try scratch.count("SELECT attempts FROM job") == 2)
        #expect(try scratch.count("SELECT count(*) FROM word WHERE pageId NOT IN (SELECT id FROM page)") == 0)
    }

    /// A database server that cannot be reached is a clear error, not a hang.
    @Test func anUnreachableServerIsAClearError() throws {
        let port = try #require(Int(try TestPostgres.serverURL().split(separator: ":").last?.split(separator: "/").first ?? ""))
        // A port nobody listens on (the test server's port + 1 is free or not PostgreSQL; a refused login is fine too).
        let url = "postgres://chartex@127.0.0.1:\(port == 65535 ? 1 : port + 1)/chartex?connect_timeout=2"
        let started = Date()
        let result = try chartex(["status", "--db", url])
        #expect(result.status == 70)
        #expect(result.stderr.contains("postgres://chartex@127.0.0.1:") && result.stderr.contains("unavailable"))
        #expect(Date().timeIntervalSince(started) < 20)
        let bad = try chartex(["status", "--db", "postgres://chartex@127.0.0.1:notaport/chartex"])
        #expect(bad.status == 64)
    }
}
