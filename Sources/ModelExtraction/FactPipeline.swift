import ChartModel
import Extraction
import Validation

/// The one pipeline from a document's pages to its facts, run by `ingest` (the worker) and by
/// `chartex extract` alike: pages classified and split (a page whose patient identifiers differ
/// from the chart's is flagged), the rules' facts merged with the model's, every item validated
/// against its schema (an item that fails is `rejected`, never data), and facts on a flagged page
/// held for review.
public enum FactPipeline {
    /// What the rules make of a document: its pages' labels and the rules' facts.
    public struct RulesPass: Sendable {
        public var pages: [PageReading]
        public var labels: [PageClassification]
        public var mismatched: Set<Int>
        public var facts: [ExtractedFact]
    }

    /// Classifies the pages and, unless `rules` is false, extracts the rules' facts.
    public static func rulesPass(_ pages: [PageReading], rules: Bool = true) -> RulesPass {
        let labels = ChartSplitter().classify(pages)
        return RulesPass(pages: pages, labels: labels, mismatched: Set(labels.filter { $0.patientMismatch != nil }.map(\.page)),
                         facts: rules ? RulesExtractor().extract(pages: pages) : [])
    }

    /// Merges, validates and flags: each fact with its final status and reason.
    /// - Throws: when the schemas cannot be loaded.
    public static func finish(_ pass: RulesPass, model: [ModelPageResult], mode: ExtractorMode,
                              acceptModelOnly: Bool = false) throws -> [MergedFact] {
        let merged = HybridMerger.merge(rules: pass.facts, model: model, mode: mode, acceptModelOnly: acceptModelOnly)
        let invalid = ChartSchemas.validate(merged.filter { !$0.alternative }.map(\.fact), definitions: try ChartSchemas.definitions())
        // An item whose name is uncertain has no certain values: a result, dose or date belongs to
        // the test, drug or vaccine it is printed beside, so it is only as sure as that name.
        var uncertainNames: [String: FactField] = [:]
        for entry in merged where !entry.alternative && entry.fact.status == .needsReview
            && entry.fact.group.namingField == entry.fact.field {
            uncertainNames["\(entry.fact.group)#\(entry.fact.item)"] = entry.fact.field
        }
        let noKnownAllergies = RulesExtractor.contradictedNoKnownAllergies(merged.filter { !$0.alternative }.map(\.fact))
        return merged.map { entry in
            var entry = entry
            let key = "\(entry.fact.group)#\(entry.fact.item)"
            if let violations = invalid[key] {
                entry.fact.status = .rejected
                entry.fact.reviewReason = "schema: " + violations.map(\.description).joined(separator: "; ")
            } else if pass.mismatched.contains(entry.fact.page) {
                entry.fact.status = .needsReview
                entry.fact.reviewReason = "the page's patient identifiers differ from the chart's"
            } else if entry.fact.status == .verified, let name = uncertainNames[key], name != entry.fact.field {
                entry.fact.status = .needsReview
                entry.fact.reviewReason = "the item's \(name) needs review"
            } else if entry.fact.status == .verified, entry.fact.group == .allergies, let contradicted = noKnownAllergies,
                      contradicted.items.contains(entry.fact.item) {
                entry.fact.status = .needsReview
                entry.fact.reviewReason = contradicted.reason
            }
            return entry
        }
    }
}
