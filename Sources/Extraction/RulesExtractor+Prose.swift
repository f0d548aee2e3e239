import ChartModel
import Foundation

/// The prose reader: facts told in sentences, as letters and narrative notes tell them.
///
/// "She takes amlodipine 10 mg daily", "allergic to penicillin (hives)", "a history of
/// hypertension and gout", "her hemoglobin A1c was 8.2 % on 01/05/2026", "we stopped
/// lisinopril". A paragraph's wrapped lines are joined first, so a sentence is read whole.
/// A drug is verified when the drug vocabulary knows its name; everything else read from a
/// sentence is stored `needs_review` with the reason: a sentence is less certain than a table.
extension RulesExtractor {
    static let fromProse = "read from a sentence"

    /// Lines that continue the paragraph of the line before: close below it, starting at its
    /// left edge, the line before running (nearly) to the paragraph's right edge.
    static func paragraphs(_ lines: [[Word]], skip: Set<Int>) -> [[Int]] {
        var result: [[Int]] = []
        var current: [Int] = []
        func flush() {
            if !current.isEmpty { result.append(current) }
            current = []
        }
        for (index, words) in lines.enumerated() {
            guard !skip.contains(index), let box = BoundingBox.union(words.map(\.bbox)) else {
                flush()
                continue
            }
            var continues = false
            if let last = current.last, let previous = BoundingBox.union(lines[last].map(\.bbox)) {
                let right = current.compactMap { BoundingBox.union(lines[$0].map(\.bbox))?.x1 }.max() ?? previous.x1
                let height = max(previous.height, 1)
                continues = box.y0 - previous.y1 < height * 0.9 && abs(box.x0 - previous.x0) < height * 1.5
                    && previous.x1 > right - height * 6 && lines[last].count >= 6
            }
            // A line of one or two words starts no paragraph, but ends one that wraps onto it
            // ("… on July 5," / "2026.").
            if words.count < 3 {
                if continues { current.append(index) }
                flush()
                continue
            }
            if !continues { flush() }
            current.append(index)
        }
        flush()
        return result
    }

    static let proseStopWords: Set<String> = [
        "takes", "taking", "take", "on", "and", "include", "includes", "including", "continues", "continue", "started",
        "start", "starting", "was", "is", "of", "the", "a", "an", "her", "his", "their", "with", "also", "medications",
        "medication", "regimen", "currently", "remains", "stopped", "discontinued", "we", "i", "she", "he", "uses",
        "prescribed", "given", "plus", "then", "now", "daily", "to", "recent", "most", "last", "latest", "showed", "labs",
        "from", "lab", "results", "result", "level", "value", "in", "at", "for", "by", "mg", "mcg", "reports", "report",
        "has", "had", "been", "were", "are", "which", "that", "this", "these", "there", "measured", "drawn", "today",
    ]

    /// Reads the facts a paragraph's sentences state.
    func readProse(_ paragraph: Line, date: String?, into builder: inout Builder) {
        let text = paragraph.text
        guard text.split(separator: " ").count >= 6 else { return }
        readProseMedications(paragraph, text: text, into: &builder)
        readProseAllergies(paragraph, text: text, into: &builder)
        readProseProblems(paragraph, text: text, into: &builder)
        readProseLabs(paragraph, text: text, date: date, into: &builder)
        readProseReferral(paragraph, text: text, into: &builder)
    }

    static let abbreviations: Set<String> = ["mr", "ms", "mrs", "dr", "st", "vs", "no", "e.g", "i.e", "approx", "jr", "sr"]

    /// The sentences of a paragraph: split after ". " unless the word before is a title or an
    /// abbreviation ("Mr. Roe", "Dr. Lee") or a single letter ("Maria L. Gonzalez").
    static func sentences(_ text: String) -> [Range<String.Index>] {
        var result: [Range<String.Index>] = []
        var start = text.startIndex
        var search = text.startIndex
        while let dot = text.range(of: ". ", range: search..<text.endIndex) {
            search = dot.upperBound
            let before = text[start..<dot.lowerBound].split(separator: " ").last.map { $0.lowercased() } ?? ""
            if abbreviations.contains(before) || before.count == 1 { continue }
            result.append(start..<text.index(after: dot.lowerBound))
            start = dot.upperBound
        }
        if start < text.endIndex { result.append(start..<text.endIndex) }
        return result
    }

    // MARK: - Referral

    /// The specialty a letter sends the patient to, in a sentence that refers, sends, asks to
    /// evaluate or see ("I am referring Ms. Roe to cardiology"), and why ("for evaluation of
    /// chest pain", "because of …", "regarding …", "the reason for referral is …").
    func readProseReferral(_ line: Line, text: String, into builder: inout Builder) {
        for sentenceRange in Self.sentences(text) {
            let sentence = String(text[sentenceRange])
            guard sentence.lowercased().range(of: #"\b(refer|referring|referred|referral|sending|send|evaluate|evaluation|consult|consultation|see)\b"#,
                              options: .regularExpression) != nil else { continue }
            if let found = Vocabulary.longestSpecialty(in: sentence) {
                let start = text.index(sentenceRange.lowerBound, offsetBy: found.offset)
                let end = text.index(start, offsetBy: found.length)
                let printed = String(text[start..<end])
                builder.addEncounterField(.specialty, raw: printed, value: printed, line: line,
                                          words: Self.wordRange(of: start..<end, in: line), review: Self.fromProse)
            }
            let reasonPattern = #"(?:for (?:further )?(?:evaluation|assessment|management|workup|consideration|treatment) of|because of|due to|regarding|concerning|reason for (?:referral|consultation) is)\s+([^.;]{3,80})"#
            if let match = Self.matches(reasonPattern, in: sentence).first, let reason = Self.string(match, 1, in: sentence) {
                let value = reason.trimmingCharacters(in: .whitespaces.union(.punctuationCharacters))
                let range = text.range(of: value, options: [], range: sentenceRange) ?? sentenceRange
                builder.addEncounterField(.reason, raw: value, value: value, line: line, words: Self.wordRange(of: range, in: line),
                                          review: Self.fromProse)
            }
        }
    }

    static func matches(_ pattern: String, in text: String) -> [NSTextCheckingResult] {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]) else { return [] }
        return regex.matches(in: text, range: NSRange(text.startIndex..., in: text))
    }

    static func string(_ match: NSTextCheckingResult, _ group: Int, in text: String) -> String? {
        guard group < match.numberOfRanges, let range = Range(match.range(at: group), in: text) else { return nil }
        return String(text[range])
    }

    // MARK: - Medications

    /// "<drug> 10 mg daily": the drug is the longest run of the (up to three) words before the
    /// dose that the vocabulary knows, else the last of them.
    func readProseMedications(_ line: Line, text: String, into builder: inout Builder) {
        let pattern = #"((?:[A-Za-z][A-Za-z-]*\s+){0,2}[A-Za-z][A-Za-z-]*)\s+(\d+(?:\.\d+)?)\s*(mg|mcg|g|units?|meq|ml)\b(?!/)([^.;,]*?)(?=\s+(?:and|plus|with)\s|[.;,]|$)"#
        for match in Self.matches(pattern, in: text) {
            guard let before = Self.string(match, 1, in: text), let dose = Self.string(match, 2, in: text),
                  let unit = Self.string(match, 3, in: text), let whole = Range(match.range, in: text) else { continue }
            let candidates = before.split(separator: " ").map(String.init)
            var name: String?
            var known = false
            for start in candidates.indices {
                let phrase = candidates[start...].joined(separator: " ")
                if Vocabulary.drug(phrase) != nil { name = phrase; known = true; break }
            }
            // A known drug and its modifier ("bupropion XL", "metoprolol succinate ER").
            if name == nil, let start = candidates.indices.first(where: { Vocabulary.drug(candidates[$0]) != nil }) {
                let modifiers = candidates[(start + 1)...].prefix { !Self.proseStopWords.contains($0.lowercased()) }
                name = ([candidates[start]] + modifiers).joined(separator: " ")
                known = true
            }
            if name == nil, let last = candidates.last, !Self.proseStopWords.contains(last.lowercased()), last.count >= 4 {
                name = last
            }
            guard let name, !builder.has(.medications, field: .name, value: name) else { continue }
            // The sig runs to the next drug ("… daily and lisinopril 10 mg …").
            var rest = Self.string(match, 4, in: text) ?? ""
            if let next = rest.range(of: #"\s(and|,|plus)\s"#, options: .regularExpression) { rest = String(rest[..<next.lowerBound]) }
            guard let sig = SigParser.parse("\(name) \(dose) \(unit) \(rest)") else { continue }
            let clauseStart = text[..<whole.lowerBound].lastIndex(where: { ".;".contains($0) }).map { text.index(after: $0) } ?? text.startIndex
            let clause = text[clauseStart..<whole.lowerBound].lowercased()
            var status = "active"
            if clause.range(of: #"\b(stopped|discontinued|d/c|stop|discontinue)\b"#, options: .regularExpression) != nil {
                status = "discontinued"
            } else if clause.range(of: #"\b(hold|held|holding)\b"#, options: .regularExpression) != nil {
                status = "held"
            } else if clause.range(of: #"(^|[^a-z])(start|begin|initiate)\b"#, options: .regularExpression) != nil,
                      clause.range(of: #"\b(was|were|been|is)\b"#, options: .regularExpression) == nil {
                status = "new"
            }
            let review = known ? nil : "\(Self.fromProse); \"\(name)\" is not in the drug vocabulary"
            let item = builder.newItem(.medications)
            let nameWords = Self.wordRange(of: text.range(of: name, options: .caseInsensitive, range: whole) ?? whole, in: line)
            builder.add(.medications, item, .name, raw: name, value: name, line: line, words: nameWords, review: review)
            let doseRange = text.range(of: dose, options: [], range: whole) ?? whole
            builder.add(.medications, item, .dose, raw: dose, value: dose, line: line,
                        words: Self.wordRange(of: doseRange, in: line), review: review)
            if let u = sig.unit {
                builder.add(.medications, item, .unit, raw: unit, value: u, line: line,
                            words: Self.wordRange(of: doseRange, in: line), review: review)
            }
            if let route = sig.route {
                builder.add(.medications, item, .route, raw: route, value: route, line: line,
                            words: Self.wordRange(of: whole, in: line), review: review)
            }
            if let frequency = sig.frequency {
                builder.add(.medications, item, .frequency, raw: frequency, value: frequency, line: line,
                            words: Self.wordRange(of: whole, in: line), review: review)
            }
            builder.add(.medications, item, .status, raw: status, value: status, line: line, words: nameWords, review: review)
        }
        // "we stopped lisinopril": a known drug stopped without a dose.
        for match in Self.matches(#"\b(?:stopped|discontinued|d/c'?d|stop|discontinue)\s+(?:the\s+|his\s+|her\s+)?([A-Za-z][A-Za-z-]{3,})"#, in: text) {
            guard let name = Self.string(match, 1, in: text), Vocabulary.drug(name) != nil,
                  !builder.has(.medications, field: .name, value: name), let whole = Range(match.range, in: text) else { continue }
            let item = builder.newItem(.medications)
            let words = Self.wordRange(of: whole, in: line)
            builder.add(.medications, item, .name, raw: name, value: name, line: line, words: words)
            builder.add(.medications, item, .status, raw: "discontinued", value: "discontinued", line: line, words: words)
        }
    }

    // MARK: - Allergies

    func readProseAllergies(_ line: Line, text: String, into builder: inout Builder) {
        if text.range(of: #"(?i)\bno known (drug )?allergies\b|\bNKDA\b"#, options: .regularExpression) != nil {
            if !builder.has(.allergies, field: .substance, value: "NKDA"),
               let range = text.range(of: #"(?i)\bno known (drug )?allergies\b|\bNKDA\b"#, options: .regularExpression) {
                let item = builder.newItem(.allergies)
                let words = Self.wordRange(of: range, in: line)
                builder.add(.allergies, item, .substance, raw: String(text[range]), value: "NKDA", line: line, words: words)
                builder.add(.allergies, item, .noKnownAllergies, raw: String(text[range]), value: "true", line: line, words: words)
            }
            return
        }
        let pattern = #"\b(?:allergic to|allergy to|allergies to|allergy:|allergies:|cannot take|can't take|intolerant (?:of|to)|intolerance to|reaction to)\s+([A-Za-z][A-Za-z-]*(?:\s+[A-Za-z][A-Za-z-]*){0,3}?)(?:\s*\(([^)]{1,40})\)|\s+(?:causing|with|which causes|leading to|resulting in)\s+([A-Za-z][A-Za-z -]{1,30}?))?(?=\s*[.,;)]|\s+and\b|\s*$)"#
        for match in Self.matches(pattern, in: text) {
            guard var substance = Self.string(match, 1, in: text), let whole = Range(match.range, in: text) else { continue }
            substance = substance.trimmingCharacters(in: .whitespaces)
            let reaction = Self.string(match, 2, in: text) ?? Self.string(match, 3, in: text)
            guard substance.count >= 3, !Self.proseStopWords.contains(substance.lowercased()) else { continue }
            if let existing = builder.facts.first(where: { $0.group == .allergies && $0.field == .substance
                && $0.value.lowercased() == substance.lowercased() }) {
                // Read before from one line; the sentence, joined across the wrap, adds the reaction.
                if let reaction, !builder.facts.contains(where: { $0.group == .allergies && $0.item == existing.item && $0.field == .reaction }) {
                    let value = reaction.trimmingCharacters(in: .whitespaces)
                    builder.add(.allergies, existing.item, .reaction, raw: value, value: value, line: line,
                                words: Self.wordRange(of: text.range(of: value, options: [], range: whole) ?? whole, in: line))
                }
                continue
            }
            let review = Vocabulary.drug(substance) != nil ? nil : Self.fromProse
            let item = builder.newItem(.allergies)
            let words = Self.wordRange(of: text.range(of: substance, options: [], range: whole) ?? whole, in: line)
            builder.add(.allergies, item, .substance, raw: substance, value: substance, line: line, words: words, review: review)
            if let reaction {
                let value = reaction.trimmingCharacters(in: .whitespaces)
                builder.add(.allergies, item, .reaction, raw: value, value: value, line: line,
                            words: Self.wordRange(of: text.range(of: value, options: [], range: whole) ?? whole, in: line), review: review)
            }
        }
    }

    // MARK: - Problems

    /// "a history of A and B", "Past history: A; B", "Diagnoses: A, B", "a patient with A and B".
    func readProseProblems(_ line: Line, text: String, into builder: inout Builder) {
        let pattern = #"\b(?:history of|past (?:medical )?history(?:\s+(?:includes|is notable for))?:?|diagnoses:|diagnosed with|known conditions (?:are|include)|conditions:|(?:patient|man|woman|gentleman|lady)(?: of mine)? with)\s+([^.]+)"#
        for match in Self.matches(pattern, in: text) {
            guard var list = Self.string(match, 1, in: text), let listRange = Range(match.range(at: 1), in: text) else { continue }
            // The list of conditions ends at the sentence's verb or a relative clause.
            if let end = list.range(of: #"\s+(who|whom|which|that|presenting|presented|presents|admitted|referred|seen|is|was|has|had|comes|came|returns|now|here|in|on|to|after|for|since|status)\b"#,
                                    options: [.regularExpression, .caseInsensitive]) {
                list = String(list[..<end.lowerBound])
            }
            for part in list.components(separatedBy: CharacterSet(charactersIn: ",;")).flatMap({ $0.components(separatedBy: " and ") }) {
                let name = part.trimmingCharacters(in: .whitespaces.union(.punctuationCharacters))
                let words = name.split(separator: " ")
                guard name.count >= 3, words.count <= 8, name.first?.isLetter == true,
                      !Self.proseStopWords.contains(words.first!.lowercased()),
                      !builder.facts.contains(where: { $0.group == .problems && $0.field == .name && Self.similar($0.value, name) })
                else { continue }
                let item = builder.newItem(.problems)
                let range = Self.wordRange(of: text.range(of: name, options: [], range: listRange) ?? listRange, in: line)
                builder.add(.problems, item, .name, raw: name, value: name, line: line, words: range, review: Self.fromProse)
                builder.add(.problems, item, .status, raw: "active", value: "active", line: line, words: range, review: Self.fromProse)
            }
        }
    }

    // MARK: - Labs

    static let vitalWords: Set<String> = ["pressure", "pulse", "rate", "temperature", "temp", "weight", "height", "saturation",
                                          "spo2", "sat", "bmi", "respirations", "respiratory", "oxygen"]

    /// "<test> was 8.2 % on <date>", "a <test> of 410 mg/dL", "Most recent <test> 75 IU/L (<date>)".
    func readProseLabs(_ line: Line, text: String, date: String?, into builder: inout Builder) {
        // "<test> on <date>: <value> <unit>": the date may come between the name and the value.
        // Units: a percentage, a count per volume ("x10^3/uL", "10*9/L"), or a unit per unit.
        let datePattern = #"\d{1,4}[/-]\d{1,2}[/-]\d{2,4}|[A-Z][a-z]+\.? \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]{2} \d{4}|\d{2}-[A-Z]{3}-\d{4}"#
        let pattern = #"((?:[A-Za-z][A-Za-z0-9,-]*\s+){0,5}?[A-Za-z][A-Za-z0-9-]*)(?:\s+(?:on|from|dated)\s+("#
            + datePattern + #"))?\s*(?::|=|\bwas\b|\bof\b|\bis\b|\bmeasured\b|\bat\b)?\s*([<>]?\d+(?:\.\d+)?)\s*(%|[xX]?10(?:\^|\*|e)\d{1,2}/[A-Za-zµ]{1,3}|[A-Za-zµ]{1,6}/[A-Za-z0-9.^]{1,12}(?:/[A-Za-z0-9.]{1,6})?)(?=[\s.,;)]|$)"#
        for match in Self.matches(pattern, in: text) {
            guard let rawName = Self.string(match, 1, in: text), let value = Self.string(match, 3, in: text),
                  let unit = Self.string(match, 4, in: text), let whole = Range(match.range, in: text) else { continue }
            let printedDate = Self.string(match, 2, in: text).flatMap { dates.normalize($0) }
            var words = rawName.split(separator: " ").map(String.init)
            // The test's name: after the last word that is not part of one ("her", "showed a").
            if let cut = words.lastIndex(where: { Self.proseStopWords.contains($0.lowercased().trimmingCharacters(in: .punctuationCharacters)) }) {
                words = Array(words[(cut + 1)...])
            }
            var name = words.joined(separator: " ").trimmingCharacters(in: .punctuationCharacters)
            // A test the lab vocabulary knows, by the longest run of its last words.
            guard let known = words.indices.first(where: { Vocabulary.lab(words[$0...].joined(separator: " ")) != nil })
            else { continue }
            name = words[known...].joined(separator: " ").trimmingCharacters(in: .punctuationCharacters)
            guard name.count >= 2, name.contains(where: \.isLetter),
                  !words.contains(where: { Self.vitalWords.contains($0.lowercased()) }),
                  Vocabulary.drug(name) == nil || ValueNormalizer.isKnownUnit(unit)
            else { continue }
            // Already read with this value (a note's prose repeating its own table); the same
            // test with another value is another result (a packet's letter citing a newer one).
            let formatted = ValueNormalizer.number(value).map { Self.format($0) } ?? value
            let sameName = Set(builder.facts.filter { $0.group == .labs && $0.field == .name && $0.value.lowercased() == name.lowercased() }
                .map(\.item))
            guard !builder.facts.contains(where: { $0.group == .labs && $0.field == .value && sameName.contains($0.item) && $0.value == formatted })
            else { continue }
            // The date: one printed in the same sentence, else the document's.
            let sentenceStart = text[..<whole.lowerBound].range(of: #"\.\s"#, options: [.regularExpression, .backwards])?.upperBound ?? text.startIndex
            let sentenceEnd = text[whole.upperBound...].range(of: #"\.(\s|$)"#, options: .regularExpression)?.lowerBound ?? text.endIndex
            let sentence = String(text[sentenceStart..<sentenceEnd])
            let found = sentence.matches(of: /\d{1,4}[\/-]\d{1,2}[\/-]\d{2,4}|[A-Z][a-z]+ \d{1,2}, \d{4}|\d{1,2} [A-Z][a-z]{2} \d{4}|\d{2}-[A-Z]{3}-\d{4}/)
                .compactMap { dates.normalize(String($0.output)) }
            let labDate = printedDate ?? (found.count == 1 ? found[0] : date)
            let item = builder.newItem(.labs)
            let nameWords = Self.wordRange(of: text.range(of: name, options: .caseInsensitive, range: whole) ?? whole, in: line)
            builder.add(.labs, item, .name, raw: name, value: name, line: line, words: nameWords, review: Self.fromProse)
            let number = ValueNormalizer.number(value)
            let valueWords = Self.wordRange(of: text.range(of: value, options: [], range: whole) ?? whole, in: line)
            builder.add(.labs, item, .value, raw: value, value: number.map { Self.format($0) } ?? value, line: line,
                        words: valueWords, review: Self.fromProse)
            builder.add(.labs, item, .unit, raw: unit, value: ValueNormalizer.unit(unit), line: line, words: valueWords,
                        review: Self.fromProse)
            if let labDate { builder.add(.labs, item, .date, raw: labDate, value: labDate, line: line, words: 0..<0, review: Self.fromProse) }
        }
    }
}
