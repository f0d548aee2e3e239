import Answering
import ArgumentParser
import Foundation
import GRDB
import Storage

extension Chartex {
    /// `chartex ask`: questions about a chart, answered from its facts and text, with citations.
    struct Ask: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask a chart a question; the answer cites document, page and snippet, or says \"not stated\".",
            discussion: """
                Structured facts answer first (date of birth, MRN, sex, allergies, medications by status or \
                frequency, latest labs and vitals, problems, visit/admission/discharge dates, immunizations); \
                anything else is looked up in the page text (FTS5). When documents disagree, the latest one wins \
                and the answer says so. `--page N` asks for a description of a page image, which needs a vision \
                model: with none configured it says so and exits 69.
                """)

        @Argument(help: "The question, in plain English.") var question: String
        @Option(help: "The patient's MRN (all documents of that patient).") var patient: String?
        @Option(help: "One document (id, sha256 prefix or file name).") var document: String?
        @Option(help: "Ask about this page's image (needs a vision model).") var page: Int?
        @Flag(help: "Print JSON {question, answer, intent, citations, conflict}.") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                if page != nil {
                    throw CommandFailure(message: "describing a page image needs a vision model, and none is configured "
                                         + "(the model path is not set up on this installation)", exitCode: ExitCode(69))
                }
                let store = try database.openExisting()
                let scope = try documentScope(store)
                let facts = try store.writer.read { db -> [ChartFact] in
                    let dates = try [Int64: String](Row.fetchAll(db, sql: """
                        SELECT documentId, max(normalizedValue) FROM fact
                        WHERE groupName = 'encounters' AND fieldPath IN ('date', 'endDate') GROUP BY documentId
                        """).map { ($0[0], $0[1]) }, uniquingKeysWith: { a, _ in a })
                    let names = try [Int64: String](Row.fetchAll(db, sql: "SELECT id, fileName FROM document").map { ($0[0], $0[1]) },
                                                    uniquingKeysWith: { a, _ in a })
                    // Answers come from the items' values: candidates kept for review (alternatives) are not facts yet.
                    return try FactRecord.filter(scope.contains(Column("documentId")) && Column("alternative") == false)
                        .fetchAll(db).map { f in
                        ChartFact(documentId: f.documentId, fileName: names[f.documentId] ?? "?", documentDate: dates[f.documentId],
                                  group: f.groupName, item: f.item, field: f.fieldPath, value: f.normalizedValue ?? "",
                                  page: f.evidencePage, evidence: f.evidenceText, status: f.status)
                    }
                }
                let answerer = QuestionAnswerer(facts: facts) { query in
                    let hits = (try? store.search(query, limit: 50)) ?? []
                    return hits.filter { scope.contains($0.documentId) }.prefix(5).map {
                        TextHit(documentId: $0.documentId, document: $0.fileName, page: $0.page, snippet: $0.snippet)
                    }
                }
                let answer = answerer.answer(question)
                if json { return printJSON(answer) }
                print(answer.answer)
                if let conflict = answer.conflict { print("conflict: \(conflict); the latest document's value is given") }
                for c in answer.citations {
                    print("  source: \(c.document), page \(c.page.map(String.init) ?? "?"): \(c.snippet.replacingOccurrences(of: "\n", with: " "))")
                }
            }
        }

        /// The document ids the question is about.
        func documentScope(_ store: AppDatabase) throws -> [Int64] {
            if let document { return [try store.resolveDocument(document).id!] }
            let mrns = try store.writer.read { db in
                try Row.fetchAll(db, sql: "SELECT documentId, normalizedValue FROM fact WHERE groupName = 'patient' AND fieldPath = 'mrn'")
                    .map { (id: $0[0] as Int64, mrn: $0[1] as String) }
            }
            func key(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }
            if let patient {
                let ids = mrns.filter { key($0.mrn) == key(patient) }.map(\.id)
                guard !ids.isEmpty else {
                    throw CommandFailure(message: "no patient with MRN \(patient) in \(database.resolvedPath)", exitCode: ExitStatus.notFound)
                }
                return ids
            }
            let patients = Set(mrns.map { key($0.mrn) })
            guard patients.count <= 1 else {
                throw CommandFailure(message: "the store holds \(patients.count) patients: give --patient MRN or --document DOC",
                                     exitCode: ExitCode.validationFailure)
            }
            return try store.documents().compactMap(\.id)
        }
    }
}
