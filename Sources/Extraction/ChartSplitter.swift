import ChartModel
import Foundation

/// What one page is, within a chart.
public struct PageClassification: Sendable, Hashable {
    public var page: Int
    /// progress-note, discharge-summary, lab-report, medication-list, referral-letter,
    /// immunization-record, face-sheet, fax-cover, blank, or unknown.
    public var documentType: String
    /// Pages with the same segment form one document (blank pages have none).
    public var segment: Int?
    /// Set when the page's patient identifiers disagree with the rest of the chart.
    public var patientMismatch: String?
}

/// Splits a chart PDF into documents and checks that every page belongs to the same patient.
///
/// A page starts a new document when it carries a title of a known type, opens a letter (a
/// date line and an addressee at its top) or says "Page 1 of N"; pages without a title (or
/// "Page 3 of 4") continue the one before. Blank pages belong to none. The chart's patient is the name, DOB and MRN most pages agree on; a page
/// whose own identifiers contradict them is flagged as a possible wrong-patient page.
public struct ChartSplitter: Sendable {
    public init() {}

    static let titles: [(type: String, phrases: [String])] = [
        // A fax cover sheet (first, so that its "Re:" line does not make it a letter) holds no
        // chart facts, and the page after it starts a document of its own.
        ("fax-cover", ["fax cover", "facsimile cover", "fax transmittal", "facsimile transmittal", "fax cover sheet"]),
        ("discharge-summary", ["discharge summary"]),
        ("lab-report", ["laboratory report", "lab results", "lab report", "laboratory results", "pathology report"]),
        ("medication-list", ["medication list", "current medication list", "medication reconciliation", "medications list"]),
        ("immunization-record", ["immunization record", "vaccination record", "immunization history", "vaccination history",
                                 "immunization report", "vaccine record"]),
        ("face-sheet", ["face sheet", "patient face sheet", "registration"]),
        ("progress-note", ["progress note", "office visit note", "visit note", "clinic note", "office note", "soap note",
                           "office visit", "clinic visit"]),
        ("referral-letter", ["referral", "dear dr", "re:"]),
    ]

    public func classify(_ pages: [PageReading]) -> [PageClassification] {
        let extractor = RulesExtractor()
        var result: [PageClassification] = []
        var segment = -1
        var identities: [Int: [FactField: String]] = [:]
        for page in pages {
            if page.isBlank {
                result.append(PageClassification(page: page.number, documentType: "blank", segment: nil))
                continue
            }
            let top = page.lines.filter { $0.bbox.y0 < page.height * 0.4 }.map { $0.text.lowercased() }
            // A letter's first page (a date and an addressee at its top) starts a document
            // though it has no title, as the rules read it.
            var type = Self.titleType(top) ?? (extractor.opensLetter(page) ? "referral-letter" : "unknown")
            let pageOfN = page.text.firstMatch(of: /(?i)page\s+(\d+)\s+of\s+(\d+)/).map { Int($0.1) ?? 0 }
            if type != "unknown" || segment < 0 || pageOfN == 1 {
                segment += 1
            } else if let previous = result.last(where: { $0.segment == segment }), type == "unknown",
                      previous.documentType == "fax-cover" {
                segment += 1
            } else if let previous = result.last(where: { $0.segment == segment }), type == "unknown" {
                type = previous.documentType
            }
            result.append(PageClassification(page: page.number, documentType: type, segment: segment))
            // This page's own identifiers.
            var identity: [FactField: String] = [:]
            for fact in extractor.extract(pages: [page]) where fact.group == .patient {
                identity[fact.field] = fact.value
            }
            if !identity.isEmpty { identities[page.number] = identity }
        }
        // The chart's identity: the most common value of each identifier.
        var majority: [FactField: String] = [:]
        for field: FactField in [.mrn, .birthDate, .name] {
            let values = identities.values.compactMap { $0[field].map(Self.key) }
            let counts = Dictionary(values.map { ($0, 1) }, uniquingKeysWith: +)
            if let best = counts.max(by: { $0.value < $1.value }), best.value >= 1 { majority[field] = best.key }
        }
        guard identities.count >= 2 else { return result }
        for index in result.indices {
            guard let identity = identities[result[index].page] else { continue }
            var reasons: [String] = []
            if let mrn = identity[.mrn], let expected = majority[.mrn], Self.key(mrn) != expected { reasons.append("MRN \(mrn)") }
            if let dob = identity[.birthDate], let expected = majority[.birthDate], Self.key(dob) != expected { reasons.append("DOB \(dob)") }
            if let name = identity[.name], let expected = majority[.name] {
                let a = Set(Self.key(name).split(separator: " ")), b = Set(expected.split(separator: " "))
                if a.isDisjoint(with: b) { reasons.append("name \(name)") }
            }
            if !reasons.isEmpty {
                result[index].patientMismatch = "identifiers differ from the rest of the chart: " + reasons.joined(separator: ", ")
            }
        }
        return result
    }

    /// The document type its title names: the first of the top lines (lowercased, in reading
    /// order) that holds a known title. The topmost wins, so a section heading further down
    /// ("Current medications:") does not retitle a note.
    static func titleType(_ top: [String]) -> String? { title(in: top)?.type }

    /// The document type and the index of the line that names it.
    static func title(in top: [String]) -> (type: String, line: Int)? {
        for (index, line) in top.enumerated() {
            for (candidate, phrases) in titles
            where phrases.contains(where: { line.hasPrefix($0) || line == $0 || (line.contains($0) && line.count < $0.count + 12) }) {
                return (candidate, index)
            }
        }
        return nil
    }

    /// The encounter a document of this type records ("laboratory" for a lab report).
    static func encounterType(_ documentType: String) -> String? {
        ["progress-note": "office visit", "lab-report": "laboratory", "medication-list": "medication review",
         "immunization-record": "immunization record", "referral-letter": "referral",
         "discharge-summary": "inpatient admission"][documentType]
    }

    static func key(_ value: String) -> String {
        value.lowercased().replacingOccurrences(of: #"[^a-z0-9 ]"#, with: "", options: .regularExpression)
            .split(separator: " ").filter { $0.count > 1 || $0.allSatisfy(\.isNumber) }.joined(separator: " ")
    }
}
