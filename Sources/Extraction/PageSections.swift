import ChartModel

/// A part of a page that one focused model request covers: the header (patient and visit
/// details above the first section heading) or one section (medications, labs…), as lines.
public struct PageSection: Sendable, Hashable {
    /// header, medications, allergies, vitals, labs, problems, immunizations.
    public var kind: String
    /// Indices into the page's `lines`, in reading order.
    public var lines: [Int]

    public func text(of page: PageReading) -> String {
        lines.map { page.lines[$0].text }.joined(separator: "\n")
    }
}

extension RulesExtractor {
    /// The sections of a page, found by the same headings the rules use. Lines of narrative
    /// sections (HPI, plan…) and running headers/footers belong to none; label lines such as
    /// `DOB: …` anywhere on the page also go to the header.
    public static func sections(of page: PageReading) -> [PageSection] {
        guard !page.isBlank else { return [] }
        var order: [String] = []
        var lines: [String: [Int]] = [:]
        func add(_ kind: String, _ index: Int) {
            if lines[kind] == nil { order.append(kind) }
            lines[kind, default: []].append(index)
        }
        var current: Section? = nil
        for (index, line) in page.lines.enumerated() {
            if line.bbox.y1 < page.height * 0.06 || line.bbox.y0 > page.height * 0.92 { continue }
            if let heading = heading(line.text) {
                current = heading.section
                if let kind = kind(of: heading.section) { add(kind, index) }
                continue
            }
            let isLabel = line.text.firstMatch(of: /^[A-Za-z][A-Za-z .#\/()]{1,30}:\s*\S/) != nil
            if let section = current, let kind = kind(of: section) {
                add(kind, index)
            } else if current == nil || isLabel {
                add("header", index)
            }
        }
        return order.map { PageSection(kind: $0, lines: lines[$0]!) }
    }

    static func kind(of section: Section) -> String? {
        switch section {
        case .medications, .stoppedMedications: "medications"
        case .allergies: "allergies"
        case .vitals: "vitals"
        case .labs: "labs"
        case .problems: "problems"
        case .immunizations: "immunizations"
        case .plan, .none: nil
        }
    }
}
