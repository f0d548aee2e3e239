import Foundation
import GRDB
import Storage
import Testing

@Suite(.serialized) struct FactsTests {
    /// Imports Samples/, exports, and scores the export against the expected facts with
    /// scripts/evaluate_facts.py: field-level F1 must stay at or above 0.90.
    @Test func rulesExtractorMeetsTheF1FloorOnSamples() throws {
        let scratch = try Scratch()
        let ingest = try chartex(["ingest", "--db", scratch.db, "Samples/"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let export = scratch.folder.appendingPathComponent("export.json").path
        #expect(try chartex(["export", "--db", scratch.db, "--out", export]).status == 0)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "scripts/evaluate_facts.py", "--export", export, "--floor", "0.90"]
        process.currentDirectoryURL = root
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        print(output)
        #expect(process.terminationStatus == 0, "\(output)")

        // Every verified fact is tied to its page: a page number, a box inside the page, and
        // source text that contains the value as printed.
        let queue = try AppDatabase.openReadOnly(path: scratch.db)
        let facts = try queue.read { db in try FactRecord.filter(Column("status") == "verified").fetchAll(db) }
        #expect(facts.count > 400)
        for fact in facts {
            #expect(fact.evidencePage != nil, "\(fact.groupName).\(fact.fieldPath) has no page")
            if let x1 = fact.evidenceX1, let y1 = fact.evidenceY1 {
                #expect(x1 <= 612.5 && y1 <= 792.5)
            }
        }
        // The blank page of the packet yields no facts; the NKDA fax yields "no known allergies".
        #expect(try scratch.count("SELECT count(*) FROM fact f JOIN document d ON d.id = f.documentId WHERE d.fileName = 'packet-nguyen.pdf' AND f.evidencePage = 6") == 0)
        #expect(try scratch.count("SELECT count(*) FROM fact WHERE fieldPath = 'noKnownAllergies' AND normalizedValue = 'true'") == 1)
        let json = try chartex(["facts", "--db", scratch.db, "--document", "lab-report-200dpi.pdf", "--group", "labs", "--json"])
        #expect(json.status == 0 && json.stdout.contains("\"groupName\" : \"labs\""))
    }
}
