import Foundation

/// Answers questions about one patient's chart from its stored facts, and from its page text
/// when the facts do not cover the question. Never guesses: what the chart does not say is
/// "not stated".
public struct QuestionAnswerer: Sendable {
    /// One item (a lab result, a medication…) with its fields.
    struct Item {
        var documentId: Int64
        var fileName: String
        var documentDate: String?
        var group: String
        var fields: [String: ChartFact]

        func value(_ field: String) -> String? { fields[field]?.value }
        /// The date that orders items: the item's own date, else its document's.
        var date: String { value("date") ?? value("endDate") ?? documentDate ?? "" }
        func citation(_ field: String? = nil) -> Citation {
            let fact = field.flatMap { fields[$0] } ?? fields["name"] ?? fields.values.first!
            return Citation(documentId: documentId, document: fileName, page: fact.page, snippet: fact.evidence ?? fact.value)
        }
    }

    let items: [Item]
    let search: @Sendable (String) -> [TextHit]

    public init(facts: [ChartFact], search: @escaping @Sendable (String) -> [TextHit]) {
        var grouped: [String: Item] = [:]
        for fact in facts where fact.status != "rejected" {
            let key = "\(fact.documentId)/\(fact.group)/\(fact.item)"
            grouped[key, default: Item(documentId: fact.documentId, fileName: fact.fileName, documentDate: fact.documentDate,
                                       group: fact.group, fields: [:])].fields[fact.field] = grouped[key]?.fields[fact.field] ?? fact
        }
        items = grouped.values.sorted { ($0.date, $0.documentId) < ($1.date, $1.documentId) }
        self.search = search
    }

    public func answer(_ question: String) -> ChartAnswer {
        let q = " " + question.lowercased().replacingOccurrences(of: #"[^a-z0-9/ ]"#, with: " ", options: .regularExpression) + " "
        func has(_ words: String...) -> Bool { words.contains { q.contains(" \($0) ") || q.contains(" \($0)") && $0.hasSuffix(" ") } }

        if has("date of birth", "dob", "born", "birthday", "birth date", "birthdate", "how old", "age") {
            return patientField(question, "birthDate", intent: "dob")
        }
        if has("mrn", "medical record number", "record number", "patient id", "chart number") {
            return patientField(question, "mrn", intent: "mrn")
        }
        if has("sex", "gender", "male or female") { return patientField(question, "sex", intent: "sex") }
        if has("allergy", "allergies", "allergic", "nkda", "reaction to", "react to") { return allergy(question, q) }
        if let lab = LabNames.canonical(in: q) { return latestLab(question, lab) }
        if let vital = Self.vitalName(q) { return latestVital(question, vital) }
        if has("vaccine", "vaccines", "vaccinated", "immunization", "immunizations", "shot", "tdap", "flu", "influenza",
               "covid", "pneumococcal", "hepatitis b") {
            return immunization(question, q)
        }
        if has("admitted", "admission", "discharged", "discharge date", "visit", "visits", "seen", "appointment", "encounter") {
            return encounter(question, q)
        }
        if has("medication", "medications", "meds", "medicine", "medicines", "taking", "take", "takes", "prescribed",
               "drug", "drugs", "dose", "dosage", "on", "started", "stopped", "discontinued") || Self.frequency(in: q) != nil {
            if let answer = medication(question, q) { return answer }
        }
        if has("problem", "problems", "diagnosis", "diagnoses", "condition", "conditions", "history of", "have", "has",
               "suffer", "diagnosed") {
            if let answer = problem(question, q) { return answer }
        }
        return retrieval(question)
    }

    // MARK: - Patient

    func patientField(_ question: String, _ field: String, intent: String) -> ChartAnswer {
        let candidates = items.filter { $0.group == "patient" && $0.value(field) != nil }
        guard let latest = candidates.last else { return notStated(question, intent) }
        let distinct = Set(candidates.map { $0.value(field)! })
        let conflict = distinct.count > 1 ? "documents disagree: \(distinct.sorted().joined(separator: " vs "))" : nil
        return ChartAnswer(question: question, answer: latest.value(field)!, intent: intent,
                           citations: [latest.citation(field)], conflict: conflict)
    }

    // MARK: - Allergies

    func allergy(_ question: String, _ q: String) -> ChartAnswer {
        let allergies = items.filter { $0.group == "allergies" }
        let known = allergies.filter { $0.value("substance") != "NKDA" }
        // A substance named in the question?
        let words = Set(q.split(separator: " ").map(String.init)).subtracting(Self.stopWords)
        if let asked = words.first(where: { w in w.count > 3 && !["allergic", "allergy", "allergies", "reaction"].contains(w) }) {
            if let match = known.last(where: { ($0.value("substance") ?? "").lowercased().contains(asked)
                || asked.contains(($0.value("substance") ?? "").lowercased().prefix(5)) }) {
                let reaction = match.value("reaction").map { " (reaction: \($0))" } ?? ""
                return ChartAnswer(question: question, answer: "yes: \(match.value("substance")!)\(reaction)", intent: "allergy",
                                   citations: [match.citation("substance")], conflict: nil)
            }
            if let nkda = allergies.last(where: { $0.value("substance") == "NKDA" }), known.isEmpty {
                return ChartAnswer(question: question, answer: "no: no known drug allergies (NKDA)", intent: "allergy",
                                   citations: [nkda.citation("substance")], conflict: nil)
            }
            if !known.isEmpty {
                return ChartAnswer(question: question, answer: "no \(asked) allergy is recorded; recorded allergies: "
                                   + known.compactMap { $0.value("substance") }.joined(separator: ", "),
                                   intent: "allergy", citations: known.map { $0.citation("substance") }, conflict: nil)
            }
            return notStated(question, "allergy")
        }
        if known.isEmpty, let nkda = allergies.last {
            return ChartAnswer(question: question, answer: "no known drug allergies (NKDA)", intent: "allergy",
                               citations: [nkda.citation("substance")], conflict: nil)
        }
        guard !known.isEmpty else { return notStated(question, "allergy") }
        let list = known.map { a in a.value("substance")! + (a.value("reaction").map { " (\($0))" } ?? "") }
        return ChartAnswer(question: question, answer: Self.unique(list).joined(separator: "; "), intent: "allergy",
                           citations: known.map { $0.citation("substance") }, conflict: nil)
    }

    // MARK: - Labs and vitals

    func latestLab(_ question: String, _ lab: String) -> ChartAnswer {
        let results = items.filter { $0.group == "labs" && LabNames.canonical(in: " " + ($0.value("name") ?? "").lowercased() + " ") == lab }
        guard let latest = results.last, let value = latest.value("value") else { return notStated(question, "lab") }
        var answer = value
        if let unit = latest.value("unit") { answer += " \(unit)" }
        if let flag = latest.value("flag") { answer += " (\(flag))" }
        if let date = latest.value("date") { answer += " on \(date)" }
        return ChartAnswer(question: question, answer: answer, intent: "lab", citations: [latest.citation("value")], conflict: nil)
    }

    static let vitals: [(String, [String])] = [
        ("blood pressure", ["blood pressure", "bp"]), ("heart rate", ["heart rate", "pulse", "hr"]),
        ("temperature", ["temperature", "temp", "fever"]), ("weight", ["weight", "weigh", "wt"]),
        ("oxygen saturation", ["oxygen", "o2", "spo2", "saturation", "sat"]), ("respiratory rate", ["respiratory", "respirations", "rr", "breathing rate"]),
        ("height", ["height", "tall"]),
    ]

    static func vitalName(_ q: String) -> String? {
        vitals.first { _, words in words.contains { q.contains(" \($0) ") || q.contains(" \($0)") } }?.0
    }

    func latestVital(_ question: String, _ name: String) -> ChartAnswer {
        let readings = items.filter { $0.group == "vitals" && $0.value("name") == name }
        guard let latest = readings.last, let value = latest.value("value") else { return notStated(question, "vital") }
        var answer = value
        if let unit = latest.value("unit") { answer += " \(unit)" }
        if let date = latest.value("date") { answer += " on \(date)" }
        return ChartAnswer(question: question, answer: answer, intent: "vital", citations: [latest.citation("value")], conflict: nil)
    }

    // MARK: - Medications

    static let frequencies: [(code: String, phrases: [String])] = [
        ("BID", ["twice daily", "twice a day", "two times a day", "bid", "every 12 hours"]),
        ("TID", ["three times a day", "three times daily", "tid"]), ("QID", ["four times a day", "qid"]),
        ("QHS", ["at bedtime", "bedtime", "at night", "nightly", "qhs", "before bed"]),
        ("daily", ["once daily", "once a day", "every day", "daily", "qd", "each day"]),
        ("PRN", ["as needed", "prn", "when needed"]),
    ]

    static func frequency(in q: String) -> String? {
        frequencies.first { _, phrases in phrases.contains { q.contains(" \($0) ") } }?.code
    }

    func medication(_ question: String, _ q: String) -> ChartAnswer? {
        var meds: [String: Item] = [:]  // latest mention of each medication wins
        for item in items where item.group == "medications" {
            guard let name = item.value("name")?.lowercased() else { continue }
            meds[name] = item
        }
        guard !meds.isEmpty else { return nil }
        let ordered = meds.values.sorted { ($0.value("name") ?? "") < ($1.value("name") ?? "") }
        func describe(_ m: Item) -> String {
            [m.value("name"), m.value("dose").map { $0 + (m.value("unit").map { " \($0)" } ?? "") }, m.value("route"),
             m.value("frequency")].compactMap { $0 }.joined(separator: " ")
        }
        // A named medication: "Is she taking metformin?", "What dose of lisinopril…"
        let words = q.split(separator: " ").map(String.init)
        if let named = ordered.first(where: { m in
            let name = (m.value("name") ?? "").lowercased()
            return words.contains { $0.count > 3 && name.split(separator: " ").contains(Substring($0)) }
        }) {
            let status = named.value("status") ?? "active"
            let mentions = items.filter { $0.group == "medications" && $0.value("name")?.lowercased() == named.value("name")?.lowercased() }
            let statuses = Set(mentions.map { $0.value("status") ?? "active" })
            let conflict = statuses.count > 1
                ? "documents disagree (\(statuses.sorted().joined(separator: " vs "))); the latest, \(named.fileName), says \(status)" : nil
            return ChartAnswer(question: question, answer: "\(describe(named)) (\(status))", intent: "medication",
                               citations: mentions.reversed().map { $0.citation("name") }, conflict: conflict)
        }
        if let code = Self.frequency(in: q) {
            let matching = ordered.filter { ($0.value("frequency") ?? "").uppercased().contains(code.uppercased())
                && $0.value("status") != "discontinued" }
            guard !matching.isEmpty else { return notStated(question, "medications") }
            return ChartAnswer(question: question, answer: matching.map(describe).joined(separator: "; "), intent: "medications",
                               citations: matching.map { $0.citation("frequency") }, conflict: nil)
        }
        var wanted: Set<String> = ["active", "new"]
        var intent = "active medications"
        if q.contains(" discontinued ") || q.contains(" stopped ") || q.contains(" stop") {
            wanted = ["discontinued"]
            intent = "discontinued medications"
        } else if q.contains(" new ") || q.contains(" started ") || q.contains(" start") {
            wanted = ["new"]
            intent = "new medications"
        }
        let list = ordered.filter { wanted.contains($0.value("status") ?? "active") }
        guard !list.isEmpty else { return notStated(question, intent) }
        return ChartAnswer(question: question, answer: list.map(describe).joined(separator: "; "), intent: intent,
                           citations: list.map { $0.citation("name") }, conflict: nil)
    }

    // MARK: - Problems, encounters, immunizations

    func problem(_ question: String, _ q: String) -> ChartAnswer? {
        let problems = items.filter { $0.group == "problems" }
        let words = Set(q.split(separator: " ").map(String.init)).subtracting(Self.stopWords)
            .subtracting(["problem", "problems", "diagnosis", "diagnoses", "condition", "conditions", "history", "have", "has",
                          "diagnosed", "suffer", "medical", "list", "active"])
        if !words.isEmpty {
            let match = problems.last { p in
                let name = (p.value("name") ?? "").lowercased()
                return words.contains { w in w.count > 3 && (name.contains(w) || (ProblemNames.synonyms[w] ?? []).contains { name.contains($0) }) }
            }
            if let match {
                return ChartAnswer(question: question, answer: "yes: \(match.value("name")!) (\(match.value("status") ?? "active"))",
                                   intent: "problem", citations: [match.citation("name")], conflict: nil)
            }
            // Not a recorded problem: the page text may still say (or the answer is "not stated").
            return nil
        }
        guard !problems.isEmpty else { return nil }
        let list = Self.unique(problems.map { $0.value("name")! + " (\($0.value("status") ?? "active"))" })
        return ChartAnswer(question: question, answer: list.joined(separator: "; "), intent: "problems",
                           citations: problems.map { $0.citation("name") }, conflict: nil)
    }

    func encounter(_ question: String, _ q: String) -> ChartAnswer {
        let encounters = items.filter { $0.group == "encounters" }
        if q.contains(" discharge") {
            guard let e = encounters.last(where: { $0.value("endDate") != nil }) else { return notStated(question, "discharge date") }
            return ChartAnswer(question: question, answer: e.value("endDate")!, intent: "discharge date",
                               citations: [e.citation("endDate")], conflict: nil)
        }
        if q.contains(" admi") {
            guard let e = encounters.last(where: { $0.value("endDate") != nil }) else { return notStated(question, "admission date") }
            return ChartAnswer(question: question, answer: e.value("date")!, intent: "admission date",
                               citations: [e.citation("date")], conflict: nil)
        }
        guard let last = encounters.last(where: { $0.value("date") != nil }) else { return notStated(question, "visit") }
        return ChartAnswer(question: question, answer: last.value("date")!, intent: "visit", citations: [last.citation("date")],
                           conflict: nil)
    }

    func immunization(_ question: String, _ q: String) -> ChartAnswer {
        let shots = items.filter { $0.group == "immunizations" }
        let synonyms: [(String, [String])] = [("influenza", ["flu", "influenza"]), ("tdap", ["tdap", "tetanus"]),
                                              ("covid", ["covid", "coronavirus"]), ("pneumococcal", ["pneumococcal", "pneumonia"]),
                                              ("hepatitis b", ["hepatitis b", "hep b"])]
        if let (key, _) = synonyms.first(where: { _, words in words.contains { q.contains(" \($0)") } }) {
            let matching = shots.filter { ($0.value("vaccine") ?? "").lowercased().contains(key.split(separator: " ")[0]) }
            guard let latest = matching.max(by: { ($0.value("date") ?? "") < ($1.value("date") ?? "") }) else {
                return notStated(question, "immunization")
            }
            return ChartAnswer(question: question, answer: "\(latest.value("vaccine")!) on \(latest.value("date") ?? "an unstated date")",
                               intent: "immunization", citations: [latest.citation("vaccine")], conflict: nil)
        }
        guard !shots.isEmpty else { return notStated(question, "immunizations") }
        return ChartAnswer(question: question, answer: shots.map { "\($0.value("vaccine")!) \($0.value("date") ?? "")" }
                            .joined(separator: "; "), intent: "immunizations", citations: shots.map { $0.citation("vaccine") },
                           conflict: nil)
    }

    // MARK: - Retrieval and helpers

    func retrieval(_ question: String) -> ChartAnswer {
        let terms = question.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
            .filter { $0.count > 2 && !Self.stopWords.contains($0) }
        guard !terms.isEmpty else { return notStated(question, "search") }
        // Every content word must be on the page: a page that matches only some of them does not
        // answer the question ("hepatitis C" is not answered by "Hepatitis B").
        let hits = search(terms.map { "\"\($0)\"" }.joined(separator: " "))
        guard let best = hits.first else { return notStated(question, "search") }
        return ChartAnswer(question: question, answer: "the chart says: " + best.snippet.replacingOccurrences(of: "\n", with: " "),
                           intent: "search",
                           citations: hits.prefix(3).map { Citation(documentId: $0.documentId, document: $0.document, page: $0.page, snippet: $0.snippet) },
                           conflict: nil)
    }

    func notStated(_ question: String, _ intent: String) -> ChartAnswer {
        ChartAnswer(question: question, answer: ChartAnswer.notStated, intent: intent, citations: [], conflict: nil)
    }

    static func unique(_ list: [String]) -> [String] {
        var seen = Set<String>()
        return list.filter { seen.insert($0.lowercased()).inserted }
    }

    static let stopWords: Set<String> = [
        "what", "whats", "is", "the", "a", "an", "of", "to", "does", "do", "did", "he", "she", "they", "patient", "patients",
        "his", "her", "their", "any", "was", "were", "are", "be", "been", "for", "in", "on", "at", "with", "and", "or", "when",
        "which", "who", "how", "much", "many", "latest", "last", "most", "recent", "current", "currently", "value", "level",
        "result", "results", "chart", "record", "this", "that", "there", "have", "has", "had", "me", "tell", "show", "list",
        "please", "give", "from", "about", "by", "it", "its", "s",
    ]
}
