import Foundation
import GRDB
import Storage
import TestSupport
import Testing
import Validation

/// Runs a script of the repository with python3 and prints what it printed.
func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    process.currentDirectoryURL = root
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    print(output)
    return (process.terminationStatus, output)
}

@Suite(.serialized) struct FactsTests {
    /// Imports Samples/, exports, and scores the export against the expected facts with
    /// scripts/evaluate_facts.py: field-level F1 must stay at or above 0.90.
    @Test func rulesExtractorMeetsTheF1FloorOnSamples() throws {
        let scratch = try Scratch()
        let ingest = try chartex(["ingest", "--db", scratch.db, "Samples/"])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let export = scratch.folder.appendingPathComponent("export.json").path
        #expect(try chartex(["export", "--db", scratch.db, "--out", export]).status == 0)

        let scored = try python(["scripts/evaluate_facts.py", "--export", export, "--floor", "0.90"])
        #expect(scored.status == 0, "\(scored.output)")

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
        // …and `show` says why it was judged blank; pages with text carry no such note.
        let show = try chartex(["show", "--db", scratch.db, "packet-nguyen.pdf"]).stdout
        let blankLine = show.split(separator: "\n").first { $0.hasPrefix("6\t") }.map(String.init) ?? ""
        #expect(blankLine.contains("\tblank\t") && blankLine.contains("blank: skipped OCR:") && blankLine.contains("character-sized mark"),
                "\(show)")
        #expect(try scratch.count("SELECT count(*) FROM page WHERE blankReason IS NOT NULL AND NOT blank") == 0)
        let json = try chartex(["facts", "--db", scratch.db, "--document", "lab-report-200dpi.pdf", "--group", "labs", "--json"])
        #expect(json.status == 0 && json.stdout.contains("\"groupName\" : \"labs\""))

        // The question set of Samples/ (issue 6): a regression floor (40/40 measured), every answer cited or "not stated".
        let asked = try python(["scripts/evaluate_ask.py", "--db", scratch.db, "--chartex", ".build/debug/chartex", "--floor", "0.95"])
        #expect(asked.status == 0, "\(asked.output)")

        // The semantic index (issue 13) was built at ingest: every page with text has its lines,
        // and a phrase unlike the page finds the kidney-function results.
        #expect(try scratch.count("SELECT count(DISTINCT c.pageId) FROM chunk c WHERE c.ordinal >= 0")
                == scratch.count("SELECT count(*) FROM page WHERE status = 'completed' AND NOT blank"))
        let semantic = try chartex(["search", "--db", scratch.db, "--semantic", "--limit", "4", "kidney function"])
        #expect(semantic.status == 0, "\(semantic.stderr)")
        let top = semantic.stdout.split(separator: "\n").map(String.init)
        #expect(top.contains { $0.contains("\tCreatinine") } && top.contains { $0.contains("\teGFR") }, "\(semantic.stdout)")
        // The same page scanned into a second file reads as a near-duplicate of the first.
        let copy = scratch.folder.appendingPathComponent("lab-copy.pdf").path
        let qpdf = Process()
        qpdf.executableURL = URL(fileURLWithPath: "/usr/bin/qpdf")
        qpdf.arguments = ["--empty", "--pages", root.appendingPathComponent("Samples/lab-report-200dpi.pdf").path, "1", "--", copy]
        try qpdf.run()
        qpdf.waitUntilExit()
        #expect(try chartex(["ingest", "--db", scratch.db, copy]).status == 0)
        let shown = try chartex(["show", "--db", scratch.db, "lab-copy.pdf"]).stdout
        #expect(shown.contains("page 1 reads like lab-report-200dpi.pdf"), "\(shown)")
        let whole = try chartex(["export", "--db", scratch.db, "--document", "lab-copy.pdf"])
        let validator = try JSONSchemaValidator(json: Data(contentsOf: root.appendingPathComponent("Schemas/export.schema.json")))
        #expect(validator.validate(try JSONValue(parsing: Data(whole.stdout.utf8))) == [])
        let exported = try chartex(["export", "--db", scratch.db, "--document", "lab-copy.pdf", "--format", "ndjson"])
        #expect(exported.stdout.contains("\"nearDuplicates\":[{") && exported.stdout.contains("\"fileName\":\"lab-report-200dpi.pdf\""),
                "\(exported.stdout.prefix(300))")
        let missing = try chartex(["ask", "--db", scratch.db, "--document", "med-list-fax.pdf", "What was his last colonoscopy?"])
        #expect(missing.stdout.hasPrefix("not stated"))
        let vision = try chartex(["ask", "--db", scratch.db, "--document", "1", "--page", "1", "Describe this page"])
        #expect(vision.status == 69 && vision.stderr.contains("vision model"))
    }
}

@Suite(.serialized) struct SplittingTests {
    /// A packet with one page of another patient slipped in: that page is flagged, its facts
    /// need review, the others are classified by type, and the blank page yields no facts.
    @Test func aPageOfAnotherPatientIsFlagged() throws {
        let scratch = try Scratch()
        let packet = scratch.folder.appendingPathComponent("mixed.pdf").path
        let qpdf = Process()
        qpdf.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        qpdf.arguments = ["qpdf", "--empty", "--pages", "Samples/packet-nguyen.pdf", "1-2", "Samples/progress-note-grey-skewed.pdf",
                          "1", "Samples/packet-nguyen.pdf", "3-7", "--", packet]
        qpdf.currentDirectoryURL = root
        try qpdf.run()
        qpdf.waitUntilExit()
        #expect(qpdf.terminationStatus == 0)
        #expect(try chartex(["ingest", "--db", scratch.db, packet]).status == 0)
        let queue = try AppDatabase.openReadOnly(path: scratch.db)
        let pages = try queue.read { db in try PageRecord.order(Column("number")).fetchAll(db) }
        #expect(pages.map(\.documentType) == ["face-sheet", "progress-note", "progress-note", "lab-report", "medication-list",
                                              "immunization-record", "blank", "progress-note"])
        #expect(pages.map { $0.patientMismatch != nil } == [false, false, true, false, false, false, false, false])
        #expect(pages[2].patientMismatch?.contains("MRN 00482913") == true)
        #expect(Set(pages.compactMap(\.segment)).count == 7)
        #expect(try scratch.count("SELECT count(*) FROM fact WHERE evidencePage = 3 AND status = 'verified'") == 0)
        #expect(try scratch.count("SELECT count(*) FROM fact WHERE evidencePage = 3") > 10)
        #expect(try scratch.count("SELECT count(*) FROM fact WHERE evidencePage = 7") == 0)
        let show = try chartex(["show", "--db", scratch.db, "mixed.pdf"])
        #expect(show.stdout.contains("POSSIBLE WRONG PATIENT"))
    }
}
