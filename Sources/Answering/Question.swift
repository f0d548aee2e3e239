import Extraction
import Foundation

/// A question read as an intent with slots: what it is about (the domain and the entity it names),
/// which attribute of it is asked, in which form the answer is wanted, and when.
struct Question: Sendable {
    /// The form the answer takes.
    enum Form: String, Sendable { case value, yesNo = "yes/no", count, date, flag, list }
    /// What part of the chart the question is about.
    enum Domain: String, Sendable {
        case patient, lab, vital, medication, allergy, problem, immunization, encounter, referral
    }
    /// Which attribute of the entity is asked.
    enum Attribute: String, Sendable {
        case value, unit, range, date, flag, dose, frequency, route, reaction, status
        case birthDate, age, mrn, sex, name, trend, provider, facility, specialty, reason, referredTo, diagnosis, disposition
        case admission, discharge, visit
    }
    /// Which of several dated values is wanted.
    enum Time: Equatable, Sendable {
        case latest, first
        case on(String)                 // an ISO date or its prefix (2025-03)
        case between(String, String)
        case admission, discharge
    }
    /// Which medications a list is about.
    enum Status: String, Sendable { case current, discontinued, new, any }

    /// A thing the question names, found in a vocabulary or on the chart.
    struct Entity: Sendable {
        var domain: Domain
        /// The vocabulary's key: a LOINC code, a generic drug name, a vital's stored name, an
        /// ICD-10-CM category, or the diseases a vaccine covers (sorted, comma-separated).
        var key: String
        /// The words as the question wrote them.
        var surface: String
        var start: Int
        var length: Int
    }

    var text: String
    var words: [String]
    var form: Form
    var domain: Domain?
    var attribute: Attribute?
    var entities: [Entity]
    var time: Time
    var status: Status
    /// A dosing frequency the question names (BID, QHS…), for "what does she take at bedtime?".
    var frequency: String?
    /// The question's content words that no cue or entity explains (for names the vocabularies
    /// do not hold: an allergen, a rare condition).
    var leftover: [String]

    func entity(_ domain: Domain) -> Entity? { entities.first { $0.domain == domain } }
}

/// Reads questions into intents and slots. Paraphrases and word order do not matter: cues are
/// words and phrases anywhere in the question, entities come from the vocabularies.
enum QuestionReader {
    static func read(_ text: String) -> Question {
        let original = tokens(text, lowercase: false)
        let words = original.map { $0.lowercased() }
        let padded = " " + words.joined(separator: " ") + " "
        func has(_ phrases: String...) -> Bool { phrases.contains { padded.contains(" \($0) ") } }
        func hasPrefix(_ stems: String...) -> Bool { stems.contains { stem in words.contains { $0.hasPrefix(stem) } } }

        let entities = findEntities(original)
        var q = Question(text: text, words: words, form: .value, domain: nil, attribute: nil, entities: entities,
                         time: readTime(text, words), status: .current, frequency: frequency(padded), leftover: [])

        // The form of the answer.
        let first = words.first ?? ""
        let counting = (has("how many", "number of", "count of", "total number") || first == "count")
            && !has("how many milligrams", "how many mg", "how many units", "how many micrograms", "how many mcg",
                    "how many puffs", "how many tablets", "how many pills", "how many times", "how many kg", "how many pounds")
        let choice = has("high low", "high or low", "low or high", "high low or normal", "normal or abnormal", "abnormal or normal",
                         "in range", "out of range", "within range", "within normal", "which way", "in or out of range")
        if counting {
            q.form = .count
        } else if choice {
            q.form = .flag
        } else if Self.yesNoOpeners.contains(first) || has("or not") {
            q.form = .yesNo
        } else if has("high low", "high or low", "low or high", "in range", "out of range", "within range", "within normal",
                      "normal or abnormal", "abnormal or normal", "was it normal", "was it high", "elevated or", "which way")
                    || (has("abnormal", "normal", "elevated", "high", "low", "flagged", "flag") && !Self.listOpeners.contains(first)
                        && entities.contains { $0.domain == .lab || $0.domain == .vital }) {
            q.form = .flag
        } else if has("when", "what date", "which date", "on what day", "which day", "what day", "date of", "date was", "date did",
                      "what year", "dated") && !has("date of birth") {
            q.form = .date
        } else if Self.listOpeners.contains(first) || has("what are", "what were", "name every", "name the", "name all", "list the",
                                                        "which of", "what other", "anything") {
            q.form = .list
        }
        if q.form == .flag, has("which", "list", "what results", "what tests", "name the") , !entities.contains(where: { $0.domain == .lab }) {
            q.form = .list
        }

        // The domain and attribute, most specific cue first.
        if has("how old", "age", "years old") && !has("date of birth", "dob", "birth date", "birthdate") {
            (q.domain, q.attribute) = (.patient, .age)
        } else if has("date of birth", "dob", "born", "birthday", "birth date", "birthdate", "d o b") {
            (q.domain, q.attribute) = (.patient, .birthDate)
        } else if has("patient s name", "patients name", "name of the patient", "patient name", "patient s full name",
                      "whose chart", "whose record", "who is this patient") || words == ["who", "is", "the", "patient"] {
            (q.domain, q.attribute) = (.patient, .name)
        } else if has("mrn", "medical record number", "record number", "patient id", "chart number", "record", "chart id",
                      "patient number", "patient identifier", "id number", "mr") && !has("on record", "on the record", "record of")
                    && (has("number", "mrn", "id", "identifier", "mr") || first == "record") {
            (q.domain, q.attribute) = (.patient, .mrn)
        } else if has("sex", "gender", "male or female", "female or male", "man or a woman", "woman or a man", "man or woman",
                      "woman or man", "boy or a girl", "boy or girl") {
            (q.domain, q.attribute) = (.patient, .sex)
        } else if has("specialty", "specialist", "kind of doctor", "what service", "which service", "to what service", "department") {
            (q.domain, q.attribute) = (.referral, .specialty)
        } else if has("reason for referral", "reason for the referral", "why is the patient being referred", "why referred",
                      "reason for referring", "referred for", "referral for", "prompted the letter", "consult requested",
                      "concern prompted", "why was the patient referred", "what concern") {
            (q.domain, q.attribute) = (.referral, .reason)
        } else if has("referred to", "to whom", "addressed", "receives this letter", "consultant", "letter is for",
                      "letter for", "letter to", "refer to", "referring to")
                    || (has("referral", "referred", "referring") && ["who", "whom"].contains(first)) {
            (q.domain, q.attribute) = (.referral, .referredTo)
        } else if Self.asksForPlace(words) {
            // "Name of the practice on the record?", "Which hospital…": the place is asked, before
            // the weak medication cue "on" or a hospital stay's words are weighed.
            (q.domain, q.attribute) = (.encounter, .facility)
        } else if hasPrefix("allerg") || has("reaction to", "react to", "reaction", "intolerance", "intolerant", "allergen", "allergens",
                                             "nkda", "sensitivity to", "what happens") {
            q.domain = .allergy
            let asksReaction = has("reaction", "what happens", "what kind of reaction", "react") && !has("any reaction", "reaction to")
                || has("what reaction", "kind of reaction", "what happens", "describe")
            q.attribute = asksReaction && q.form != .yesNo ? .reaction : nil
        } else if entities.contains(where: { $0.domain == .immunization })
                    || hasPrefix("vaccin", "immuniz", "immunis") || has("shot", "shots", "jab", "booster", "inoculation") {
            q.domain = .immunization
            // "When was the flu shot?" asks a date; "Immunization history?" the list.
            if q.form == .value { q.form = entities.contains { $0.domain == .immunization } ? .date : .list }
        } else if let lab = entities.first(where: { $0.domain == .lab }),
                  !(Self.medicationCue(words, padded) && entities.contains { $0.domain == .medication && $0.start == lab.start }) {
            q.domain = .lab
            q.attribute = has("unit", "units") ? .unit : has("range", "reference", "normal range") ? .range
                : has("trend", "trending", "go up", "go down", "gone up", "gone down", "went up", "went down", "increased", "decreased",
                      "improved", "improving", "worsened", "worsening", "changed", "change", "up or down", "better or worse") ? .trend : nil
        } else if entities.contains(where: { $0.domain == .vital }) && !Self.medicationCue(words, padded) {
            q.domain = .vital
        } else if has("principal diagnosis", "admitting diagnosis", "discharge diagnosis", "primary diagnosis", "main diagnosis",
                      "diagnosis for the", "admission diagnosis", "final diagnosis")
                    || (Self.staysStart(padded) || Self.staysEnd(padded) || has("hospital stay", "inpatient stay", "the stay"))
                        && !entities.contains(where: { [.medication, .lab, .vital, .immunization].contains($0.domain) })
                        && (first == "why" || has("diagnosis", "admitted for", "hospitalized for", "hospitalised for", "admission for",
                                                  "reason for admission", "reason for the admission", "reason for hospitalization",
                                                  "led to")) {
            // "Why was the patient hospitalized?", "What was the patient admitted for?": the
            // stay's reason is its principal diagnosis.
            (q.domain, q.attribute) = (.encounter, .diagnosis)
        } else if has("disposition", "discharged to", "where did the patient go", "destination", "discharged home",
                      "sent home", "where was the patient sent", "where did the patient go", "go after") {
            (q.domain, q.attribute) = (.encounter, .disposition)
        } else if !entities.contains(where: { $0.domain == .medication || $0.domain == .problem }) && !Self.strongMedicationCue(padded)
                    && (Self.staysStart(padded) || Self.staysEnd(padded)) {
            // "On what date was the patient discharged?": a hospital stay's date, before the
            // weaker medication cues ("on what") are weighed.
            (q.domain, q.attribute) = (.encounter, Self.staysEnd(padded) && !Self.staysStart(padded) ? .discharge : .admission)
        } else if !entities.contains(where: { $0.domain == .medication }) && !Self.strongMedicationCue(padded)
                    && has("visit", "encounter", "appointment", "date of service", "service date", "seen", "last seen") {
            (q.domain, q.attribute) = (.encounter, .visit)
        } else if entities.contains(where: { $0.domain == .medication }) || Self.medicationCue(words, padded) || q.frequency != nil {
            q.domain = .medication
            if has("dose", "dosage", "strength", "how much", "milligrams", "how many mg", "micrograms", "units of") {
                q.attribute = .dose
            } else if has("how often", "frequency", "schedule", "times a day", "when is", "when does", "how frequently") {
                q.attribute = .frequency
            } else if has("route", "how is", "by what route", "oral", "injected", "inhaled", "by mouth", "how given", "given how") {
                q.attribute = .route
            }
        } else if entities.contains(where: { $0.domain == .problem })
                    || has("problem", "problems", "diagnosis", "diagnoses", "condition", "conditions", "diagnosed", "history of",
                           "suffer", "suffers", "medical history", "comorbidities", "illnesses") {
            q.domain = .problem
        } else if Self.staysStart(padded) {
            (q.domain, q.attribute) = (.encounter, .admission)
        } else if Self.staysEnd(padded) {
            (q.domain, q.attribute) = (.encounter, .discharge)
        } else if has("provider", "clinician", "physician", "doctor", "seen by", "signed", "attending", "ordered", "nurse practitioner",
                      "who saw", "rendering", "author", "wrote") {
            (q.domain, q.attribute) = (.encounter, .provider)
        } else if has("clinic", "facility", "practice", "hospital", "laboratory", "institution", "issued", "where was", "office")
                    && !has("visit") {
            (q.domain, q.attribute) = (.encounter, .facility)
        } else if has("visit", "seen", "encounter", "date of service", "appointment", "service date", "came in", "consultation",
                      "report date", "collected", "letter date", "written", "dated") {
            (q.domain, q.attribute) = (.encounter, .visit)
        } else if has("lab", "labs", "tests", "results", "test results", "bloodwork", "blood work") || q.form == .flag {
            q.domain = .lab
        }

        if q.domain == .medication || q.domain == .immunization || q.domain == .problem || q.domain == .allergy {
            if has("discontinued", "stopped", "no longer", "ended", "stop", "held", "d c", "dc d", "quit", "ceased", "were stopped") {
                q.status = .discontinued
            } else if has("new", "started", "newly", "added", "initiated", "begun", "begin", "start") && !has("still") {
                q.status = .new
            }
        }
        // Content words no cue or entity explains.
        let covered = Set(entities.flatMap { $0.start..<($0.start + $0.length) })
        q.leftover = words.indices.filter { !covered.contains($0) }.map { words[$0] }
            .filter { $0.count > 2 && !Self.function.contains($0) && Double($0) == nil }
        return q
    }

    // MARK: - Entities

    /// Things the question names: labs, vitals, drugs, vaccines and conditions, longest first.
    static func findEntities(_ original: [String]) -> [Question.Entity] {
        let words = original.map { $0.lowercased() }
        var found: [Question.Entity] = []
        var start = 0
        while start < words.count {
            // The longest name of each kind that starts here ("hepatitis B vaccine" is a drug
            // product, and "hepatitis B" the vaccine it is).
            var matched = 0
            var domains = Set<Question.Domain>()
            for length in stride(from: min(Lexicon.maxWords, words.count - start), through: 1, by: -1) {
                let phrase = words[start..<(start + length)].joined(separator: " ")
                let hits = (Lexicon.shared.entries[phrase] ?? []).filter { !domains.contains($0.0) }
                guard !hits.isEmpty else { continue }
                if length == 1, phrase.count <= 3, !shortNameCounts(original, at: start) { continue }
                for (domain, key) in hits {
                    domains.insert(domain)
                    found.append(Question.Entity(domain: domain, key: key,
                                                 surface: original[start..<(start + length)].joined(separator: " "),
                                                 start: start, length: length))
                }
                matched = max(matched, length)
            }
            start += max(matched, 1)
        }
        // A name inside a longer name is not a name of its own ("iron" in "iron deficiency anemia").
        return found.filter { e in
            !found.contains { o in o.length > e.length && o.start <= e.start && o.start + o.length >= e.start + e.length }
        }
    }

    /// Whether a short name (K, Na, Hb, MS) counts here: only as a whole word written with a
    /// capital, and not where it is a vitamin, a hepatitis or a stage ("vitamin K", "hepatitis B").
    static func shortNameCounts(_ original: [String], at index: Int) -> Bool {
        let word = original[index]
        if index > 0, ["vitamin", "vit", "hepatitis", "hep", "type", "stage", "grade", "class", "factor", "lead", "plan"]
            .contains(original[index - 1].lowercased()) { return false }
        if word.count == 3, !Self.function.contains(word.lowercased()), !Self.englishWords.contains(word.lowercased()) { return true }
        return word.contains { $0.isUppercase } || word.contains { $0.isNumber }
    }

    // MARK: - Slots

    static func readTime(_ text: String, _ words: [String]) -> Question.Time {
        let padded = " " + words.joined(separator: " ") + " "
        let dates = datesIn(text)
        if padded.contains(" between "), dates.count >= 2 { return .between(dates[0], dates[1]) }
        if let date = dates.first { return .on(date) }
        if [" first ", " earliest ", " initial ", " baseline ", " original "].contains(where: padded.contains) { return .first }
        if [" at admission ", " on admission ", " when admitted ", " admission "].contains(where: padded.contains),
           !padded.contains(" admission date ") { return .admission }
        if [" at discharge ", " on discharge ", " when discharged ", " before discharge "].contains(where: padded.contains) { return .discharge }
        return .latest
    }

    /// ISO dates (or year-month prefixes) written in the question.
    static func datesIn(_ text: String) -> [String] {
        let normalizer = DateNormalizer()
        var out: [String] = []
        let patterns = [#"\b\d{4}-\d{2}-\d{2}\b"#, #"\b\d{1,2}/\d{1,2}/\d{2,4}\b"#,
                        #"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2},? \d{4}\b"#,
                        #"\b\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}\b"#]
        let lower = text.lowercased()
        var spans: [(Range<String.Index>, String)] = []
        for pattern in patterns {
            var search = lower.startIndex..<lower.endIndex
            while let r = lower.range(of: pattern, options: .regularExpression, range: search) {
                if let iso = normalizer.normalize(String(lower[r])) { spans.append((r, iso)) }
                search = r.upperBound..<lower.endIndex
            }
        }
        // Month and year only: "in March 2025".
        let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                      "november", "december"]
        var search = lower.startIndex..<lower.endIndex
        while let r = lower.range(of: #"\b(?:january|february|march|april|may|june|july|august|september|october|november|december) \d{4}\b"#,
                                  options: .regularExpression, range: search) {
            let parts = lower[r].split(separator: " ")
            if !spans.contains(where: { $0.0.overlaps(r) }), let m = months.firstIndex(of: String(parts[0])) {
                spans.append((r, "\(parts[1])-\(String(format: "%02d", m + 1))"))
            }
            search = r.upperBound..<lower.endIndex
        }
        for (_, iso) in spans.sorted(by: { $0.0.lowerBound < $1.0.lowerBound }) { out.append(iso) }
        return out
    }

    /// A dosing frequency named in plain words or as an abbreviation.
    static func frequency(_ padded: String) -> String? {
        frequencies.first { _, phrases in phrases.contains { padded.contains(" \($0) ") } }?.code
    }

    static let frequencies: [(code: String, phrases: [String])] = [
        ("BID", ["twice daily", "twice a day", "two times a day", "two times daily", "bid", "every 12 hours", "b i d", "twice"]),
        ("TID", ["three times a day", "three times daily", "thrice daily", "tid", "every 8 hours", "t i d", "thrice"]),
        ("QID", ["four times a day", "four times daily", "qid", "every 6 hours"]),
        ("QHS", ["at bedtime", "bedtime", "at night", "nightly", "qhs", "before bed", "every night", "each night", "hs"]),
        ("weekly", ["once a week", "weekly", "every week"]),
        ("daily", ["once daily", "once a day", "every day", "daily", "qd", "each day", "every morning", "in the morning", "qam"]),
        ("PRN", ["as needed", "prn", "when needed", "as required"]),
    ]

    /// Words for the start of a hospital stay: admission, and the plain ways of saying it.
    static func staysStart(_ padded: String) -> Bool {
        ["admitted", "admission", "admit", "hospitalized", "hospitalised", "hospitalization", "hospitalisation",
         "came into the hospital", "come into the hospital", "went into the hospital", "entered the hospital",
         "stay begin", "stay began", "stay start", "stay started", "stay starts", "stay begins"]
            .contains { padded.contains(" \($0) ") }
    }

    /// Words for the end of a hospital stay: discharge, and the plain ways of saying it.
    static func staysEnd(_ padded: String) -> Bool {
        ["discharged", "discharge", "released", "sent home", "went home", "go home", "left the hospital", "leave the hospital",
         "stay end", "stay ended", "stay ends", "stay ending"]
            .contains { padded.contains(" \($0) ") }
    }

    /// Nouns for the place a record comes from.
    static let placeNouns: Set<String> = ["clinic", "facility", "practice", "hospital", "laboratory", "institution", "office",
                                          "center", "centre", "organization", "organisation"]

    /// Whether the question asks for a place by name: an interrogative or "name of (the)" right
    /// before a place noun ("which hospital", "name of the practice", "what clinic"), or the noun
    /// followed by "name" ("clinic name"); not a place noun that qualifies another ("hospital
    /// stay", "office visit").
    static func asksForPlace(_ words: [String]) -> Bool {
        let qualified: Set<String> = ["stay", "course", "admission", "visit", "visits", "day", "days", "discharge", "note"]
        for (index, word) in words.enumerated() where placeNouns.contains(word) {
            if index + 1 < words.count, qualified.contains(words[index + 1]) { continue }
            if index + 1 < words.count, words[index + 1] == "name" { return true }
            var before = index - 1
            if before >= 0, ["the", "this", "that"].contains(words[before]) { before -= 1 }
            guard before >= 0 else { continue }
            if ["which", "what", "whose"].contains(words[before]) { return true }
            if words[before] == "of", before >= 1, words[before - 1] == "name" { return true }
        }
        return false
    }

    /// Nouns that name medications (verbs like "take" or "on" name them only when nothing else is named).
    static func strongMedicationCue(_ padded: String) -> Bool {
        ["medication", "medications", "meds", "med", "medicine", "medicines", "drug", "drugs", "prescribed", "prescription",
         "prescriptions", "dose", "dosage", "dosed", "strength", "milligrams", "pill", "pills", "tablet", "tablets", "rx"]
            .contains { padded.contains(" \($0) ") }
    }

    static func medicationCue(_ words: [String], _ padded: String) -> Bool {
        ["medication", "medications", "meds", "med", "medicine", "medicines", "drug", "drugs", "prescribed", "prescription",
         "prescriptions", "taking", "take", "takes", "taken", "dose", "dosage", "dosed", "strength", "milligrams", "pill", "pills",
         "tablet", "tablets", "on", "using", "use", "uses", "started", "stopped", "discontinued", "rx"]
            .contains { padded.contains(" \($0) ") }
            && !padded.contains(" on file ") && !padded.contains(" on the problem list ") && !padded.contains(" on record ")
            && !padded.contains(" based on ") || padded.contains(" medication") || padded.contains(" drug")
    }

    /// Words split at anything but letters and digits ("covid-19" is two words, as the lexicon's are).
    static func tokens(_ text: String, lowercase: Bool = true) -> [String] {
        let t = lowercase ? text.lowercased() : text
        return t.split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    static let yesNoOpeners: Set<String> = ["is", "are", "was", "were", "does", "do", "did", "has", "have", "had", "can", "could",
                                            "should", "any", "will", "isn", "doesn", "hasn"]
    /// Three-letter English words that are also abbreviations (PAD, CAD, GAD): names only when
    /// written with a capital.
    static let englishWords: Set<String> = ["pad", "cad", "gad", "art", "age", "sat", "tan", "cap", "ion", "bed", "man", "pan",
                                            "lab", "led", "mid", "ace", "arm", "leg", "eye", "ear", "hip", "low", "raw", "sun"]
    static let listOpeners: Set<String> = ["which", "list", "name", "summarize", "enumerate", "show", "give"]
    static let function: Set<String> = [
        "what", "whats", "the", "and", "for", "was", "were", "are", "does", "did", "has", "have", "had", "his", "her", "their",
        "patient", "patients", "this", "that", "there", "with", "from", "about", "any", "when", "which", "who", "whom", "how",
        "much", "many", "latest", "last", "most", "recent", "current", "currently", "value", "level", "result", "results",
        "chart", "record", "please", "give", "tell", "show", "list", "she", "they", "him", "them", "been", "being", "ever",
        "still", "now", "right", "today", "does", "file", "documented", "recorded", "noted", "listed", "history", "known",
        "have", "get", "got", "receive", "received", "name", "every", "all", "each", "into", "onto", "our", "your", "you",
        "can", "could", "should", "would", "will", "its", "also", "one", "per", "not", "but", "or", "of", "to", "in", "on", "at",
        "is", "a", "an", "be", "it", "me", "by", "as", "if", "so", "do", "he",
        // the form's own words: "how many", "the total number of", "count the"
        "number", "total", "count", "counts", "amount",
    ]
}

/// The vocabularies' names as word sequences, built once: labs, vitals, drugs, vaccines, conditions.
final class Lexicon: Sendable {
    static let shared = Lexicon()
    static let maxWords = 5

    /// Phrase (lowercased words joined by one space) -> what it names.
    let entries: [String: [(Question.Domain, String)]]
    init() {
        var entries: [String: [(Question.Domain, String)]] = [:]
        func add(_ name: String, _ domain: Question.Domain, _ key: String) {
            let phrase = QuestionReader.tokens(name).joined(separator: " ")
            guard !phrase.isEmpty, phrase.split(separator: " ").count <= Self.maxWords else { return }
            if !(entries[phrase]?.contains { $0.0 == domain } ?? false) { entries[phrase, default: []].append((domain, key)) }
        }
        for (alias, lab) in Vocabulary.labs { add(alias, .lab, lab.loinc) }
        for vital in Vocabulary.vitals {
            for alias in vital.aliases { add(alias, .vital, vital.name) }
        }
        for (alias, diseases) in Vocabulary.vaccines { add(alias, .immunization, diseases.sorted().joined(separator: ",")) }
        for problem in Vocabulary.problems {
            for alias in problem.aliases { add(alias, .problem, problem.code) }
        }
        for (name, generic) in Vocabulary.drugs where name.count > 3 {
            add(name, .medication, generic)
            // A vaccine product is a vaccine: indexed by the diseases its name names.
            if name.contains("vaccine") || name.contains("toxoid") {
                let words = QuestionReader.tokens(name)
                var diseases = Set<String>()
                for length in 1...min(3, words.count) {
                    for start in 0...(words.count - length) {
                        diseases.formUnion(Vocabulary.vaccines[words[start..<(start + length)].joined(separator: " ")] ?? [])
                    }
                }
                if !diseases.isEmpty { add(name, .immunization, diseases.sorted().joined(separator: ",")) }
            }
        }
        self.entries = entries
    }
}
