import ChartModel
import Extraction
import Foundation

/// Answers questions about one patient's chart from its stored facts, and from its page text
/// when the facts do not cover the question. The question is read as an intent with slots
/// (`QuestionReader`); the answer comes in the form asked: yes or no first, a count, a date, a
/// high/low/normal, a list with every item and no extra one. Never guesses: what the chart does
/// not say is "not stated".
public struct QuestionAnswerer: Sendable {
    /// One item (a lab result, a medication…) with its fields.
    struct Item {
        var documentId: Int64
        var fileName: String
        var documentDate: String?
        var group: FactGroup
        var fields: [FactField: ChartFact]

        func value(_ field: FactField) -> String? { fields[field]?.value }
        /// The date that orders items: the item's own date, else its document's.
        var date: String { value(.date) ?? value(.endDate) ?? documentDate ?? "" }
        var name: String { value(.name) ?? value(.substance) ?? value(.vaccine) ?? "" }
        func citation(_ field: FactField? = nil) -> Citation {
            let fact = field.flatMap { fields[$0] } ?? fields[.name] ?? fields[.substance] ?? fields[.vaccine] ?? fields.values.first!
            return Citation(documentId: documentId, document: fileName, page: fact.page, snippet: fact.evidence ?? fact.value)
        }
    }

    let items: [Item]
    let search: @Sendable (String) -> [TextHit]
    /// Lines by meaning (the semantic index), best first, with their cosine; nil without an index.
    let semantic: (@Sendable (String) -> [(hit: TextHit, cosine: Double)])?

    /// Reciprocal rank fusion's constant (Cormack et al. 2009): ranks below it count nearly alike.
    static let fusionK = 60.0
    /// A line found only by meaning answers only at this cosine or above (all-MiniLM-L6-v2 puts
    /// "hepatitis C status" and a Hepatitis B line at 0.54, so lower would guess).
    static let meaningOnlyCosine = 0.75

    public init(facts: [ChartFact], search: @escaping @Sendable (String) -> [TextHit],
                semantic: (@Sendable (String) -> [(hit: TextHit, cosine: Double)])? = nil) {
        self.semantic = semantic
        var grouped: [String: Item] = [:]
        for fact in facts where fact.status != .rejected {
            let key = "\(fact.documentId)/\(fact.group)/\(fact.item)"
            grouped[key, default: Item(documentId: fact.documentId, fileName: fact.fileName, documentDate: fact.documentDate,
                                       group: fact.group, fields: [:])].fields[fact.field] = grouped[key]?.fields[fact.field] ?? fact
        }
        items = grouped.values.sorted { ($0.date, $0.documentId) < ($1.date, $1.documentId) }
        self.search = search
    }

    public func answer(_ text: String) -> ChartAnswer {
        let q = QuestionReader.read(text)
        switch q.domain {
        case .patient?: return patient(q)
        case .referral?: return referral(q) ?? retrieval(q)
        case .allergy?: return allergy(q)
        case .immunization?: return immunization(q)
        case .lab?: return lab(q)
        case .vital?: return vital(q)
        case .medication?: return medication(q) ?? retrieval(q)
        case .problem?: return problem(q) ?? retrieval(q)
        case .encounter?: return encounter(q) ?? retrieval(q)
        case nil: return retrieval(q)
        }
    }

    // MARK: - Answers

    func answer(_ q: Question, _ text: String, _ intent: String, _ citations: [Citation], conflict: String? = nil) -> ChartAnswer {
        ChartAnswer(question: q.text, answer: text, intent: intent, citations: Self.uniqueCitations(citations), conflict: conflict)
    }

    func notStated(_ q: Question, _ intent: String) -> ChartAnswer {
        ChartAnswer(question: q.text, answer: ChartAnswer.notStated, intent: intent, citations: [], conflict: nil)
    }

    func group(_ group: FactGroup) -> [Item] { items.filter { $0.group == group } }

    /// The items a time slot selects, in date order.
    func select(_ candidates: [Item], _ time: Question.Time) -> [Item] {
        switch time {
        case .latest, .first: return candidates
        case .on(let date): return candidates.filter { $0.date.hasPrefix(date) }
        case .between(let a, let b): return candidates.filter { $0.date >= min(a, b) && $0.date <= max(a, b) + "~" }
        case .admission:
            guard let admitted = group(.encounters).last(where: { $0.value(.endDate) != nil })?.value(.date) else { return candidates }
            let on = candidates.filter { $0.date == admitted }
            return on.isEmpty ? candidates.prefix(1).map { $0 } : on
        case .discharge:
            guard let discharged = group(.encounters).last(where: { $0.value(.endDate) != nil })?.value(.endDate) else { return candidates }
            let on = candidates.filter { $0.date == discharged }
            return on.isEmpty ? candidates : on
        }
    }

    func pick(_ candidates: [Item], _ time: Question.Time) -> Item? {
        let chosen = select(candidates, time)
        return time == .first || time == .admission ? chosen.first : chosen.last
    }

    // MARK: - Patient

    func patient(_ q: Question) -> ChartAnswer {
        if q.attribute == .age { return age(q) }
        let field: FactField = [.birthDate: .birthDate, .mrn: .mrn, .sex: .sex, .name: .name][q.attribute ?? .birthDate] ?? .birthDate
        let intent = [.birthDate: "dob", .mrn: "mrn", .sex: "sex", .name: "patient name"][q.attribute ?? .birthDate] ?? "dob"
        // A sex is one of the values charts print; anything else is a misread, not an answer.
        let candidates = group(.patient).filter { item in
            guard let value = item.value(field) else { return false }
            return field != .sex || ["male", "female", "m", "f", "other", "unknown", "x", "intersex", "nonbinary"].contains(value.lowercased())
        }
        guard let latest = candidates.last, let value = latest.value(field) else { return notStated(q, intent) }
        let distinct = Set(candidates.map { $0.value(field)! })
        let conflict = distinct.count > 1 ? "documents disagree: \(distinct.sorted().joined(separator: " vs "))" : nil
        return answer(q, value, intent, [latest.citation(field)], conflict: conflict)
    }

    /// The age in whole years on the latest document's date (or today when no document is dated).
    func age(_ q: Question) -> ChartAnswer {
        guard let item = group(.patient).last(where: { $0.value(.birthDate) != nil }), let born = item.value(.birthDate),
              let b = Self.ymd(born) else { return notStated(q, "age") }
        let asOf = items.compactMap(\.documentDate).max() ?? ISO8601DateFormatter().string(from: Date()).prefix(10).description
        guard let d = Self.ymd(asOf) else { return notStated(q, "age") }
        let years = d.y - b.y - ((d.m, d.d) < (b.m, b.d) ? 1 : 0)
        return answer(q, "\(years) years old on \(asOf) (born \(born))", "age", [item.citation(.birthDate)])
    }

    static func ymd(_ iso: String) -> (y: Int, m: Int, d: Int)? {
        let parts = iso.prefix(10).split(separator: "-").compactMap { Int($0) }
        return parts.count == 3 ? (parts[0], parts[1], parts[2]) : nil
    }

    // MARK: - Labs and vitals

    /// The LOINC code of a stored test name (of a name OCR misread, "HbAtc", by its shape), or its
    /// lowercased name when the vocabulary does not know it.
    static func labKey(_ name: String) -> String {
        (Vocabulary.lab(name) ?? Vocabulary.labByShape(name))?.loinc ?? name.lowercased()
    }

    func labs(matching entity: Question.Entity) -> [Item] {
        let results = group(.labs).filter { $0.value(.value) != nil }
        let byCode = results.filter { Self.labKey($0.name) == entity.key }
        if !byCode.isEmpty { return byCode }
        // A name the vocabulary spells otherwise: the test's own words ("microalbumin" in
        // "Microalbumin/creatinine ratio").
        let asked = Set(Self.stems(entity.surface))
        return results.filter { item in
            let printed = Set(Self.stems(item.name))
            return !asked.isEmpty && (asked.isSubset(of: printed) || printed.isSubset(of: asked)) && asked.contains { $0.count > 3 }
        }
    }

    func describeLab(_ item: Item, range: Bool = true) -> String {
        var text = "\(item.name) \(item.value(.value) ?? "")"
        if let unit = item.value(.unit), !unit.isEmpty { text += " \(unit)" }
        var notes: [String] = []
        if let flag = item.value(.flag) { notes.append(flag) }
        if range, let r = item.value(.referenceRange) { notes.append("range \(r)") }
        if !notes.isEmpty { text += " (\(notes.joined(separator: ", ")))" }
        if let date = item.value(.date) { text += " on \(date)" }
        return text
    }

    /// High, low or normal: the printed flag, else the value against the printed range.
    static func interpretation(_ item: Item) -> String? {
        if let flag = item.value(.flag)?.lowercased() {
            if flag.hasPrefix("h") || flag.contains(">") { return "high" }
            if flag.hasPrefix("l") || flag.contains("<") { return "low" }
            if flag.hasPrefix("n") { return "normal" }
            if flag.hasPrefix("a") || flag.hasPrefix("c") { return "abnormal" }
        }
        guard let value = item.value(.value).flatMap({ Double($0.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))) }),
              let range = item.value(.referenceRange) else { return nil }
        let numbers = range.split { !$0.isNumber && $0 != "." }.compactMap { Double($0) }
        if range.hasPrefix(">") || range.hasPrefix("≥"), let low = numbers.first { return value < low ? "low" : "normal" }
        if range.hasPrefix("<") || range.hasPrefix("≤"), let high = numbers.first { return value > high ? "high" : "normal" }
        guard numbers.count >= 2 else { return nil }
        return value < numbers[0] ? "low" : value > numbers[1] ? "high" : "normal"
    }

    func lab(_ q: Question) -> ChartAnswer {
        guard let entity = q.entity(.lab) else {
            // No test named: the abnormal results, or all of them.
            let all = latestByName(group(.labs).filter { $0.value(.value) != nil }, key: { Self.labKey($0.name) })
            guard !all.isEmpty else { return notStated(q, "labs") }
            let wantsAbnormal = q.form == .flag || q.words.contains { ["abnormal", "flagged", "elevated", "out", "high", "low"].contains($0) }
            let direction = q.words.contains("high") || q.words.contains("elevated") ? "high" : q.words.contains("low") ? "low" : nil
            let list = wantsAbnormal ? all.filter { item in
                let reading = Self.interpretation(item) ?? "normal"
                return direction.map { reading == $0 } ?? (reading != "normal")
            } : all
            if wantsAbnormal && list.isEmpty {
                return answer(q, "none: every result is within its range", "abnormal labs", all.map { $0.citation(.value) })
            }
            if q.form == .count { return answer(q, "\(list.count): " + list.map { describeLab($0) }.joined(separator: "; "), "lab count",
                                                list.map { $0.citation(.value) }) }
            return answer(q, list.map { describeLab($0) }.joined(separator: "; "), wantsAbnormal ? "abnormal labs" : "labs",
                          list.map { $0.citation(.value) })
        }
        let results = labs(matching: entity)
        guard let item = pick(results, q.time) else {
            // "Was the hematocrit normal?" with no hematocrit: not a "no".
            let asksProperty = q.words.contains { ["high", "elevated", "low", "abnormal", "normal", "raised", "decreased", "range"].contains($0) }
            if q.form == .yesNo, !asksProperty, !group(.labs).isEmpty {
                return answer(q, "no: no \(entity.surface) result is recorded", "lab presence",
                              group(.labs).suffix(3).map { $0.citation(.value) })
            }
            return notStated(q, "lab")
        }
        let cite = [item.citation(.value)]
        let earlier = results.filter { $0.date != item.date && $0.documentId != item.documentId || $0.date < item.date }
            .filter { $0.value(.value) != item.value(.value) }
        let history = q.time == .latest && !earlier.isEmpty
            ? "; earlier: " + earlier.suffix(3).map { "\($0.value(.value) ?? "") on \($0.date)" }.joined(separator: ", ") : ""
        if q.attribute == .trend {
            let dated = results.filter { $0.value(.value) != nil }
            guard dated.count >= 2, let last = dated.last, let before = dated.dropLast().last,
                  let a = Double(before.value(.value)!), let b = Double(last.value(.value)!) else {
                return answer(q, "only one result is recorded: \(describeLab(item))", "lab trend", cite)
            }
            let way = b > a ? "up" : b < a ? "down" : "unchanged"
            return answer(q, "\(way): \(last.value(.value)!) on \(last.date), from \(before.value(.value)!) on \(before.date)", "lab trend",
                          [last.citation(.value), before.citation(.value)])
        }
        switch q.form {
        case .flag:
            guard let reading = Self.interpretation(item) else {
                return answer(q, "not flagged, and no reference range is printed: \(describeLab(item))", "lab flag", cite)
            }
            return answer(q, "\(reading): \(describeLab(item))", "lab flag", cite)
        case .date:
            return answer(q, "\(item.date): \(describeLab(item))", "lab date", cite)
        case .yesNo:
            if let asked = q.words.first(where: { ["high", "elevated", "low", "abnormal", "normal", "raised", "decreased"].contains($0) }) {
                // Asked whether it is high (or low…): answered from the flag or the range, never
                // with a bare "yes" that would read as one.
                guard let reading = Self.interpretation(item) else {
                    return answer(q, "unknown: neither a flag nor a reference range is printed; \(describeLab(item))", "lab flag", cite)
                }
                let yes = asked == reading || ["elevated", "raised"].contains(asked) && reading == "high"
                    || asked == "decreased" && reading == "low" || asked == "abnormal" && reading != "normal"
                return answer(q, "\(yes ? "yes" : "no"): \(reading), \(describeLab(item))", "lab flag", cite)
            }
            return answer(q, "yes: \(describeLab(item))", "lab presence", cite)
        case .count:
            return answer(q, "\(results.count): " + results.map { describeLab($0, range: false) }.joined(separator: "; "), "lab count",
                          results.map { $0.citation(.value) })
        default:
            if q.attribute == .unit, let unit = item.value(.unit) { return answer(q, "\(unit): \(describeLab(item))", "lab unit", cite) }
            if q.attribute == .range, let range = item.value(.referenceRange) {
                return answer(q, "\(range): \(describeLab(item))", "lab range", cite)
            }
            var text = item.value(.value) ?? ""
            if let unit = item.value(.unit), !unit.isEmpty { text += " \(unit)" }
            if let flag = item.value(.flag) { text += " (\(flag))" }
            if let date = item.value(.date) { text += " on \(date)" }
            return answer(q, text + history, "lab", cite)
        }
    }

    func vital(_ q: Question) -> ChartAnswer {
        guard let entity = q.entity(.vital) else { return notStated(q, "vital") }
        let readings = group(.vitals).filter { $0.value(.name) == entity.key && $0.value(.value) != nil }
        guard let item = pick(readings, q.time), let value = item.value(.value) else { return notStated(q, "vital") }
        var text = value
        if let unit = item.value(.unit) { text += " \(unit)" }
        if let date = item.value(.date) { text += " on \(date)" }
        if q.form == .date, let date = item.value(.date) { text = "\(date): \(entity.key) \(text)" }
        if q.form == .yesNo { text = "yes: \(entity.key) \(text)" }
        return answer(q, text, "vital", [item.citation(.value)])
    }

    // MARK: - Medications

    /// The generic a stored drug name stands for (its first words when the name carries a form or
    /// salt; a name OCR misread by its shape).
    static func generic(_ name: String) -> String {
        if let g = Vocabulary.drug(name) { return g }
        let words = name.lowercased().split(separator: " ")
        for n in stride(from: words.count - 1, through: 1, by: -1) {
            if let g = Vocabulary.drug(words.prefix(n).joined(separator: " ")) { return g }
        }
        // A name OCR misread ("Lisinoprit"), whole or by its first word.
        if let g = Vocabulary.drugByShape(name) ?? words.first.flatMap({ Vocabulary.drugByShape(String($0)) }) { return g }
        return name.lowercased()
    }

    /// The latest mention of each thing, in name order.
    func latestByName(_ candidates: [Item], key: (Item) -> String) -> [Item] {
        var latest: [String: Item] = [:]
        for item in candidates { latest[key(item)] = item }  // candidates are in date order
        return latest.values.sorted { $0.name.lowercased() < $1.name.lowercased() }
    }

    func describeMedication(_ m: Item) -> String {
        [m.value(.name), m.value(.dose).map { $0 + (m.value(.unit).map { " \($0)" } ?? "") }, m.value(.route),
         m.value(.frequency)].compactMap { $0 }.joined(separator: " ")
    }

    static func status(_ m: Item) -> String { m.value(.status) ?? "active" }

    static let frequencyWords = ["daily": "once daily", "BID": "twice daily", "TID": "three times daily", "QID": "four times daily",
                                 "QHS": "at bedtime", "PRN": "as needed", "weekly": "once a week"]
    static let routeWords = ["PO": "by mouth", "SC": "subcutaneous", "IV": "intravenous", "IM": "intramuscular",
                             "SL": "under the tongue", "inhaled": "inhaled", "topical": "on the skin", "intranasal": "in the nose"]

    func medication(_ q: Question) -> ChartAnswer? {
        let all = group(.medications).filter { $0.value(.name) != nil }
        let meds = latestByName(all, key: { Self.generic($0.name) })
        guard !meds.isEmpty else { return q.entity(.medication) != nil || q.form != .value ? notStated(q, "medications") : nil }
        let current = meds.filter { Self.status($0) != "discontinued" }

        if let entity = q.entity(.medication) ?? namedOnChart(q, meds) {
            let mentions = all.filter { Self.generic($0.name) == entity.key }
            guard let m = meds.first(where: { Self.generic($0.name) == entity.key }) else {
                if q.form == .yesNo || q.form == .value && q.attribute == nil {
                    return answer(q, "no: \(entity.surface) is not on the medication list", "medication",
                                  meds.map { $0.citation(.name) })
                }
                return notStated(q, "medication")
            }
            let status = Self.status(m)
            let statuses = Set(mentions.map(Self.status))
            let conflict = statuses.count > 1
                ? "documents disagree (\(statuses.sorted().joined(separator: " vs "))); the latest, \(m.fileName), says \(status)" : nil
            let cites = mentions.reversed().map { $0.citation(.name) }
            switch q.attribute {
            case .dose?:
                guard let dose = m.value(.dose) else { return notStated(q, "medication dose") }
                return answer(q, "\(dose)\(m.value(.unit).map { " \($0)" } ?? ""): \(describeMedication(m)) (\(status))",
                              "medication dose", [m.citation(.dose)] + cites, conflict: conflict)
            case .frequency?:
                guard let frequency = m.value(.frequency) else { return notStated(q, "medication frequency") }
                let words = Self.frequencyWords[frequency].map { " (\($0))" } ?? ""
                return answer(q, "\(frequency)\(words): \(describeMedication(m)) (\(status))", "medication frequency",
                              [m.citation(.frequency)] + cites, conflict: conflict)
            case .route?:
                guard let route = m.value(.route) else { return notStated(q, "medication route") }
                let words = Self.routeWords[route].map { " (\($0))" } ?? ""
                return answer(q, "\(route)\(words): \(describeMedication(m)) (\(status))", "medication route",
                              [m.citation(.route)] + cites, conflict: conflict)
            default:
                if q.form == .date {
                    return answer(q, "\(m.date): \(describeMedication(m)) (\(status))", "medication date", cites, conflict: conflict)
                }
                let yes = status != "discontinued"
                let verdict = q.status == .discontinued ? (yes ? "no" : "yes") : q.status == .new ? (status == "new" ? "yes" : "no")
                    : (yes ? "yes" : "no")
                let text = yes ? "\(describeMedication(m)) (\(status))" : "\(describeMedication(m)) was discontinued"
                return answer(q, q.form == .yesNo ? "\(verdict): \(text)" : text, "medication", cites, conflict: conflict)
            }
        }
        var list: [Item]
        var intent: String
        switch q.status {
        case .discontinued: (list, intent) = (meds.filter { Self.status($0) == "discontinued" }, "discontinued medications")
        case .new: (list, intent) = (meds.filter { Self.status($0) == "new" }, "new medications")
        default: (list, intent) = (current, "active medications")
        }
        if let code = q.frequency {
            list = list.filter { ($0.value(.frequency) ?? "").uppercased().contains(code.uppercased()) }
            intent = "medications by frequency"
        }
        if q.form == .count {
            return answer(q, "\(list.count)" + (list.isEmpty ? "" : ": " + list.map(describeMedication).joined(separator: "; ")),
                          "medication count", (list.isEmpty ? meds : list).map { $0.citation(.name) })
        }
        guard !list.isEmpty else {
            if q.form == .yesNo { return answer(q, "no: none is recorded", intent, meds.map { $0.citation(.name) }) }
            return notStated(q, intent)
        }
        let text = list.map(describeMedication).joined(separator: "; ")
        return answer(q, q.form == .yesNo ? "yes: \(text)" : text, intent,
                      list.map { $0.citation(q.frequency != nil ? .frequency : .name) })
    }

    /// A drug the vocabulary does not know, named by a word of a medication on the chart.
    func namedOnChart(_ q: Question, _ meds: [Item]) -> Question.Entity? {
        let asked = Set(q.leftover.filter { $0.count > 3 })
        guard let m = meds.first(where: { m in m.name.lowercased().split(separator: " ").contains { asked.contains(String($0)) } })
        else { return nil }
        return Question.Entity(domain: .medication, key: Self.generic(m.name), surface: m.name, start: 0, length: 0)
    }

    // MARK: - Allergies

    static let allergyWords: Set<String> = ["allergic", "allergy", "allergies", "allergen", "allergens", "reaction", "reactions",
                                            "react", "intolerance", "intolerant", "sensitivity", "safely", "receive", "kind",
                                            "describe", "happens", "takes", "drug", "drugs", "listed", "other", "known"]

    func allergy(_ q: Question) -> ChartAnswer {
        // A substance is a name: at least three letters, and not a severity or a reaction word
        // left over from a misread line ("moderate)").
        let allergies = group(.allergies).filter { item in
            guard let substance = item.value(.substance) else { return false }
            let letters = substance.filter(\.isLetter)
            return letters.count >= 3 && !Self.notSubstances.contains(letters.lowercased())
        }
        let none = allergies.filter { Self.noKnownAllergies($0.value(.substance)!) }
        let known = latestByName(allergies.filter { !Self.noKnownAllergies($0.value(.substance)!) },
                                 key: { $0.value(.substance)!.lowercased() })
        func describe(_ a: Item) -> String { a.value(.substance)! + (a.value(.reaction).map { " (\($0))" } ?? "") }
        // The substance asked about: a drug the vocabulary knows, or the question's own words.
        let askedWords = q.leftover.filter { !Self.allergyWords.contains($0) }
        let askedDrug = q.entity(.medication)
        let asked = askedDrug?.surface.lowercased() ?? askedWords.joined(separator: " ")
        if !asked.isEmpty {
            let stems = Set(Self.stems(asked))
            let match = known.last { a in
                let substance = a.value(.substance)!
                if let d = askedDrug, Self.generic(substance) == d.key { return true }
                return !Set(Self.stems(substance)).isDisjoint(with: stems)
            }
            if let match {
                if q.attribute == .reaction {
                    guard let reaction = match.value(.reaction) else {
                        return answer(q, "no reaction is recorded for \(match.value(.substance)!)", "allergy reaction",
                                      [match.citation(.substance)])
                    }
                    return answer(q, "\(reaction): \(describe(match))", "allergy reaction", [match.citation(.reaction)])
                }
                return answer(q, "yes: \(match.value(.substance)!)" + (match.value(.reaction).map { " (reaction: \($0))" } ?? ""),
                              "allergy", [match.citation(.substance)])
            }
            if known.isEmpty, let nkda = none.last {
                return answer(q, "no: no known drug allergies (NKDA)", "allergy", [nkda.citation(.substance)])
            }
            if !known.isEmpty {
                return answer(q, "no: no \(asked) allergy is recorded; recorded allergies: "
                              + known.map { $0.value(.substance)! }.joined(separator: ", "),
                              "allergy", known.map { $0.citation(.substance) })
            }
            return notStated(q, "allergy")
        }
        if known.isEmpty, let nkda = none.last {
            return answer(q, (q.form == .yesNo ? "no: " : "") + "no known drug allergies (NKDA)", "allergies", [nkda.citation(.substance)])
        }
        guard !known.isEmpty else { return notStated(q, "allergies") }
        let list = known.map(describe).joined(separator: "; ")
        if q.form == .count { return answer(q, "\(known.count): \(list)", "allergy count", known.map { $0.citation(.substance) }) }
        return answer(q, (q.form == .yesNo ? "yes: " : "") + list, "allergies", known.map { $0.citation(.substance) })
    }

    static let notSubstances: Set<String> = ["mild", "moderate", "severe", "unknown", "reaction", "reactions", "allergy", "allergies",
                                             "substance", "yes", "no", "na", "other", "see", "intolerance", "low", "high"]

    static func noKnownAllergies(_ substance: String) -> Bool {
        let s = substance.lowercased()
        return s == "nkda" || s == "nka" || s.hasPrefix("no known") || s == "none"
    }

    // MARK: - Problems

    /// The ICD-10-CM categories a problem's name falls under, by the vocabulary's names in it.
    static func problemCodes(_ name: String) -> Set<String> {
        Set(QuestionReader.findEntities(QuestionReader.tokens(name, lowercase: false).map { $0.lowercased() })
            .filter { $0.domain == .problem }.map(\.key))
    }

    static let problemWords: Set<String> = ["problem", "problems", "diagnosis", "diagnoses", "diagnosed", "condition", "conditions",
                                            "suffer", "suffers", "medical", "active", "list", "history", "carry", "carries",
                                            "illness", "illnesses", "comorbidities", "summarize"]

    func problem(_ q: Question) -> ChartAnswer? {
        let problems = latestByName(group(.problems).filter { $0.value(.name) != nil }, key: { $0.name.lowercased() })
        func describe(_ p: Item) -> String { "\(p.name) (\(p.value(.status) ?? "active"))" }
        let codes = Set(q.entities.filter { $0.domain == .problem }.map(\.key))
        let asked = q.leftover.filter { !Self.problemWords.contains($0) }
        if !codes.isEmpty || !asked.isEmpty {
            let stems = Set(Self.stems(asked.joined(separator: " "))).filter { $0.count > 3 }
            let match = problems.last { p in
                !Self.problemCodes(p.name).isDisjoint(with: codes) || !stems.isEmpty && !Set(Self.stems(p.name)).isDisjoint(with: stems)
            }
            if let match {
                if q.form == .date, let onset = match.value(.onset) ?? match.value(.date) {
                    return answer(q, "\(onset): \(describe(match))", "problem onset", [match.citation(.name)])
                }
                return answer(q, "yes: \(describe(match))", "problem", [match.citation(.name)])
            }
            // Not recorded: "no" only when the chart has a problem list to be missing from.
            if q.form == .yesNo, !problems.isEmpty, !codes.isEmpty || q.words.contains(where: { ["diagnosed", "history", "problem"].contains($0) }) {
                let name = q.entities.first { $0.domain == .problem }?.surface ?? asked.joined(separator: " ")
                return answer(q, "no: \(name) is not among the recorded problems (" + problems.map(\.name).joined(separator: ", ") + ")",
                              "problem", problems.map { $0.citation(.name) })
            }
            return nil
        }
        guard !problems.isEmpty else { return nil }
        let text = problems.map(describe).joined(separator: "; ")
        if q.form == .count { return answer(q, "\(problems.count): \(text)", "problem count", problems.map { $0.citation(.name) }) }
        return answer(q, text, "problems", problems.map { $0.citation(.name) })
    }

    // MARK: - Immunizations

    /// The diseases a recorded vaccine covers, and the names it goes by, from its printed description.
    static func vaccineNames(_ description: String) -> (names: Set<String>, diseases: Set<String>) {
        let found = QuestionReader.findEntities(QuestionReader.tokens(description, lowercase: false)).filter { $0.domain == .immunization }
        return (Set(found.map { $0.surface.lowercased() }), Set(found.flatMap { $0.key.split(separator: ",").map(String.init) }))
    }

    func immunization(_ q: Question) -> ChartAnswer {
        let shots = group(.immunizations).filter { $0.value(.vaccine) != nil }
        func describe(_ s: Item) -> String { "\(s.value(.vaccine)!) on \(s.value(.date) ?? "an unstated date")" }
        let named = q.entities.filter { $0.domain == .immunization }
        guard !named.isEmpty else {
            guard !shots.isEmpty else { return notStated(q, "immunizations") }
            if q.form == .count { return answer(q, "\(shots.count): " + shots.map(describe).joined(separator: "; "), "immunization count",
                                                shots.map { $0.citation(.vaccine) }) }
            if q.form == .date, let last = pick(shots, q.time) {
                return answer(q, "\(last.value(.date) ?? "an unstated date"): \(last.value(.vaccine)!)", "immunization",
                              [last.citation(.vaccine)])
            }
            return answer(q, shots.map(describe).joined(separator: "; "), "immunizations", shots.map { $0.citation(.vaccine) })
        }
        // Recorded vaccines by the name asked, else by the diseases it covers (a Tdap is a tetanus shot).
        let askedNames = Set(named.map { $0.surface.lowercased() })
        let askedDiseases = Set(named.flatMap { $0.key.split(separator: ",").map(String.init) })
        var matching = shots.filter { !Self.vaccineNames($0.value(.vaccine)!).names.isDisjoint(with: askedNames) }
        if matching.isEmpty {
            matching = shots.filter { askedDiseases.isSubset(of: Self.vaccineNames($0.value(.vaccine)!).diseases) }
            // A combination asked by its diseases ("tetanus-diphtheria", Td) is that combination
            // when the chart has it; a single disease ("a tetanus shot") counts every vaccine that
            // covers it (a Tdap is one).
            let exact = matching.filter { Self.vaccineNames($0.value(.vaccine)!).diseases == askedDiseases }
            if askedDiseases.count >= 2, !exact.isEmpty { matching = exact }
        }
        let what = named.map(\.surface).joined(separator: " ")
        guard let chosen = pick(matching, q.time) else {
            if q.form == .yesNo || q.form == .count, !shots.isEmpty {
                return answer(q, q.form == .count ? "0: no \(what) vaccine is recorded" : "no: no \(what) vaccine is recorded",
                              "immunization", shots.map { $0.citation(.vaccine) })
            }
            return notStated(q, "immunization")
        }
        switch q.form {
        case .count:
            let doses = Set(matching.map { $0.value(.date) ?? $0.name }).count
            return answer(q, "\(doses): " + matching.map(describe).joined(separator: "; "), "immunization count",
                          matching.map { $0.citation(.vaccine) })
        case .yesNo:
            return answer(q, "yes: \(describe(chosen))", "immunization", [chosen.citation(.vaccine)])
        case .list:
            return answer(q, matching.map(describe).joined(separator: "; "), "immunizations", matching.map { $0.citation(.vaccine) })
        default:
            return answer(q, "\(chosen.value(.date) ?? "an unstated date"): \(chosen.value(.vaccine)!)", "immunization",
                          [chosen.citation(.date)])
        }
    }

    // MARK: - Encounters and referrals

    func encounterField(_ q: Question, _ field: FactField, _ intent: String) -> ChartAnswer? {
        let encounters = group(.encounters).filter { $0.value(field) != nil }
        guard let e = pick(encounters, q.time) else { return nil }
        return answer(q, e.value(field)!, intent, [e.citation(field)])
    }

    func referral(_ q: Question) -> ChartAnswer? {
        switch q.attribute {
        case .specialty?: return encounterField(q, .specialty, "referral specialty") ?? notStated(q, "referral specialty")
        case .reason?: return encounterField(q, .reason, "referral reason") ?? notStated(q, "referral reason")
        default: return encounterField(q, .referredTo, "referred to") ?? notStated(q, "referred to")
        }
    }

    func encounter(_ q: Question) -> ChartAnswer? {
        let encounters = group(.encounters)
        switch q.attribute {
        case .discharge?:
            guard let e = encounters.last(where: { $0.value(.endDate) != nil }) else { return notStated(q, "discharge date") }
            if q.words.contains("diagnosis") { return encounterField(q, .diagnosis, "discharge diagnosis") }
            return answer(q, e.value(.endDate)!, "discharge date", [e.citation(.endDate)])
        case .admission?:
            guard let e = encounters.last(where: { $0.value(.endDate) != nil }) ?? encounters.last(where: { $0.value(.type) == "admission" }),
                  let date = e.value(.date) else { return notStated(q, "admission date") }
            return answer(q, date, "admission date", [e.citation(.date)])
        case .diagnosis?:
            return encounterField(q, .diagnosis, "diagnosis") ?? problem(q)
        case .disposition?:
            return encounterField(q, .disposition, "disposition")
        case .provider?:
            return encounterField(q, .provider, "provider") ?? notStated(q, "provider")
        case .facility?:
            return encounterField(q, .facility, "facility") ?? notStated(q, "facility")
        default:
            guard let e = pick(encounters.filter { $0.value(.date) != nil }, q.time) else { return notStated(q, "visit") }
            let about = [e.value(.type), e.value(.facility)].compactMap { $0 }.joined(separator: ", ")
            return answer(q, e.value(.date)! + (about.isEmpty ? "" : " (\(about))"), "visit", [e.citation(.date)])
        }
    }

    // MARK: - Retrieval and helpers

    /// The page text, when the facts do not answer: full-text hits that hold every content
    /// word, ranked by fusing their BM25 order with the semantic index's (reciprocal rank fusion).
    /// A line found by meaning alone answers only when it is very close; otherwise "not stated",
    /// with the closest line in the note.
    func retrieval(_ q: Question) -> ChartAnswer {
        let terms = QuestionReader.tokens(q.text).filter { $0.count > 2 && !QuestionReader.function.contains($0) }
        guard !terms.isEmpty else { return notStated(q, "search") }
        // Every content word must be on the page: a page that matches only some of them does not
        // answer the question ("hepatitis C" is not answered by "Hepatitis B").
        let hits = search(terms.map { "\"\($0)\"" }.joined(separator: " "))
        let lines = semantic?(q.text) ?? []
        func key(_ h: TextHit) -> String { "\(h.documentId)/\(h.page)" }
        func cite(_ h: TextHit) -> Citation { Citation(documentId: h.documentId, document: h.document, page: h.page, snippet: h.snippet) }
        if !hits.isEmpty {
            var score: [String: Double] = [:]
            for (rank, h) in hits.enumerated() { score[key(h), default: 0] += 1 / (Self.fusionK + Double(rank + 1)) }
            var seen = Set<String>()
            for (rank, line) in lines.enumerated() where seen.insert(key(line.hit)).inserted && score[key(line.hit)] != nil {
                score[key(line.hit)]! += 1 / (Self.fusionK + Double(rank + 1))
            }
            let ranked = hits.enumerated().sorted { (score[key($0.element)] ?? 0, -$0.offset) > (score[key($1.element)] ?? 0, -$1.offset) }
                .map(\.element)
            let best = ranked[0]
            return answer(q, "the chart says: " + best.snippet.replacingOccurrences(of: "\n", with: " "),
                          lines.isEmpty ? "search" : "search (fused)", ranked.prefix(3).map(cite))
        }
        let stems = Set(Self.stems(terms.joined(separator: " ")))
        if let best = lines.first, best.cosine >= Self.meaningOnlyCosine,
           !Set(Self.stems(best.hit.snippet)).isDisjoint(with: stems) {
            return answer(q, "the chart says: " + best.hit.snippet, "search (semantic)",
                          lines.prefix(3).filter { $0.cosine >= Self.meaningOnlyCosine - 0.1 }.map { cite($0.hit) })
        }
        var none = notStated(q, "search")
        if let closest = lines.first {
            none.note = "nothing on the chart answers this; the closest line by meaning (cosine "
                + String(format: "%.2f", closest.cosine) + ") is \(closest.hit.document) page \(closest.hit.page): \(closest.hit.snippet)"
        }
        return none
    }

    /// Lowercased words with a plural or possessive "s" taken off, for matching names written
    /// two ways ("peanuts" / "Peanut", "migraines" / "Migraine").
    static func stems(_ text: String) -> [String] {
        QuestionReader.tokens(text).map { w in
            w.count > 4 && w.hasSuffix("s") && !w.hasSuffix("ss") && !w.hasSuffix("is") && !w.hasSuffix("us") ? String(w.dropLast()) : w
        }
    }

    static func uniqueCitations(_ list: [Citation]) -> [Citation] {
        var seen = Set<Citation>()
        return list.filter { seen.insert($0).inserted }
    }
}
