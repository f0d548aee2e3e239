import ArgumentParser
import ChartService
import Foundation
import Storage

extension Chartex {
    /// `chartex review`: the facts that need review, and a person's decision on each.
    struct Review: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Review facts: list those that need review, accept, correct or reject one.",
            discussion: """
                Every decision is recorded (table review, and the audit log) with the OS user. An accepted or \
                corrected value becomes verified with extractor 'reviewer'; a correction is validated against \
                its schema like an extracted value. A re-extraction never overwrites a reviewed fact, and \
                facts, export and ask use the reviewed values. `chartex serve` offers the same at /review.
                """,
            subcommands: [List.self, Accept.self, Correct.self, Reject.self])

        struct List: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "List the facts that need review.")

            @Option(help: "Only this document (id, sha256 prefix or file name).") var document: String?
            @Option(help: "Only this group.") var group: String?
            @Option(help: "Only facts whose review reason contains this.") var reason: String?
            @Option(help: "At most this many.") var limit: Int?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var database: DatabaseArguments

            func run() throws {
                try Chartex.run {
                    let service = try database.service()
                    let id = try document.map { try service.document($0).id! }
                    let items = try service.reviewQueue(documentId: id, group: group, reason: reason, limit: limit)
                    if json { return printJSON(items) }
                    print(["id", "doc", "page", "group", "item", "field", "value", "reason", "other readings"].joined(separator: "\t"))
                    for item in items {
                        let f = item.fact
                        print(["\(f.id!)", item.fileName, f.evidencePage.map(String.init) ?? "-", f.groupName, "\(f.item)",
                               f.fieldPath + (f.alternative ? " (alt)" : ""), f.normalizedValue ?? "", f.reviewReason ?? "",
                               item.otherReadings.map { "\($0.id!): \($0.normalizedValue ?? "")" }.joined(separator: "; ")]
                            .map { $0.replacingOccurrences(of: "\t", with: " ") }.joined(separator: "\t"))
                    }
                    FileHandle.standardError.write(Data("\(items.count) fact\(items.count == 1 ? "" : "s") to review\n".utf8))
                }
            }
        }

        struct Accept: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Accept a fact's value as read.")
            @Argument(help: "The fact id (chartex review list, chartex facts).") var id: Int64
            @Option(help: "A note kept with the decision.") var note: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var database: DatabaseArguments

            func run() throws {
                try Chartex.run { try decide(database, id: id, .accept, value: nil, note: note, json: json) }
            }
        }

        struct Correct: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Correct a fact's value (validated against its schema).")
            @Argument(help: "The fact id.") var id: Int64
            @Argument(help: "The right value, normalised (ISO dates, canonical units).") var value: String
            @Option(help: "A note kept with the decision.") var note: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var database: DatabaseArguments

            func run() throws {
                try Chartex.run { try decide(database, id: id, .correct, value: value, note: note, json: json) }
            }
        }

        struct Reject: ParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Reject a fact: it is not on the chart, or misread beyond use.")
            @Argument(help: "The fact id.") var id: Int64
            @Option(help: "A note kept with the decision.") var note: String?
            @Flag(help: "Print JSON.") var json = false
            @OptionGroup var database: DatabaseArguments

            func run() throws {
                try Chartex.run { try decide(database, id: id, .reject, value: nil, note: note, json: json) }
            }
        }

        static func decide(_ database: DatabaseArguments, id: Int64, _ decision: ReviewDecision, value: String?, note: String?,
                           json: Bool) throws {
            let outcome = try database.service().review(factId: id, decision: decision, value: value, note: note,
                                                        reviewer: AppDatabase.osUser)
            if json { return printJSON(outcome) }
            let f = outcome.fact
            print("fact \(f.id!): \(f.groupName)[\(f.item)].\(f.fieldPath) = \(f.normalizedValue ?? "") is \(f.status) "
                  + "(\(decision.rawValue) by \(outcome.review.reviewer))")
            if !outcome.supersededFacts.isEmpty {
                print("other readings rejected: " + outcome.supersededFacts.map(String.init).joined(separator: ", "))
            }
        }
    }
}
