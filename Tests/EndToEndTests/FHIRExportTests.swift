import Foundation
import Storage
import TestSupport
import Testing

/// The FHIR export of every sample in Samples/ (read with the rules, no model), validated with
/// the `fhir.resources` R4B models (scripts/validate_fhir.py; docs/fhir.md says why R4B).
@Suite(.serialized) struct FHIRExportTests {
    @Test func theSamplesExportAsValidFHIRWithProvenanceForEveryResource() throws {
        let scratch = try Scratch()
        let samples = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("Samples").path)
            .filter { $0.hasSuffix(".pdf") }.sorted().map { "Samples/\($0)" }
        try #require(samples.count >= 6)
        let ingest = try chartex(["ingest", "--db", scratch.db, "--semantic-index", "off"] + samples,
                                 environment: ["OMP_THREAD_LIMIT": "1"])
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let first = scratch.folder.appendingPathComponent("first.fhir").path
        #expect(try chartex(["export", "--db", scratch.db, "--format", "fhir", "--out", first]).status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: first)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // Every resource validates; every reference resolves; one Provenance per extracted resource.
        let validated = try runTool(corpusPython, [root.appendingPathComponent("scripts/validate_fhir.py").path, first])
        #expect(validated.status == 0, "\(validated.output)")
        let report = try #require(validated.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let figures = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        let counts = try #require(figures["counts"] as? [String: Int])

        // The counts match the JSON export: one lab Observation per lab item, one Provenance each.
        let json = scratch.folder.appendingPathComponent("export.json").path
        #expect(try chartex(["export", "--db", scratch.db, "--out", json]).status == 0)
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let documents = try #require(envelope["documents"] as? [[String: Any]])
        func items(_ group: String, naming field: String) -> Int {
            documents.reduce(0) { total, document in
                let facts = (document["facts"] as? [[String: Any]]) ?? []
                let named = facts.filter {
                    $0["group"] as? String == group && $0["field"] as? String == field
                        && $0["alternative"] as? Bool == false && $0["status"] as? String != "rejected"
                }
                return total + Set(named.compactMap { $0["item"] as? Int }).count
            }
        }
        let labs = items("labs", naming: "name")
        #expect(labs > 20 && counts["Observation:laboratory"] == labs, "\(counts)")
        #expect(counts["Observation:vital-signs"] == items("vitals", naming: "value"), "\(counts)")
        #expect(counts["MedicationStatement"] == items("medications", naming: "name"), "\(counts)")
        #expect(counts["Immunization"] == items("immunizations", naming: "vaccine"), "\(counts)")
        #expect(counts["DocumentReference"] == documents.count)
        let extracted = counts.filter { $0.key != "DocumentReference" && $0.key != "Provenance" && $0.key != "Bundle" }
            .values.reduce(0, +)
        let provenances = counts["Provenance"] ?? 0
        #expect(provenances <= extracted && provenances >= extracted - (counts["Patient"] ?? 0),
                "one Provenance per extracted resource (a Patient with no data has none): \(counts)")

        // Export again, nothing changed: the same bytes apart from the bundles' timestamps.
        let second = scratch.folder.appendingPathComponent("second.fhir").path
        #expect(try chartex(["export", "--db", scratch.db, "--format", "fhir", "--out", second]).status == 0)
        func withoutTimestamps(_ path: String) throws -> String {
            try String(contentsOfFile: path, encoding: .utf8)
                .replacingOccurrences(of: #""timestamp" ?: ?"[^"]*""#, with: "", options: .regularExpression)
        }
        #expect(try withoutTimestamps(first) == withoutTimestamps(second))

        // The evidence of a lab value: its page, box and source line.
        let text = try String(contentsOfFile: first, encoding: .utf8).replacingOccurrences(of: "\" : ", with: "\":")
        #expect(text.contains("urn:chartex:fhir:extension:evidence") && text.contains("\"valueInteger\":1"))
        #expect(text.contains("\"system\":\"http://loinc.org\"") && text.contains("\"code\":\"mm[Hg]\""))

        // Facts that need review are marked, and --verified-only leaves them out.
        #expect(text.contains("needs-review") && text.contains("\"preliminary\""))
        let verified = scratch.folder.appendingPathComponent("verified.fhir").path
        #expect(try chartex(["export", "--db", scratch.db, "--format", "fhir", "--verified-only", "--out", verified]).status == 0)
        let verifiedText = try String(contentsOfFile: verified, encoding: .utf8).replacingOccurrences(of: "\" : ", with: "\":")
        #expect(!verifiedText.contains("needs-review") && !verifiedText.contains("\"preliminary\""))
        #expect(try runTool(corpusPython, [root.appendingPathComponent("scripts/validate_fhir.py").path, verified]).status == 0)

        // The check can fail: a bundle with an unknown element, an Observation without its code and a
        // reference to nothing is refused.
        let broken = scratch.folder.appendingPathComponent("broken.fhir")
        let observation = #"{"resourceType":"Observation","id":"b","status":"final","colour":"red","subject":{"reference":"urn:uuid:nowhere"}}"#
        try Data(#"{"resourceType":"Bundle","type":"collection","entry":[{"fullUrl":"urn:uuid:b","resource":\#(observation)}]}"#.utf8)
            .write(to: broken)
        let refused = try runTool(corpusPython, [root.appendingPathComponent("scripts/validate_fhir.py").path, broken.path])
        #expect(refused.status == 1 && refused.output.contains("colour") && refused.output.contains("nowhere")
                && refused.output.contains("no code"), "\(refused.output)")

        // One patient's chart by MRN; an MRN the store does not hold is exit 66.
        let one = try chartex(["export", "--db", scratch.db, "--format", "fhir", "--patient", "7731-0045"])
        #expect(one.status == 0)
        let bundle = try #require(try JSONSerialization.jsonObject(with: Data(one.stdout.utf8)) as? [String: Any])
        #expect(bundle["resourceType"] as? String == "Bundle" && bundle["type"] as? String == "collection")
        #expect(one.stdout.contains("\"value\" : \"7731-0045\""))
        #expect(try chartex(["export", "--db", scratch.db, "--format", "fhir", "--patient", "0000-0000"]).status == 66)

        // Bulk Data layout: one NDJSON file per resource type, the same resources.
        let folder = scratch.folder.appendingPathComponent("bulk").path
        #expect(try chartex(["export", "--db", scratch.db, "--format", "fhir-ndjson", "--out", folder]).status == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(files.contains("Patient.ndjson") && files.contains("Observation.ndjson") && files.contains("Provenance.ndjson"))
        let lines = try files.map { try String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8).split(separator: "\n").count }
            .reduce(0, +)
        #expect(lines == counts.values.reduce(0, +))
        #expect(try chartex(["export", "--db", scratch.db, "--format", "fhir-ndjson"]).status == 64)
    }
}
