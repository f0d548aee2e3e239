import ChartModel
import Extraction
import Foundation
import Storage

/// One patient's chart as a FHIR R4 (4.0.1) `Bundle` of type `collection`.
public struct FHIRBundle: Sendable {
    /// The patient's MRN as printed (normalised: letters and digits, upper case), or nil for a
    /// chart that names none (then the bundle holds one document).
    public var mrn: String?
    public var bundle: FHIRJSON

    /// The bundle's resources, in bundle order.
    public var resources: [FHIRJSON] {
        guard case .array(let entries)? = bundle["entry"] else { return [] }
        return entries.compactMap { $0["resource"] }
    }
}

/// Turns exported documents into FHIR R4 bundles, one per patient, with a `Provenance` for every
/// extracted resource carrying the page, box and source text of each value. Codes come only from
/// the vocabularies (LOINC for labs and vitals, ICD-10-CM for conditions, UCUM for units); a value
/// they do not know is exported as text. The layout: docs/fhir.md.
public struct FHIRExporter: Sendable {
    public struct Options: Sendable {
        /// Leave out every resource (and Patient field) that still needs review.
        public var verifiedOnly = false
        /// The bundles' `timestamp`: the only value that changes from one export to the next.
        public var timestamp: String

        public init(verifiedOnly: Bool = false, timestamp: String) {
            self.verifiedOnly = verifiedOnly
            self.timestamp = timestamp
        }
    }

    public static let evidenceExtension = "urn:chartex:fhir:extension:evidence"
    public static let pageCountExtension = "urn:chartex:fhir:extension:page-count"
    public static let reviewTagSystem = "urn:chartex:fhir:review-status"

    let options: Options

    public init(options: Options) {
        self.options = options
    }

    /// Bundles for `documents`, one per patient (by MRN), in the order patients first appear.
    public func bundles(_ documents: [ExportedDocument]) -> [FHIRBundle] {
        var order: [String] = []
        var charts: [String: (mrn: String?, documents: [ExportedDocument])] = [:]
        for document in documents {
            let mrn = Self.items(of: document, group: "patient").first?.value("mrn").map(Self.normalizedMRN)
            let key = mrn.map { "mrn:\($0)" } ?? "document:\(document.sha256)"
            if charts[key] == nil { order.append(key) }
            charts[key, default: (mrn, [])].documents.append(document)
        }
        return order.map { key in
            let chart = charts[key]!
            return FHIRBundle(mrn: chart.mrn, bundle: bundle(key: key, documents: chart.documents))
        }
    }

    public static func normalizedMRN(_ text: String) -> String {
        String(text.uppercased().unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) }.map(Character.init))
    }

    // MARK: - The bundle

    func bundle(key: String, documents: [ExportedDocument]) -> FHIRJSON {
        var resources: [FHIRJSON] = []
        var provenances: [FHIRJSON] = []
        let patientId = Self.uuid("patient:\(key)")
        let patientReference = Self.reference(patientId)

        // The patient: each field from the first document that has it.
        var patientFields: [String: (fact: ExportedFact, document: ExportedDocument)] = [:]
        for document in documents {
            for item in Self.items(of: document, group: "patient") {
                for (field, fact) in item.fields where patientFields[field] == nil {
                    if options.verifiedOnly && fact.status != "verified" { continue }
                    patientFields[field] = (fact, document)
                }
            }
        }
        resources.append(patient(id: patientId, fields: patientFields.mapValues(\.fact)))
        if !patientFields.isEmpty {
            let byDocument = Dictionary(grouping: patientFields.values, by: { $0.document.sha256 })
            let sources = documents.filter { byDocument[$0.sha256] != nil }.map { document in
                (document, byDocument[document.sha256]!.map(\.fact).sorted { $0.field < $1.field })
            }
            provenances.append(provenance(target: patientId, sources: sources, key: "patient:\(key)"))
        }

        for document in documents {
            let documentId = Self.uuid("document:\(document.sha256)")
            resources.append(documentReference(document, id: documentId, patient: patientReference))
            for group in ["encounters", "problems", "medications", "allergies", "labs", "vitals", "immunizations"] {
                for item in Self.items(of: document, group: group) {
                    if options.verifiedOnly && item.needsReview { continue }
                    for (id, resource) in self.resources(for: item, patient: patientReference) {
                        resources.append(resource)
                        provenances.append(provenance(target: id, sources: [(document, item.orderedFacts)], key: id))
                    }
                }
            }
        }
        let entries = (resources + provenances).map { resource -> FHIRJSON in
            .make([("fullUrl", .string("urn:uuid:" + (resource["id"]?.stringValue ?? ""))), ("resource", resource)])
        }
        return .make([
            ("resourceType", "Bundle"),
            ("id", .string(Self.uuid("bundle:\(key)"))),
            ("type", "collection"),
            ("timestamp", .string(options.timestamp)),
            ("entry", .array(entries)),
        ])
    }

    /// The resources one extracted item becomes (an encounter with a diagnosis becomes two).
    func resources(for item: Item, patient: FHIRJSON) -> [(String, FHIRJSON)] {
        let id = Self.uuid("\(item.document.sha256):\(item.group):\(item.index)")
        switch item.group {
        case "encounters":
            var results: [(String, FHIRJSON)] = []
            var diagnosisReference: FHIRJSON?
            if let diagnosis = item.value("diagnosis") {
                let conditionId = Self.uuid("\(item.document.sha256):\(item.group):\(item.index):diagnosis")
                diagnosisReference = Self.reference(conditionId)
                results.append((conditionId, condition(id: conditionId, name: diagnosis, status: nil, onset: nil,
                                                       category: "encounter-diagnosis", item: item, patient: patient,
                                                       encounter: Self.reference(id))))
            }
            results.insert((id, encounter(id: id, item: item, patient: patient, diagnosis: diagnosisReference)), at: 0)
            return results
        case "problems":
            guard let name = item.value("name") else { return [] }
            return [(id, condition(id: id, name: name, status: item.value("status"), onset: item.value("onset"),
                                   category: "problem-list-item", item: item, patient: patient, encounter: nil))]
        case "medications":
            guard item.value("name") != nil else { return [] }
            return [(id, medicationStatement(id: id, item: item, patient: patient))]
        case "allergies":
            guard item.value("substance") != nil || item.value("noKnownAllergies") == "true" else { return [] }
            return [(id, allergy(id: id, item: item, patient: patient))]
        case "labs":
            guard item.value("name") != nil else { return [] }
            return [(id, lab(id: id, item: item, patient: patient))]
        case "vitals":
            guard item.value("name") != nil, item.value("value") != nil else { return [] }
            return [(id, vital(id: id, item: item, patient: patient))]
        case "immunizations":
            guard item.value("vaccine") != nil else { return [] }
            return [(id, immunization(id: id, item: item, patient: patient))]
        default:
            return []
        }
    }

    // MARK: - Resources

    func patient(id: String, fields: [String: ExportedFact]) -> FHIRJSON {
        let value = { (field: String) in fields[field]?.value.flatMap(Self.nonEmpty) }
        var name: FHIRJSON?
        if let text = value("name") {
            let (family, given) = Self.splitName(text)
            name = .array([.make([("text", .string(text)), ("family", family.map(FHIRJSON.string)),
                                  ("given", .array(given.map(FHIRJSON.string)))])])
        }
        let identifier = value("mrn").map { mrn -> FHIRJSON in
            .array([.make([
                ("type", .make([("coding", .array([.make([("system", "http://terminology.hl7.org/CodeSystem/v2-0203"),
                                                         ("code", "MR"), ("display", "Medical record number")])])),
                                ("text", "MRN")])),
                ("value", .string(mrn)),
            ])])
        }
        return .make([
            ("resourceType", "Patient"), ("id", .string(id)),
            ("meta", Self.reviewMeta(fields.values.contains { $0.status == "needs_review" })),
            ("identifier", identifier), ("name", name),
            ("gender", value("sex").map { .string(Self.gender($0)) }),
            ("birthDate", value("birthDate").flatMap(Self.date).map(FHIRJSON.string)),
        ])
    }

    func documentReference(_ document: ExportedDocument, id: String, patient: FHIRJSON) -> FHIRJSON {
        let type = document.pages.compactMap(\.documentType).first
        let attachment = FHIRJSON.make([
            ("contentType", .string(Self.contentType(document.fileName))),
            ("title", .string(document.fileName)),
            ("size", .integer(Int(document.size))),
        ])
        return .make([
            ("resourceType", "DocumentReference"), ("id", .string(id)),
            ("extension", document.pageCount.map { .array([.make([("url", .string(Self.pageCountExtension)),
                                                                  ("valueUnsignedInt", .integer($0))])]) }),
            // The file's SHA-256 as an RFC 6920 named-information URI (Attachment.hash is SHA-1 in R4).
            ("identifier", .array([.make([("system", "urn:ietf:rfc:3986"), ("value", .string(Self.niURI(document.sha256)))])])),
            ("status", "current"),
            ("type", type.map { .make([("text", .string($0))]) }),
            ("subject", patient),
            ("date", .string(document.importedAt)),
            ("description", .string(document.fileName)),
            ("content", .array([.make([("attachment", attachment)])])),
        ])
    }

    func encounter(id: String, item: Item, patient: FHIRJSON, diagnosis: FHIRJSON?) -> FHIRJSON {
        let type = item.value("type")
        let inpatient = type.map { ["admission", "inpatient", "hospital", "discharge"].contains(where: $0.lowercased().contains) } ?? false
        let emergency = type?.lowercased().contains("emergency") ?? false
        let (code, display) = emergency ? ("EMER", "emergency") : inpatient ? ("IMP", "inpatient encounter") : ("AMB", "ambulatory")
        return .make([
            ("resourceType", "Encounter"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("status", "finished"),
            ("class", .make([("system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"), ("code", .string(code)),
                             ("display", .string(display))])),
            ("type", type.map { .array([.make([("text", .string($0))])]) }),
            ("subject", patient),
            ("participant", item.value("provider").map { .array([.make([("individual", .make([("display", .string($0))]))])]) }),
            ("period", .make([("start", item.value("date").flatMap(Self.date).map(FHIRJSON.string)),
                              ("end", item.value("endDate").flatMap(Self.date).map(FHIRJSON.string))])),
            ("reasonCode", item.value("reason").map { .array([.make([("text", .string($0))])]) }),
            ("diagnosis", diagnosis.map { .array([.make([("condition", $0)])]) }),
            ("hospitalization", item.value("disposition").map { .make([("dischargeDisposition", .make([("text", .string($0))]))]) }),
            ("serviceProvider", item.value("facility").map { .make([("display", .string($0))]) }),
        ])
    }

    func condition(id: String, name: String, status: String?, onset: String?, category: String, item: Item,
                   patient: FHIRJSON, encounter: FHIRJSON?) -> FHIRJSON {
        let coding = Self.icd10(name).map { code, title -> FHIRJSON in
            .array([.make([("system", "http://hl7.org/fhir/sid/icd-10-cm"), ("code", .string(code)), ("display", .string(title))])])
        }
        let clinical = status.flatMap { ["active", "resolved", "inactive"].contains($0) ? $0 : nil }
        return .make([
            ("resourceType", "Condition"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("clinicalStatus", clinical.map { Self.concept("http://terminology.hl7.org/CodeSystem/condition-clinical", $0) }),
            ("verificationStatus", Self.concept("http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                item.needsReview ? "unconfirmed" : "confirmed")),
            ("category", .array([Self.concept("http://terminology.hl7.org/CodeSystem/condition-category", category,
                                              display: category == "problem-list-item" ? "Problem List Item" : "Encounter Diagnosis")])),
            ("code", .make([("coding", coding), ("text", .string(name))])),
            ("subject", patient),
            ("encounter", encounter),
            ("onsetDateTime", onset.flatMap(Self.date).map(FHIRJSON.string)),
            ("onsetString", onset.flatMap { Self.date($0) == nil ? FHIRJSON.string($0) : nil }),
        ])
    }

    func medicationStatement(id: String, item: Item, patient: FHIRJSON) -> FHIRJSON {
        let name = item.value("name")!
        let status: String = switch item.value("status") {
        case "active", "new": "active"
        case "discontinued": "stopped"
        case "held": "on-hold"
        default: "unknown"
        }
        let dose = item.value("dose"), unit = item.value("unit"), route = item.value("route"), frequency = item.value("frequency")
        let prn = item.value("prn")
        let text = [dose.map { [$0, unit].compactMap { $0 }.joined(separator: " ") }, route, frequency, prn.map { "as needed for \($0)" }]
            .compactMap { $0 }.joined(separator: " ")
        let quantity = dose.flatMap { Self.quantity($0, unit: unit) }
        let dosage = FHIRJSON.make([
            ("text", text.isEmpty ? nil : .string(text)),
            ("timing", frequency.map { .make([("code", .make([("text", .string($0))]))]) }),
            ("asNeededBoolean", prn == nil ? nil : .bool(true)),
            ("route", route.map { .make([("text", .string($0))]) }),
            ("doseAndRate", quantity.map { .array([.make([("doseQuantity", $0)])]) }),
        ])
        return .make([
            ("resourceType", "MedicationStatement"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("status", .string(status)),
            ("medicationCodeableConcept", .make([("text", .string(name))])),
            ("subject", patient),
            ("dosage", dosage.isEmpty ? nil : .array([dosage])),
        ])
    }

    func allergy(id: String, item: Item, patient: FHIRJSON) -> FHIRJSON {
        let none = item.value("noKnownAllergies") == "true"
        let code: FHIRJSON = none
            ? .make([("coding", .array([.make([("system", "http://snomed.info/sct"), ("code", "409137002"),
                                               ("display", "No known drug allergy")])])),
                     ("text", .string(item.value("substance") ?? "NKDA"))])
            : .make([("text", .string(item.value("substance")!))])
        let severity = item.value("severity").flatMap { ["mild", "moderate", "severe"].contains($0) ? $0 : nil }
        let reaction = item.value("reaction").map { text -> FHIRJSON in
            .array([.make([("manifestation", .array([.make([("text", .string(text))])])),
                           ("severity", severity.map(FHIRJSON.string))])])
        }
        return .make([
            ("resourceType", "AllergyIntolerance"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("clinicalStatus", Self.concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active")),
            ("verificationStatus", Self.concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
                                                item.needsReview ? "unconfirmed" : "confirmed")),
            ("code", code),
            ("patient", patient),
            ("reaction", reaction),
        ])
    }

    func lab(id: String, item: Item, patient: FHIRJSON) -> FHIRJSON {
        let name = item.value("name")!
        let loinc = Vocabulary.lab(name)
        let unit = item.value("unit")
        let text = item.value("value")
        let quantity = text.flatMap { Self.quantity($0, unit: unit) }
        let flag = item.value("flag").flatMap { ["H": "High", "L": "Low"][$0].map { (item.value("flag")!, $0) } }
        return .make([
            ("resourceType", "Observation"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("status", item.needsReview ? "preliminary" : "final"),
            ("category", .array([Self.concept("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory",
                                              display: "Laboratory")])),
            ("code", .make([("coding", loinc.map { .array([.make([("system", "http://loinc.org"), ("code", .string($0.loinc)),
                                                                   ("display", .string($0.component))])]) }),
                            ("text", .string(name))])),
            ("subject", patient),
            ("effectiveDateTime", item.value("date").flatMap(Self.date).map(FHIRJSON.string)),
            ("valueQuantity", quantity),
            ("valueString", quantity == nil ? text.map(FHIRJSON.string) : nil),
            ("interpretation", flag.map { code, display in
                .array([Self.concept("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", code, display: display)])
            }),
            ("referenceRange", item.value("referenceRange").map { .array([Self.range($0, unit: unit)]) }),
        ])
    }

    func vital(id: String, item: Item, patient: FHIRJSON) -> FHIRJSON {
        let name = item.value("name")!, text = item.value("value")!, unit = item.value("unit")
        let known = Vocabulary.vitals.first { $0.name == name.lowercased() }
        let category = FHIRJSON.array([Self.concept("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs",
                                                    display: "Vital Signs")])
        var fields: [(String, FHIRJSON?)] = [
            ("resourceType", "Observation"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("status", item.needsReview ? "preliminary" : "final"),
            ("category", category),
            ("code", .make([("coding", known.map { .array([.make([("system", "http://loinc.org"), ("code", .string($0.loinc)),
                                                                   ("display", .string($0.name))])]) }),
                            ("text", .string(name))])),
            ("subject", patient),
            ("effectiveDateTime", item.value("date").flatMap(Self.date).map(FHIRJSON.string)),
        ]
        let parts = text.split(separator: "/").map { $0.trimmingCharacters(in: .whitespaces) }
        if known?.loinc == "85354-9", parts.count == 2, let systolic = Self.quantity(parts[0], unit: unit ?? "mmHg"),
           let diastolic = Self.quantity(parts[1], unit: unit ?? "mmHg") {
            // Blood pressure: a panel with its systolic and diastolic components.
            let component = { (code: String, display: String, value: FHIRJSON) -> FHIRJSON in
                .make([("code", .make([("coding", .array([.make([("system", "http://loinc.org"), ("code", .string(code)),
                                                                 ("display", .string(display))])]))])),
                       ("valueQuantity", value)])
            }
            fields.append(("component", .array([component("8480-6", "Systolic blood pressure", systolic),
                                                component("8462-4", "Diastolic blood pressure", diastolic)])))
        } else if let quantity = Self.quantity(text, unit: unit) {
            fields.append(("valueQuantity", quantity))
        } else {
            fields.append(("valueString", .string(text)))
        }
        return .make(fields)
    }

    func immunization(id: String, item: Item, patient: FHIRJSON) -> FHIRJSON {
        let date = item.value("date").flatMap(Self.date)
        return .make([
            ("resourceType", "Immunization"), ("id", .string(id)),
            ("meta", Self.reviewMeta(item.needsReview)),
            ("status", "completed"),
            ("vaccineCode", .make([("text", .string(item.value("vaccine")!))])),
            ("patient", patient),
            // occurrence[x] is required: a chart without the date says so in text.
            ("occurrenceDateTime", date.map(FHIRJSON.string)),
            ("occurrenceString", date == nil ? FHIRJSON.string("date not recorded on the chart") : nil),
            ("primarySource", .bool(false)),
        ])
    }

    /// Where each value came from: the document, and per field its page, box and source text.
    func provenance(target: String, sources: [(ExportedDocument, [ExportedFact])], key: String) -> FHIRJSON {
        let facts = sources.flatMap(\.1)
        let models = Set(sources.flatMap { $0.0.models ?? [] }).sorted()
        let modelNames = models.isEmpty ? "" : " (" + models.joined(separator: ", ") + ")"
        var agents: [FHIRJSON] = []
        for extractor in Set(facts.map(\.extractor)).sorted() {
            let who: String = switch extractor {
            case "rules": "chartex rules extractor"
            case "model": "chartex model extractor" + modelNames
            case "rules+model": "chartex rules and model extractors (agreeing)" + modelNames
            case "reviewer": "chartex reviewer: " + Set(facts.filter { $0.extractor == "reviewer" }.compactMap(\.reviewedBy)).sorted().joined(separator: ", ")
            default: "chartex \(extractor)"
            }
            let role = extractor == "reviewer" ? ("verifier", "Verifier") : ("assembler", "Assembler")
            agents.append(.make([
                ("type", Self.concept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", role.0, display: role.1)),
                ("who", .make([("display", .string(who))])),
            ]))
        }
        let entities = sources.map { document, facts -> FHIRJSON in
            .make([
                ("role", "source"),
                ("what", Self.reference(Self.uuid("document:\(document.sha256)"))),
                ("extension", .array(facts.map(Self.evidence))),
            ])
        }
        let recorded = facts.compactMap(\.reviewedAt).max() ?? sources.compactMap { $0.0.completedAt ?? $0.0.importedAt }.max() ?? options.timestamp
        return .make([
            ("resourceType", "Provenance"), ("id", .string(Self.uuid("provenance:\(key)"))),
            ("target", .array([Self.reference(target)])),
            ("recorded", .string(recorded)),
            ("agent", .array(agents)),
            ("entity", .array(entities)),
        ])
    }

    static func evidence(_ fact: ExportedFact) -> FHIRJSON {
        var parts: [(String, FHIRJSON?)] = [("field", .string("\(fact.group)[\(fact.item)].\(fact.field)")),
                                            ("status", .string(fact.status))]
        if let evidence = fact.evidence {
            parts.append(("page", .integer(evidence.page)))
            if let box = evidence.bbox {
                for (name, value) in [("x0", box.x0), ("y0", box.y0), ("x1", box.x1), ("y1", box.y1)] {
                    parts.append((name, .decimal(Decimal(string: String(format: "%.2f", value)) ?? 0)))
                }
            }
            parts.append(("text", evidence.text.flatMap(nonEmpty).map(FHIRJSON.string)))
        }
        let children = parts.compactMap { name, value -> FHIRJSON? in
            guard let value else { return nil }
            let key: String = switch value {
            case .integer: "valueInteger"
            case .decimal: "valueDecimal"
            default: "valueString"
            }
            return .make([("url", .string(name)), (key, value)])
        }
        return .make([("url", .string(evidenceExtension)), ("extension", .array(children))])
    }

    // MARK: - Items

    /// One item of a group: its current values (no alternatives, nothing rejected).
    struct Item {
        let document: ExportedDocument
        let group: String
        let index: Int
        var fields: [String: ExportedFact]

        func value(_ field: String) -> String? {
            fields[field]?.value.flatMap(FHIRExporter.nonEmpty)
        }

        var needsReview: Bool { fields.values.contains { $0.status == "needs_review" } }
        var orderedFacts: [ExportedFact] { fields.values.sorted { $0.field < $1.field } }
    }

    static func items(of document: ExportedDocument, group: String) -> [Item] {
        var items: [Int: Item] = [:]
        for fact in document.facts where fact.group == group && !fact.alternative && fact.status != "rejected" {
            items[fact.item, default: Item(document: document, group: group, index: fact.item, fields: [:])]
                .fields[fact.field] = items[fact.item]?.fields[fact.field] ?? fact
        }
        return items.keys.sorted().map { items[$0]! }
    }

    // MARK: - Values

    static func nonEmpty(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    /// A stable id: a UUID-shaped digest of what the resource is (document hash, group, item).
    static func uuid(_ key: String) -> String {
        let hex = Array(SHA256.hex(of: Data(("chartex-fhir:" + key).utf8)).prefix(32))
        return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(hex[$0]) }.joined(separator: "-")
    }

    static func reference(_ id: String) -> FHIRJSON {
        .make([("reference", .string("urn:uuid:" + id))])
    }

    static func concept(_ system: String, _ code: String, display: String? = nil) -> FHIRJSON {
        .make([("coding", .array([.make([("system", .string(system)), ("code", .string(code)), ("display", display.map(FHIRJSON.string))])]))])
    }

    static func reviewMeta(_ needsReview: Bool) -> FHIRJSON? {
        guard needsReview else { return nil }
        return .make([("tag", .array([.make([("system", .string(reviewTagSystem)), ("code", "needs-review"),
                                             ("display", "Read by chartex, not yet verified")])]))])
    }

    /// A date the chart printed, as FHIR writes it (YYYY, YYYY-MM or YYYY-MM-DD), else nil.
    static func date(_ text: String) -> String? {
        text.range(of: #"^\d{4}(-\d{2}(-\d{2})?)?$"#, options: .regularExpression) != nil ? text : nil
    }

    static let ucum: [String: String] = {
        guard let url = Bundle.module.url(forResource: "ucum", withExtension: "tsv", subdirectory: "Vocabulary")
            ?? Bundle.module.url(forResource: "ucum", withExtension: "tsv"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t").map(String.init)
            if parts.count == 2 { table[parts[0]] = parts[1] }
        }
        return table
    }()

    /// A number with its unit as printed, and its UCUM code when the unit table knows it.
    static func quantity(_ text: String, unit: String?) -> FHIRJSON? {
        let cleaned = text.replacingOccurrences(of: ",", with: "")
        guard cleaned.range(of: #"^-?\d+(\.\d+)?$"#, options: .regularExpression) != nil,
              let number = Decimal(string: cleaned) else { return nil }
        let code = unit.flatMap { ucum[$0] }
        return .make([("value", .decimal(number)), ("unit", unit.map(FHIRJSON.string)),
                      ("system", code == nil ? nil : "http://unitsofmeasure.org"), ("code", code.map(FHIRJSON.string))])
    }

    /// A reference range: its text, and low and high where it is `a-b`, `<b`, `<=b`, `>a` or `>=a`.
    static func range(_ text: String, unit: String?) -> FHIRJSON {
        var low: FHIRJSON?, high: FHIRJSON?
        let compact = text.replacingOccurrences(of: " ", with: "")
        if let match = compact.firstMatch(of: /^(\d+(?:\.\d+)?)[-–](\d+(?:\.\d+)?)$/) {
            low = quantity(String(match.1), unit: unit)
            high = quantity(String(match.2), unit: unit)
        } else if let match = compact.firstMatch(of: /^(<=?|≤)(\d+(?:\.\d+)?)$/) {
            high = quantity(String(match.2), unit: unit)
        } else if let match = compact.firstMatch(of: /^(>=?|≥)(\d+(?:\.\d+)?)$/) {
            low = quantity(String(match.2), unit: unit)
        }
        return .make([("low", low), ("high", high), ("text", .string(text))])
    }

    static func gender(_ text: String) -> String {
        switch text.lowercased() {
        case "male", "m": "male"
        case "female", "f": "female"
        case "other": "other"
        default: "unknown"
        }
    }

    /// "OKAFOR, DANIEL C" → family OKAFOR, given DANIEL C; "Daniel Okafor" → family Okafor.
    static func splitName(_ text: String) -> (family: String?, given: [String]) {
        if let comma = text.firstIndex(of: ",") {
            let family = text[..<comma].trimmingCharacters(in: .whitespaces)
            let given = text[text.index(after: comma)...].split(separator: " ").map { String($0).trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
            return (family.isEmpty ? nil : family, given.filter { !$0.isEmpty })
        }
        let words = text.split(separator: " ").map(String.init)
        guard words.count >= 2 else { return (words.first, []) }
        return (words.last, Array(words.dropLast()))
    }

    /// The ICD-10-CM category of a condition the vocabulary names exactly (or by the part before a
    /// qualifier: "Type 2 diabetes mellitus - suboptimal control"); nil for anything else.
    static func icd10(_ name: String) -> (code: String, title: String)? {
        let lowered = name.lowercased()
        var candidates = [lowered]
        for separator in [" - ", ", ", " (", " with ", " — "] {
            if let range = lowered.range(of: separator) { candidates.append(String(lowered[..<range.lowerBound])) }
        }
        for candidate in candidates.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if let entry = Vocabulary.problems.first(where: { $0.aliases.contains(candidate) }) {
                return (entry.code, entry.title)
            }
        }
        return nil
    }

    static func contentType(_ fileName: String) -> String {
        switch (fileName as NSString).pathExtension.lowercased() {
        case "tif", "tiff": "image/tiff"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        default: "application/pdf"
        }
    }

    /// RFC 6920: `ni:///sha-256;` and the digest in unpadded base64url.
    static func niURI(_ hex: String) -> String {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            if let byte = UInt8(hex[index..<next], radix: 16) { bytes.append(byte) }
            index = next
        }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "ni:///sha-256;" + base64
    }
}

extension FHIRBundle {
    /// The bytes of an export: one Bundle as JSON (pretty when asked), several one Bundle per line.
    public static func data(_ bundles: [FHIRBundle], pretty: Bool) throws -> Data {
        if bundles.count == 1 {
            var data = try bundles[0].bundle.data(pretty: pretty)
            if pretty { data.append(0x0A) }
            return data
        }
        var data = Data()
        for bundle in bundles {
            data.append(try bundle.bundle.data())
            data.append(0x0A)
        }
        return data
    }

    /// The Bulk Data layout: each resource type's resources, one per line, in bundle order.
    public static func ndjsonByType(_ bundles: [FHIRBundle]) throws -> [String: Data] {
        var files: [String: Data] = [:]
        for bundle in bundles {
            for resource in bundle.resources {
                guard let type = resource["resourceType"]?.stringValue else { continue }
                files[type, default: Data()].append(try resource.data())
                files[type]!.append(0x0A)
            }
        }
        return files
    }
}
