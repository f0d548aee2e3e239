import Foundation
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A scratch folder and a database (an SQLite file in the folder, or a PostgreSQL database of
/// its own on the test server), removed afterwards.
struct Scratch: ~Copyable {
    let folder: URL
    let backend: Backend
    /// What `--db` gets: the file's path or the database's URL.
    let db: String

    init(_ backend: Backend = .sqlite) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("chartex-e2e-\(UUID().uuidString)")
        let db = backend == .postgres ? try TestPostgres.newDatabase() : folder.appendingPathComponent("chartex.sqlite").path
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        (self.folder, self.backend, self.db) = (folder, backend, db)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
        if backend == .postgres { TestPostgres.dropDatabase(db) }
    }

    func copy(_ relative: String, as name: String? = nil) throws -> String {
        let source = root.appendingPathComponent(relative)
        let target = folder.appendingPathComponent(name ?? source.lastPathComponent)
        try FileManager.default.copyItem(at: source, to: target)
        return target.path
    }

    /// The first column of a read-only query's rows (either store).
    func values(_ sql: String) throws -> [SQLValue] {
        try StoreLocation(db).readOnlyQuery(sql).rows.compactMap(\.first)
    }

    func count(_ sql: String) throws -> Int {
        guard case .int(let value) = try values(sql).first else { return 0 }
        return Int(value)
    }

    func strings(_ sql: String) throws -> [String] {
        try values(sql).compactMap { if case .string(let text) = $0 { text } else { nil } }
    }
}

/// Starts `chartex` in the background.
func launch(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = root.appendingPathComponent(".build/debug/chartex")
    process.arguments = arguments
    process.currentDirectoryURL = root
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

func waitUntil(timeout: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.1)
    }
    return false
}

@Suite(.serialized) struct StoreCommandTests {
    @Test(arguments: Backend.allCases) func ingestStoresPagesAndReimportingIsANoOp(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        let first = try chartex(["ingest", "--db", scratch.db, "Samples/med-list-fax.pdf", "Samples/discharge-summary-born-digital.pdf"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("queued 2, already imported 0; completed 2"))
        if backend == .sqlite {
            let mode = try FileManager.default.attributesOfItem(atPath: scratch.db)[.posixPermissions] as? NSNumber
            #expect(mode?.intValue == 0o600)
        }
        #expect(try scratch.count("SELECT count(*) FROM page") == 3)
        let words = try scratch.count("SELECT count(*) FROM word")
        #expect(words > 300)

        let again = try chartex(["ingest", "--db", scratch.db, "Samples/med-list-fax.pdf", "Samples/discharge-summary-born-digital.pdf"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("queued 0, already imported 2"))
        #expect(try scratch.count("SELECT count(*) FROM page") == 3)
        #expect(try scratch.count("SELECT count(*) FROM word") == words)
        #expect(try scratch.count("SELECT count(*) FROM document") == 2)

        // The same bytes under another name are the same document.
        let copy = try scratch.copy("Samples/med-list-fax.pdf", as: "renamed.pdf")
        #expect(try chartex(["ingest", "--db", scratch.db, copy]).stdout.contains("already imported 1"))

        let status = try chartex(["status", "--db", scratch.db, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any])
        #expect(json["pages"] as? Int == 3)

        let search = try chartex(["search", "--db", scratch.db, "furosemide"])
        #expect(search.stdout.contains("med-list-fax.pdf\tpage 1\t") && search.stdout.contains("[Furosemide]"))

        let show = try chartex(["show", "--db", scratch.db, "discharge-summary-born-digital.pdf"])
        #expect(show.stdout.contains("2 pages, completed") && show.stdout.contains("textLayer"))
        let sha = try #require(show.stdout.split(separator: "\n").first { $0.contains("sha256 ") }?.split(separator: " ").last)
        #expect(try chartex(["show", "--db", scratch.db, String(sha.prefix(10))]).status == 0)
        #expect(try chartex(["show", "--db", scratch.db, "nothing-like-it.pdf"]).status == 66)
        #expect(try chartex(["sql", "--db", scratch.db, "DELETE FROM page"]).status == 65)
        #expect(try scratch.count("SELECT count(*) FROM page") == 3)
    }

    @Test(arguments: Backend.allCases) func exportCarriesProvenanceAndIsAudited(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        #expect(try chartex(["ingest", "--db", scratch.db, "Samples/discharge-summary-born-digital.pdf"]).status == 0)
        let out = scratch.folder.appendingPathComponent("export.json").path
        let result = try chartex(["export", "--db", scratch.db, "--format", "json", "--out", out])
        #expect(result.status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: out)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
        #expect(json["format"] as? String == "chartex-export" && json["version"] as? Int == 1)
        let document = try #require((json["documents"] as? [[String: Any]])?.first)
        #expect((document["sha256"] as? String)?.count == 64)
        let page = try #require((document["pages"] as? [[String: Any]])?.first)
        let line = try #require((page["lines"] as? [[String: Any]])?.first)
        #expect((line["bbox"] as? [Double])?.count == 4 && line["text"] is String)

        let ndjson = try chartex(["export", "--db", scratch.db, "--format", "ndjson", "--document", "1"])
        #expect(ndjson.stdout.split(separator: "\n").count == 1)
        #expect(try scratch.count("SELECT count(*) FROM auditLog WHERE action = 'export'") == 2)
        #expect(try scratch.count("SELECT count(*) FROM auditLog WHERE action = 'import'") == 1)
    }

    /// kill -9 in the middle of a document, restart: every page stored exactly once.
    @Test(arguments: Backend.allCases) func aKilledWorkerLosesAndDuplicatesNothing(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        let pdf = try scratch.copy("Samples/packet-nguyen.pdf")
        #expect(try chartex(["ingest", "--db", scratch.db, "--enqueue-only", pdf]).status == 0)
        let worker = try launch(["worker", "--db", scratch.db, "--jobs", "1"])
        let started = try waitUntil(timeout: 120) { try scratch.count("SELECT count(*) FROM page") >= 2 }
        kill(worker.processIdentifier, SIGKILL)
        worker.waitUntilExit()
        #expect(started)
        let before = try scratch.count("SELECT count(*) FROM page")
        #expect(before < 7, "the worker should have been killed mid-document")
        #expect(try scratch.count("SELECT count(*) FROM job WHERE state = 'running'") == 1)

        // The dead worker's lease belongs to a process that is gone: the next worker takes over.
        let restart = try chartex(["worker", "--db", scratch.db, "--jobs", "2"])
        #expect(restart.status == 0, "\(restart.stderr)")
        #expect(try scratch.count("SELECT count(*) FROM page") == 7)
        #expect(try scratch.count("SELECT count(DISTINCT number) FROM page") == 7)
        #expect(try scratch.count("SELECT count(*) FROM document WHERE status = 'completed' AND pageCount = 7") == 1)
        #expect(try scratch.count("SELECT attempts FROM job") == 2)
        // Words belong to stored pages only, and the index agrees with the pages.
        #expect(try scratch.count("SELECT count(*) FROM word WHERE pageId NOT IN (SELECT id FROM page)") == 0)
        let indexed = backend == .sqlite ? "SELECT count(*) FROM pageText WHERE pageText MATCH 'Nguyen'"
            : "SELECT count(*) FROM page WHERE textSearch @@ to_tsquery('simple', 'nguyen')"
        #expect(try scratch.count(indexed) >= 5)
    }

    @Test(arguments: Backend.allCases) func sigtermFinishesThePageAndHandsTheRestBack(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        let pdf = try scratch.copy("Samples/packet-nguyen.pdf")
        #expect(try chartex(["ingest", "--db", scratch.db, "--enqueue-only", pdf]).status == 0)
        let worker = try launch(["worker", "--db", scratch.db, "--jobs", "1", "--follow"])
        #expect(try waitUntil(timeout: 120) { try scratch.count("SELECT count(*) FROM page") >= 1 })
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        #expect(worker.terminationReason == .exit && worker.terminationStatus == 0)
        let stored = try scratch.count("SELECT count(*) FROM page")
        #expect(stored >= 1 && stored < 7)
        #expect(try scratch.count("SELECT count(*) FROM job WHERE state = 'pending' AND leaseOwner IS NULL") == 1)
        #expect(try chartex(["worker", "--db", scratch.db]).status == 0)
        #expect(try scratch.count("SELECT count(*) FROM page") == 7)
    }

    @Test(arguments: Backend.allCases) func badInputIsRecordedAndTheBatchCompletes(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        let folder = scratch.folder.appendingPathComponent("box")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["empty.pdf", "truncated.pdf", "text-named.pdf", "jpeg-named.pdf", "encrypted.pdf", "zero-pages.pdf",
                     "huge-page.pdf", "many-pages.pdf", "javascript.pdf"] {
            try FileManager.default.copyItem(at: root.appendingPathComponent("Tests/Fixtures/\(name)"),
                                             to: folder.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: root.appendingPathComponent("Samples/med-list-fax.pdf"),
                                         to: folder.appendingPathComponent("good.pdf"))
        // A file name that is not valid UTF-8.
        let data = try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/javascript.pdf"))
        var rawName = Array(folder.path.utf8) + Array("/bad-".utf8) + [0xFF, 0xFE] + Array("-name.pdf".utf8) + [0]
        let fd = rawName.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o644) }
        }
        #expect(fd >= 0)
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        // It holds the same bytes as javascript.pdf, which would make it a duplicate: add a byte.
        let handle = try FileHandle(forWritingTo: folder.appendingPathComponent("javascript.pdf"))
        try handle.seekToEnd()
        handle.write(Data("\n".utf8))
        try handle.close()

        let result = try chartex(["ingest", "--db", scratch.db, folder.path])
        #expect(result.status == 65)
        #expect(result.stdout.contains("queued 11"))
        func status(_ name: String) throws -> String? {
            try scratch.strings("SELECT status || ': ' || coalesce(error, '') FROM document WHERE fileName = '\(name)'").first
        }
        #expect(try status("empty.pdf")?.hasPrefix("failed: the file is empty") == true)
        #expect(try status("truncated.pdf")?.hasPrefix("failed: the PDF is damaged") == true)
        #expect(try status("text-named.pdf")?.hasPrefix("failed: not a PDF") == true)
        #expect(try status("jpeg-named.pdf") == "completed: ")  // a JPEG, whatever its name
        #expect(try status("encrypted.pdf")?.hasPrefix("failed: the PDF is encrypted") == true)
        #expect(try status("zero-pages.pdf")?.hasPrefix("failed: the PDF has no pages") == true)
        #expect(try status("huge-page.pdf") == "completed: ")  // page 1 read at 50 dpi, with a warning
        #expect(try status("many-pages.pdf") == "completed: ")
        #expect(try status("javascript.pdf") == "completed: ")
        #expect(try status("good.pdf") == "completed: ")
        #expect(try status("bad-\u{FFFD}\u{FFFD}-name.pdf") == "completed: ")
        #expect(try scratch.count("SELECT count(*) FROM page WHERE documentId = (SELECT id FROM document WHERE fileName = 'many-pages.pdf')") == 300)
        #expect(result.stderr.contains("huge-page.pdf (document") && result.stderr.contains("page 1: warning: the page is 200.0 x 200.0 in"))
        #expect(try scratch.count("SELECT count(*) FROM job WHERE state IN ('pending', 'running')") == 0)
    }
}
