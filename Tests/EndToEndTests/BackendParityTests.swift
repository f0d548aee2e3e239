import Foundation
import TestSupport
import Testing

/// Every command that reads the store prints the same on SQLite and on PostgreSQL (issue 16):
/// the same charts imported into both, then each command run on each and the outputs compared
/// (times of day and the store's own name left out).
@Suite(.serialized) struct BackendParityTests {
    static let charts = ["Samples/progress-note-grey-skewed.pdf", "Samples/lab-report-200dpi.pdf",
                         "Samples/discharge-summary-born-digital.pdf"]

    /// Timestamps and the database's name differ between the two runs by nature.
    static func normalized(_ text: String, db: String) -> String {
        text.replacingOccurrences(of: db, with: "DB")
            .replacingOccurrences(of: #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)"#, with: "TIME",
                                  options: .regularExpression)
    }

    @Test func everyCommandReadsTheSameFromEitherStore() throws {
        let sqlite = try Scratch(.sqlite), postgres = try Scratch(.postgres)
        for db in [sqlite.db, postgres.db] {
            let ingest = try chartex(["ingest", "--db", db, "--jobs", "2"] + Self.charts,
                                     environment: ["OMP_THREAD_LIMIT": "1"])
            try #require(ingest.status == 0, "\(ingest.stderr)")
        }
        let commands: [[String]] = [
            ["status", "--json"],
            ["documents"],
            ["show", "lab-report-200dpi.pdf"],
            ["show", "progress-note-grey-skewed.pdf", "--text"],
            ["search", "creatinine"],
            ["search", "metformin OR lisinopril"],
            ["search", "--semantic", "kidney function"],
            ["facts", "--json"],
            ["facts", "--group", "labs", "--status", "needs_review"],
            ["review", "list", "--json"],
            ["ask", "--no-model", "--document", "progress-note-grey-skewed.pdf", "Is she allergic to penicillin?"],
            ["ask", "--no-model", "--document", "lab-report-200dpi.pdf", "What was the creatinine?"],
            ["ask", "--no-model", "--document", "discharge-summary-born-digital.pdf", "--json",
             "What medications was the patient discharged on?"],
            ["ask", "--no-model", "--document", "lab-report-200dpi.pdf", "How is her kidney function?"],
            ["sql", "SELECT groupName, status, count(*) FROM fact GROUP BY groupName, status ORDER BY 1, 2"],
            ["export", "--format", "ndjson"],
            ["export", "--format", "fhir"],
        ]
        for command in commands {
            let a = try chartex(command + ["--db", sqlite.db]), b = try chartex(command + ["--db", postgres.db])
            #expect(a.status == 0 && b.status == 0, "\(command): \(a.stderr) \(b.stderr)")
            let left = Self.normalized(a.stdout, db: sqlite.db), right = Self.normalized(b.stdout, db: postgres.db)
            #expect(!left.isEmpty)
            if command.first == "status" {
                // Only the store's counts: the local model servers running may differ between runs.
                let keys = ["documents", "jobs", "pages", "failedPages", "words", "facts"]
                func counts(_ text: String) throws -> [String: String] {
                    let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
                    let store = json["store"] as? [String: Any] ?? json
                    return Dictionary(uniqueKeysWithValues: keys.map { ($0, "\(store[$0] ?? "-")") })
                }
                #expect(try counts(left) == counts(right))
            } else if command.first == "search", !command.contains("--semantic") {
                // The same pages, the same words marked. The order among equally good pages and
                // the snippets' extent are each index's own (BM25 against ts_rank, FTS5's
                // snippet() against ts_headline).
                func hits(_ text: String) -> [String] {
                    text.split(separator: "\n").map { line in
                        let cells = line.split(separator: "\t", omittingEmptySubsequences: false)
                        let marked = line.matches(of: /\[([^\]]+)\]/).map { String($0.1).lowercased() }
                        return cells.prefix(3).joined(separator: "\t") + "\t" + Set(marked).sorted().joined(separator: ",")
                    }
                }
                #expect(hits(left).sorted() == hits(right).sorted(), "\(command.joined(separator: " ")) finds other pages")
            } else if command.first == "sql" {
                // PostgreSQL names result columns its own way (lower case, `count`): the rows.
                #expect(left.split(separator: "\n").dropFirst() == right.split(separator: "\n").dropFirst())
            } else {
                #expect(left == right, "\(command.joined(separator: " ")) differs between SQLite and PostgreSQL")
            }
        }
    }
}
