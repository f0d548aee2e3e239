import ChartModel
import Foundation

/// Checks a value against what its field can hold, before it may be stored `verified`.
///
/// Precision before recall: the rules read values from structure, and structure can be wrong (a
/// wrapped line, a heading read as an item, a grid cell that swallowed the next label). A value
/// that fails its type's check is still stored, as `needs_review` with the reason.
enum FactChecks {
    static let sentenceWords: Set<String> = ["was", "were", "is", "are", "has", "have", "had", "with", "reviewed", "patient",
                                             "the", "and", "on", "for", "to", "of", "in", "at", "by", "from", "this", "that",
                                             "yes", "no", "not", "please", "denies", "reports"]
    static let flagWords: Set<String> = ["h", "l", "high", "low", "hi", "lo", "abnormal", "critical"]
    static let dates = DateNormalizer()
    /// Words that name a chart's sections, never a substance.
    static let sectionWords: Set<String> = ["medications", "problems", "diagnoses", "vitals", "immunizations", "results",
                                            "assessment", "plan", "history"]

    /// The first word of a vaccine name that neither the vaccine names nor their qualifiers hold
    /// (numbers and one-letter words aside), or nil.
    static func unknownVaccineWord(_ value: String) -> String? {
        let tokens = value.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }).map(String.init)
        return tokens.first { token in
            guard token.count >= 2, !token.allSatisfy(\.isNumber) else { return false }
            return !Vocabulary.vaccineWords.contains(token)
        }
    }

    /// Below this mean word confidence a value was read by OCR, not taken from a text layer
    /// (whose words carry 100): its characters may be misread.
    static let readByOCR = 95.0

    /// Characters no name holds; OCR makes them of specks and broken letters ("nasa!", "Clapidogre!").
    static let oddCharacters = CharacterSet(charactersIn: "!|\\“”„°{}[]<>~^_@#$%*=?")

    /// The first word of a name read by OCR that looks misread: it holds a character no name holds, starts with
    /// stray punctuation ("-.rash", ".2"), or is a word of four letters or more (not an abbreviation in capitals)
    /// that neither English nor chartex's vocabularies know ("deficlency", "lodinated"). Nil when every word passes.
    static func misreadWord(_ value: String) -> String? {
        for token in value.split(separator: " ").map(String.init) {
            if token.unicodeScalars.contains(where: oddCharacters.contains) { return token }
            if token.count > 1, let first = token.first, "-.,;:".contains(first),
               token.dropFirst().contains(where: { $0.isLetter || $0.isNumber }) { return token }
            let bare = token.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()'\""))
            for part in bare.split(whereSeparator: { $0 == "-" || $0 == "/" }) {
                guard part.count >= 4, part.allSatisfy(\.isLetter), part != part.uppercased() else { continue }
                if !Vocabulary.isKnownWord(String(part)) { return token }
            }
        }
        return nil
    }

    /// A name read by OCR with its misread words spelled as the closest known word (`Vocabulary.closestWord`), the
    /// printed capitals kept ("Vitamin D deticiency" -> "Vitamin D deficiency", "lodinated contrast" -> "Iodinated
    /// contrast"); nil unless every word `misreadWord` objects to was spelled so.
    static func respelled(_ value: String) -> String? {
        guard misreadWord(value) != nil else { return nil }
        var changed = false
        var tokens: [String] = []
        for (index, token) in value.split(separator: " ").map(String.init).enumerated() {
            let core = token.trimmingCharacters(in: CharacterSet(charactersIn: ".,;:()'\""))
            guard misreadWord(token) != nil, !core.isEmpty, let word = Vocabulary.closestWord(core) else {
                tokens.append(token)
                continue
            }
            var spelled = word
            if let first = core.first, first.isUppercase || (index == 0 && "l!|1".contains(first)) {
                spelled = spelled.prefix(1).uppercased() + spelled.dropFirst()
            }
            tokens.append(token.replacingOccurrences(of: core, with: spelled))
            changed = true
        }
        let result = tokens.joined(separator: " ")
        return changed && misreadWord(result) == nil ? result : nil
    }

    /// Why `value` cannot be a `field` of `group`, or nil when it passes. `confidence` is the
    /// mean confidence of the words it was read from.
    static func problem(group: FactGroup, field: FactField, value: String, confidence: Double = 100) -> String? {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let lower = words.map { $0.lowercased().trimmingCharacters(in: .punctuationCharacters) }
        if [.date, .birthDate, .endDate].contains(field) {
            return value.range(of: #"^\d{4}-\d{2}-\d{2}$"#, options: .regularExpression) == nil
                ? "the date \"\(value)\" does not parse" : nil
        }
        switch (group, field) {
        case (.labs, .name):
            if words.contains(where: { RulesExtractor.isValue($0.trimmingCharacters(in: CharacterSet(charactersIn: ".,;"))) }) {
                return "the test name holds a number (a result?)"
            }
            if words.contains(where: { dates.normalize($0) != nil && $0.contains(where: \.isNumber) }) {
                return "the test name holds a date"
            }
            if let last = lower.last, flagWords.contains(last), words.count > 1 { return "the test name holds a flag" }
            if let first = value.first, "([{".contains(first) { return "the test name starts with a bracket" }
            if words.count > 6 || lower.filter(sentenceWords.contains).count >= 2 { return "the test name reads as a sentence" }
            // Read by OCR, a name the lab vocabulary does not know may be misread ("PLE" for PT).
            if confidence < readByOCR, Vocabulary.lab(value) == nil { return "a test the lab vocabulary does not know, read by OCR" }
        case (.labs, .unit):
            // A unit chartex does not know, read by OCR, may be misread ("iFk" for fL).
            if confidence < readByOCR, !ValueNormalizer.isKnownUnit(value) { return "an unknown unit, read by OCR" }
        case (.labs, .referenceRange):
            if value.contains(where: \.isNumber), ReferenceRange(value) == nil { return "the reference range does not parse" }
        case (.medications, .name):
            if words.count > 6 || lower.filter(sentenceWords.contains).count >= 2 { return "the drug name reads as a sentence" }
            if let first = lower.first, sentenceWords.contains(first) { return "the drug name starts with \"\(words[0])\"" }
            if words.contains(where: { dates.normalize($0) != nil && $0.contains(where: \.isNumber) }) {
                return "the drug name holds a date"
            }
            // Read by OCR, a drug the vocabulary knows neither whole nor by its first word may be misread.
            if confidence < readByOCR, Vocabulary.drug(value) == nil, Vocabulary.drug(words.first ?? "") == nil {
                return "a drug the drug vocabulary does not know, read by OCR"
            }
        case (.allergies, .substance):
            if value.contains(where: { ":[]?".contains($0) }) || words.count > 5
                || lower.filter(sentenceWords.contains).count >= 2 {
                return "the substance reads as a sentence, not a substance"
            }
            // "Active and Recent Medications": the next section's heading, read after an empty "Allergies:".
            if lower.contains(where: sectionWords.contains) { return "the substance reads as a section heading" }
        case (.problems, .name):
            if let first = value.first, first.isLowercase { return "starts in lower case: the tail of a wrapped line?" }
            if words.count == 1, value == value.uppercased(), value.count >= 4 { return "a single capitalised word: a heading?" }
            if words.count > 12 { return "the problem reads as a paragraph" }
            // "Glipizide 5 mg PO TID" under a problem heading: a medication list whose heading was missed.
            if value.range(of: #"\b\d+(\.\d+)?\s*(mg|mcg|g|units?|meq|ml)\b"#, options: [.regularExpression, .caseInsensitive]) != nil {
                return "the problem reads as a medication (a dose and unit)"
            }
        case (.encounters, .provider):
            if value.hasSuffix(",") { return "the name ends at a comma: cut short?" }
            if let first = value.first, !first.isLetter { return "the name starts with \"\(first)\": a mark read into it?" }
            // "Ilse Vogel, MO": the credential after the comma is none charts print, so it may be misread.
            if confidence < readByOCR, let comma = value.lastIndex(of: ",") {
                let credentials = value[value.index(after: comma)...].split(whereSeparator: { $0 == " " || $0 == "," || $0 == "/" })
                    .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".")).uppercased() }
                if let odd = credentials.first(where: { !Vocabulary.credentials.contains($0) }) {
                    return "\"\(odd)\" is not a clinical credential, read by OCR"
                }
            }
        case (.patient, .name):
            if value.contains(":") || value.contains(where: \.isNumber) || words.count > 5 {
                return "the name holds a label or number: the grid cell may have swallowed the next field"
            }
        case (.immunizations, .vaccine):
            if words.count > 9 || lower.filter(sentenceWords.contains).count >= 2 { return "the vaccine reads as a sentence" }
            // Read by OCR, a word that names no vaccine and qualifies none ("MCV40", "adjuvantec") may be misread.
            if confidence < readByOCR, let odd = unknownVaccineWord(value) { return "\"\(odd)\" is not a vaccine word, read by OCR" }
            // A lot number ("F3651", "EK5730") is a letter or two and four or more digits.
            if words.contains(where: { $0.range(of: #"^[A-Z]{1,2}\d{4,}$"#, options: .regularExpression) != nil }) {
                return "the vaccine name holds a lot number: a column read into it?"
            }
        default:
            break
        }
        // A name read by OCR with a word no dictionary holds was misread somewhere; a text layer's words (confidence
        // 100) are as printed.
        if confidence < 100, [.problems, .allergies, .medications, .immunizations].contains(group),
           [.name, .substance, .vaccine, .reaction].contains(field), let odd = misreadWord(value) {
            return "\"\(odd)\" is in no dictionary chartex holds, read by OCR: misread?"
        }
        return nil
    }
}
