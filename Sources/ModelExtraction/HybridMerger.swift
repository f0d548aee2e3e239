import ChartModel
import Extraction
import Foundation

/// rules, model, or both.
public enum ExtractorMode: String, Sendable, CaseIterable {
    case rules, model, hybrid
}

/// A fact ready to store: which extractor(s) gave it, and whether it is the value or a
/// competing candidate kept for the reviewer.
public struct MergedFact: Sendable {
    public var fact: ExtractedFact
    /// rules, model, or rules+model (both read the same value).
    public var extractor: String
    /// A reading kept for the reviewer that is not the item's value: the model's reading where
    /// the rules read something else, or one the rules did not support at all (hybrid mode).
    /// The item's value is the fact of the same group, item and field that is not an alternative.
    public var alternative: Bool
    /// False when the value could not be found on its page.
    public var grounded: Bool
    /// 0–1.
    public var confidence: Double
}

/// Combines the rules' facts with the model's. Agreement → verified with a higher confidence;
/// disagreement → both kept, the rules' value as the item's value and the model's as an
/// alternative, and the field `needs_review` when the model's reading is grounded on the page;
/// a value only the model gave → `needs_review`. Patient identifiers are never verified on the
/// model's word alone, and the model cannot rename the patient (a page cannot either).
public enum HybridMerger {
    static let identity: Set<FactField> = [.name, .birthDate, .mrn, .sex]

    /// `acceptModelOnly`: in hybrid mode, a grounded value only the model read (a field the
    /// rules left empty, or an item they did not find) becomes the item's value (needs_review);
    /// by default it is kept as a candidate for the reviewer. Measured on Samples/ with the
    /// 0.5B test model, accepting them cost F1 (0.955 → 0.906); a stronger model may earn it.
    public static func merge(rules: [ExtractedFact], model: [ModelPageResult], mode: ExtractorMode,
                             acceptModelOnly: Bool = false) -> [MergedFact] {
        var merged: [MergedFact] = mode == .model ? [] : rules.map {
            MergedFact(fact: $0, extractor: "rules", alternative: false, grounded: $0.bbox != nil, confidence: $0.ocrConfidence / 100)
        }
        guard mode != .rules else { return merged }
        var nextItem: [FactGroup: Int] = [:]
        for fact in merged { nextItem[fact.fact.group] = max(nextItem[fact.fact.group] ?? 0, fact.fact.item + 1) }

        for page in model {
            // The model's items on this page, by group and local item.
            let items = Dictionary(grouping: page.facts) { "\($0.group)#\($0.item)" }
            for key in items.keys.sorted(by: { $0.localizedStandardCompare($1) == .orderedAscending }) {
                let fields = items[key]!
                let group = fields[0].group
                if let item = matchingItem(group: group, fields: fields, in: merged) {
                    for modelFact in fields {
                        combine(modelFact, into: item, mode: mode, acceptModelOnly: acceptModelOnly, merged: &merged)
                    }
                } else {
                    let item = group == .patient ? 0 : nextItem[group, default: 0]
                    if group != .patient { nextItem[group] = item + 1 }
                    for var modelFact in fields {
                        modelFact.item = item
                        merged.append(modelOnly(modelFact, mode: mode, acceptModelOnly: acceptModelOnly))
                    }
                }
            }
        }
        return merged
    }

    /// The item of `group` already in `merged` that the model's item is about, if any.
    static func matchingItem(group: FactGroup, fields: [ExtractedFact], in merged: [MergedFact]) -> Int? {
        func value(_ field: FactField) -> String? { fields.first { $0.field == field }?.value }
        let existing = Dictionary(grouping: merged.filter { $0.fact.group == group && !$0.alternative }) { $0.fact.item }
        if group == .patient { return existing.keys.min() }
        let nameField: FactField = group == .encounters ? .date : group.namingField ?? .name
        guard let name = value(nameField) else { return nil }
        let page = fields[0].page
        for item in existing.keys.sorted() {
            let theirs = existing[item]!
            func their(_ field: FactField) -> String? { theirs.first { $0.fact.field == field }?.fact.value }
            guard let other = their(nameField) else { continue }
            if group == .encounters {
                if other == name { return item }
                continue
            }
            guard namesMatch(name, other) else { continue }
            switch group {
            case .labs, .vitals, .immunizations:
                if let a = value(.date), let b = their(.date) {
                    if a == b { return item }
                } else if theirs.contains(where: { $0.fact.page == page }) || group == .immunizations {
                    return item
                }
            default:
                return item
            }
        }
        return nil
    }

    static func combine(_ modelFact: ExtractedFact, into item: Int, mode: ExtractorMode, acceptModelOnly: Bool,
                        merged: inout [MergedFact]) {
        var modelFact = modelFact
        modelFact.item = item
        let index = merged.firstIndex { $0.fact.group == modelFact.group && $0.fact.item == item
            && $0.fact.field == modelFact.field && !$0.alternative }
        guard let index else {
            merged.append(modelOnly(modelFact, mode: mode, acceptModelOnly: acceptModelOnly))
            return
        }
        var existing = merged[index]
        if sameValue(existing.fact.value, modelFact.value, field: modelFact.field) {
            guard existing.extractor != "model" else { return }  // the model twice is not a second opinion
            existing.extractor = "rules+model"
            existing.confidence = 1 - (1 - existing.confidence) * 0.5
            if existing.fact.reviewReason?.hasPrefix("OCR confidence") == true {
                existing.fact.status = .verified
                existing.fact.reviewReason = nil
            }
            merged[index] = existing
            return
        }
        // Disagreement: both readings are kept. It puts the field up for review when the model's
        // reading is itself on the page; a value the model could not tie to the page, or a
        // patient identifier (read by the rules from its label, which page text cannot
        // override), stays as the rules read it, with the model's reading beside it.
        if modelFact.group == .patient, modelFact.page != existing.fact.page {
            return  // another page's header says something else: the splitter flags wrong-patient pages
        }
        let identity = modelFact.group == .patient && Self.identity.contains(modelFact.field)
        if modelFact.bbox != nil, !identity {
            existing.fact.status = .needsReview
            existing.fact.reviewReason = "the extractors disagree: the model read \(modelFact.raw)"
            merged[index] = existing
        }
        var candidate = modelOnly(modelFact, mode: mode, acceptModelOnly: true)
        candidate.alternative = true
        candidate.fact.status = .needsReview
        candidate.fact.reviewReason = "the extractors disagree: the rules read \(existing.fact.raw)"
        merged.append(candidate)
    }

    static func modelOnly(_ fact: ExtractedFact, mode: ExtractorMode, acceptModelOnly: Bool) -> MergedFact {
        var fact = fact
        let grounded = fact.bbox != nil
        // In hybrid mode a reading the rules do not support is a candidate, not the value.
        let candidate = mode == .hybrid && !(acceptModelOnly && grounded)
        if !grounded {
            fact.status = .needsReview
        } else if mode == .hybrid {
            fact.status = .needsReview
            fact.reviewReason = "read by the model only"
        } else if fact.group == .patient && identity.contains(fact.field) {
            fact.status = .needsReview
            fact.reviewReason = "patient identifiers are verified only from labelled fields"
        }
        return MergedFact(fact: fact, extractor: "model", alternative: candidate, grounded: grounded,
                          confidence: grounded ? (fact.ocrConfidence / 100) * 0.8 : 0.2)
    }

    static func sameValue(_ a: String, _ b: String, field: FactField) -> Bool {
        let x = key(a), y = key(b)
        if x == y { return true }
        if let p = Double(a), let q = Double(b) { return p == q }
        return [.name, .substance, .vaccine].contains(field) && namesMatch(a, b) && (x.contains(y) || y.contains(x))
    }

    static func key(_ text: String) -> String {
        text.lowercased().replacingOccurrences(of: #"[^a-z0-9/<>=.%^-]+"#, with: " ", options: .regularExpression)
            .trimmingCharacters(in: .whitespaces)
    }

    static func namesMatch(_ a: String, _ b: String) -> Bool {
        let x = key(a), y = key(b)
        guard !x.isEmpty, !y.isEmpty else { return false }
        if x == y || x.contains(y) || y.contains(x) { return true }
        let wx = Set(x.split(separator: " ")), wy = Set(y.split(separator: " "))
        return Double(wx.intersection(wy).count) / Double(max(1, min(wx.count, wy.count))) >= 0.6
    }
}
