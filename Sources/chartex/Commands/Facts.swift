import ArgumentParser
import Foundation
import ChartService
import Storage

extension Chartex {
    /// `chartex facts`: the stored facts with their evidence.
    struct Facts: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List extracted facts with their status and evidence (page, box, source text).")

        @Option(help: "Only this document (id, sha256 prefix or file name).") var document: String?
        @Option(help: "Only this group: patient, encounters, problems, medications, allergies, vitals, labs, immunizations.")
        var group: String?
        @Option(help: "Only this status: verified, needs_review or rejected.") var status: String?
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                let service = try database.service()
                let id = try document.map { try service.document($0).id! }
                let facts = try service.facts(FactFilter(documentId: id, group: group, status: status))
                if json { return printJSON(facts) }
                print(["id", "doc", "group", "item", "field", "value", "status", "extractor", "page", "evidence"].joined(separator: "\t"))
                for f in facts {
                    // An alternative is a reading kept for the reviewer, not the item's value: marked "(alt)".
                    print(["\(f.id!)", "\(f.documentId)", f.groupName, "\(f.item)", f.fieldPath + (f.alternative ? " (alt)" : ""),
                           f.normalizedValue ?? "", f.status, f.extractor + (f.grounded ? "" : ", ungrounded"),
                           f.evidencePage.map(String.init) ?? "-",
                           (f.evidenceText ?? "").prefix(60).replacingOccurrences(of: "\t", with: " ")].joined(separator: "\t"))
                }
            }
        }
    }
}
