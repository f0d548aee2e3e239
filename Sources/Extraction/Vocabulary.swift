import Foundation

/// Terminology loaded from the resource files in `Vocabulary/` (each names its source and
/// licence in its header). Loaded once, on first use.
public enum Vocabulary {
    /// Drug names, generic and brand, lowercased, each with the generic it stands for.
    public static let drugs: [String: String] = load("drugs")

    /// The generic a lowercased drug name stands for, or nil when the vocabulary does not know it.
    public static func drug(_ name: String) -> String? {
        let key = name.lowercased().trimmingCharacters(in: .punctuationCharacters.union(.whitespaces))
        return drugs[key]
    }

    /// Clinical specialties by the words letters use for them ("cardiology", "cardiologist").
    public static let specialties: [String: String] = load("specialties")

    /// The longest specialty named in `text`, as whole words: its character offset and length.
    public static func longestSpecialty(in text: String) -> (offset: Int, length: Int)? {
        let lower = Array(text.lowercased())
        guard lower.count == text.count else { return nil }
        var best: (offset: Int, length: Int)?
        for name in specialties.keys where name.count >= 3 && name.count > (best?.length ?? 0) {
            let key = Array(name)
            var i = 0
            while i + key.count <= lower.count {
                if lower[i..<(i + key.count)].elementsEqual(key),
                   i == 0 || !lower[i - 1].isLetter, i + key.count == lower.count || !lower[i + key.count].isLetter {
                    best = (i, key.count)
                    break
                }
                i += 1
            }
        }
        return best
    }

    /// Laboratory tests by their printed names and abbreviations (lowercased): LOINC code and
    /// component.
    public static let labs: [String: (loinc: String, component: String)] = {
        var table: [String: (loinc: String, component: String)] = [:]
        for (code, rest) in load("labs") {
            let parts = rest.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            for alias in parts[1].split(separator: "|") { table[String(alias)] = (code, parts[0]) }
            table[parts[0].lowercased()] = (code, parts[0])
        }
        return table
    }()

    /// Reactions to an allergen or drug (reactions.tsv), every name lower case.
    static let reactions: Set<String> = Set(load("reactions").values.flatMap { $0.split(separator: "|").map(String.init) })

    /// The reaction that ends an allergy entry whose dash OCR lost ("Ibuprofen wheezing", "Erythromycin + GI upset"):
    /// the entry split into the substance and the reaction's words as printed, when its last one to three words
    /// name a reaction and what is left before them is a substance of one or two words.
    public static func substanceAndReaction(_ entry: String) -> (substance: String, reaction: String)? {
        let words = entry.split(separator: " ").map(String.init)
        guard words.count >= 2 else { return nil }
        for count in stride(from: min(3, words.count - 1), through: 1, by: -1) {
            let tail = words.suffix(count).joined(separator: " ")
            guard reactions.contains(tail.lowercased().trimmingCharacters(in: .punctuationCharacters)) else { continue }
            let head = words.dropLast(count).filter { $0.contains(where: \.isLetter) }
            guard (1...2).contains(head.count) else { return nil }
            return (head.joined(separator: " "), tail.trimmingCharacters(in: .punctuationCharacters))
        }
        return nil
    }

    /// The units reports print for each test (lab-units.tsv), by LOINC code, the conventional one first.
    static let labUnits: [String: [String]] = load("lab-units").mapValues { $0.split(separator: "|").map(String.init) }

    /// The unit a unit cell OCR garbled stands for, from the units the test is reported in ("mg/d", "mag/db" for a
    /// glucose: mg/dL): the one of them closest to what was read, within an edit for every two characters of it
    /// (OCR's swaps costing half), the conventional unit when two are as close. Nil when the test is unknown (even by
    /// its shape or closest name), or none of its units is that close.
    public static func usualUnit(ofTest name: String, read: String) -> String? {
        let trimmed = name.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ":;,."))
        guard let test = lab(trimmed) ?? labByShape(trimmed) ?? closestLab(trimmed).flatMap({ labs[$0] }),
              let units = labUnits[test.loinc] else { return nil }
        let key = Array(read.lowercased().utf8)
        guard key.count >= 2 else { return nil }
        var best: (unit: String, cost: Double)?
        for unit in units {
            guard let cost = unitReadingCost(key, unit) else { continue }
            if best.map({ cost < $0.cost }) ?? true { best = (unit, cost) }
        }
        return best?.unit
    }

    /// How far `read` (lower case) is from `unit` as OCR garbles units: weighted edits, within one for every two
    /// characters of the unit; nil when further.
    static func unitReadingCost(_ read: [UInt8], _ unit: String) -> Double? {
        let known = Array(unit.lowercased().utf8)
        return editCost(read, known, limit: max(1, Double(known.count) / 2))
    }

    /// The LOINC code and component of a printed test name, or nil when the vocabulary does not know it.
    public static func lab(_ name: String) -> (loinc: String, component: String)? {
        let key = name.lowercased().trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ":;,."))
        return labs[key] ?? labs[key.replacingOccurrences(of: #"\s*\([^)]*\)$"#, with: "", options: .regularExpression)]
    }

    /// The lab a name read by OCR stands for when it is not in the vocabulary as read but one
    /// vocabulary name has its shape once OCR's usual confusions are undone (1/l/I/t/|, 0/O,
    /// 5/S: "HbAtc" is HbA1c). Nil when no name, or more than one, has that shape, or the name is
    /// shorter than four characters. For finding a fact, not for verifying one: the name stays
    /// as read and FactChecks still sends an unknown OCR'd name to review.
    public static func labByShape(_ name: String) -> (loinc: String, component: String)? {
        let key = shape(name)
        guard key.count >= 4, let candidates = labShapes[key], Set(candidates.map(\.loinc)).count == 1 else { return nil }
        return candidates.first
    }

    /// The generic a drug name read by OCR stands for, by its shape as `labByShape` reads it
    /// ("Lisinoprit" is lisinopril): only when every vocabulary name of that shape is the same
    /// generic, and the name has five characters or more. For finding, not verifying.
    public static func drugByShape(_ name: String) -> String? {
        let key = shape(name.trimmingCharacters(in: .punctuationCharacters.union(.whitespaces)))
        guard key.count >= 5, let generics = drugShapes[key], generics.count == 1 else { return nil }
        return generics.first
    }

    static let drugShapes: [String: Set<String>] = {
        var shapes: [String: Set<String>] = [:]
        for (name, generic) in drugs { shapes[shape(name), default: []].insert(generic) }
        return shapes
    }()

    static func shape(_ name: String) -> String {
        String(name.lowercased().compactMap { character -> Character? in
            switch character {
            case "1", "l", "i", "t", "|", "!": "1"
            case "0", "o": "0"
            case "5", "s": "5"
            case "c", "e": "c"
            case " ", ":", ";", ",", ".": nil
            default: character
            }
        })
    }

    static let labShapes: [String: [(loinc: String, component: String)]] = {
        var shapes: [String: [(loinc: String, component: String)]] = [:]
        for (alias, lab) in labs { shapes[shape(alias), default: []].append(lab) }
        return shapes
    }()

    /// The vocabulary's names of each shape, lower case.
    static let labAliasesByShape: [String: [String]] = {
        var aliases: [String: [String]] = [:]
        for alias in labs.keys { aliases[shape(alias), default: []].append(alias) }
        return aliases
    }()

    /// A test name as OCR misread it, spelled as the vocabulary's name of the same shape ("HbAIc" -> "HbA1c", "C02" ->
    /// "CO2", "Het" -> "Hct"), keeping the printed capitals; nil when the name is known as read, no name or names of
    /// more than one test have that shape, or it is shorter than three characters. The corrected name is for review:
    /// the extractor stores it `needs_review` with what was read. A name of no test's shape is spelled as the closest
    /// test's name (`closestLab`).
    public static func labSpelling(correcting read: String) -> String? {
        let name = read.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ":;,."))
        let key = shape(name)
        guard lab(name) == nil, key.count >= 3 else { return nil }
        if let candidates = labShapes[key], Set(candidates.map(\.loinc)).count == 1,
           let alias = labAliasesByShape[key]?.filter({ $0.count == name.count }).min() {
            return spelledLike(name, alias)
        }
        return closestLab(name).flatMap { spelledLike(name, $0) }
    }

    /// The test a name OCR misread beyond its shape and closest name stands for when the unit printed with it says
    /// which ("Hgh" in g/dL: Hgb; "eGER" in mL/min/1.73m2: eGFR; "WAC" in "X1043/uL": WBC): the only test whose name
    /// of three characters or more is within one edit of the name read (OCR's swaps costing half) and that is
    /// reported in the unit read, or in one that unit is a garbled reading of (within an edit for every two of its
    /// characters, as `usualUnit` reads it). Spelled with the capitals read; nil when the name is known, or none or
    /// several tests are that close. For review, as `labSpelling`.
    public static func labSpelling(correcting read: String, unitRead: String) -> String? {
        let name = read.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ":;,."))
        let key = Array(name.lowercased().utf8)
        let unit = Array(unitRead.lowercased().utf8)
        guard lab(name) == nil, key.count >= 3, key.count <= 40, unit.count >= 2 else { return nil }
        let reported = Set(labUnits.compactMap { loinc, units in units.contains { unitReadingCost(unit, $0) != nil } ? loinc : nil })
        guard !reported.isEmpty else { return nil }
        return closest(key, among: labAliases.filter { reported.contains($0.id) }, limit: 1.0).flatMap { spelledLike(name, $0) }
    }

    /// The vocabulary's test name closest to a name OCR misread beyond its shape ("Hyb" for Hgb, "VACR" for UACR,
    /// "Vitamin 812", "HOL cholesterol"): the only test within half an edit (names of three or four characters) or one
    /// edit (longer), where swapping characters OCR confuses costs half an edit. Lower case, as the vocabulary has it.
    static func closestLab(_ name: String) -> String? {
        let read = Array(name.lowercased().utf8)
        guard read.count >= 3, read.count <= 40 else { return nil }
        return closest(read, among: labAliases, limit: read.count <= 4 ? 0.5 : 1.0)
    }

    static let labAliases: [(name: [UInt8], id: String)] = labs.map { (Array($0.key.utf8), $0.value.loinc) }

    /// The condition a problem name OCR misread stands for ("Iran deficiency anemia", "Vitamin 0 deficiency"): the
    /// only condition of the problem vocabulary whose title or name of eight characters or more is within one edit of
    /// it, OCR's swaps costing half. Spelled with the capitals read; nil when the name is known as read, or none or
    /// several conditions are that close.
    public static func problemSpelling(correcting read: String) -> String? {
        let name = read.trimmingCharacters(in: .whitespaces)
        let key = Array(name.lowercased().utf8)
        guard key.count >= 8, key.count <= 60, !problemNames.contains(where: { $0.name == key }),
              let alias = closest(key, among: problemNames, limit: 1.0) else { return nil }
        return spelledLike(name, alias)
    }

    static let problemNames: [(name: [UInt8], id: String)] = problems.flatMap { problem in
        problem.aliases.filter { $0.utf8.count >= 8 }.map { (Array($0.utf8), problem.code) }
    }

    /// The name in `names` closest to `read` by `editCost` within `limit`, when only one entry (`id`) is closest. A
    /// digit read for another digit is no misreading to undo ("Free T3" is not Free T4, "Type 1" not Type 2).
    static func closest(_ read: [UInt8], among names: [(name: [UInt8], id: String)], limit: Double) -> String? {
        func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
        var best: (name: [UInt8], id: String, cost: Double)?
        var tied = false
        for (name, id) in names where name.count >= 3 && abs(name.count - read.count) <= 1 {
            if name.count == read.count, zip(read, name).contains(where: { $0 != $1 && isDigit($0) && isDigit($1) }) { continue }
            guard let cost = editCost(read, name, limit: limit) else { continue }
            if let current = best {
                if cost < current.cost {
                    best = (name, id, cost)
                    tied = false
                } else if cost == current.cost, id != current.id {
                    tied = true
                } else if cost == current.cost, abs(name.count - read.count) < abs(current.name.count - read.count)
                            || (name.count == current.name.count && name.lexicographicallyPrecedes(current.name)) {
                    // Two names of the same entry as close: the one as long as what was read, then the first in
                    // order, whatever order the names come in (from a dictionary, whose order changes from run to run).
                    best = (name, id, cost)
                }
            } else {
                best = (name, id, cost)
            }
        }
        guard let best, !tied else { return nil }
        return String(decoding: best.name, as: UTF8.self)
    }

    /// `alias` with the capitals of the name it was read as, letter for letter where the two are as long.
    static func spelledLike(_ name: String, _ alias: String) -> String? {
        guard alias.count == name.count else {
            let capitalised = name.first?.isUppercase == true ? alias.prefix(1).uppercased() + alias.dropFirst() : alias
            return name.allSatisfy({ !$0.isLowercase }) ? alias.uppercased() : capitalised
        }
        var spelled = ""
        var capitals = false
        for (printed, wanted) in zip(name, alias) {
            if printed.isLetter { capitals = printed.isUppercase }
            if printed.lowercased() == String(wanted) {
                spelled.append(printed)
            } else {
                // A letter read as a digit or sign is a capital among capitals or digits ("C02" CO2, "812" B12).
                spelled += wanted.isLetter && (printed.isUppercase || (!printed.isLetter && (capitals || printed.isNumber)))
                    ? wanted.uppercased() : String(wanted)
            }
        }
        return spelled == name ? nil : spelled
    }

    /// Vaccines by the names records print and people say ("Tdap", "shingles", "flu"): the
    /// diseases each protects against.
    public static let vaccines: [String: Set<String>] = load("vaccines").mapValues {
        Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }

    /// Every word of the vaccine names (split at spaces, commas and brackets) and the words that
    /// qualify them (vaccine-words.tsv), lower case.
    public static let vaccineWords: Set<String> = {
        var words = Set(rows("vaccine-words").compactMap { $0.first?.lowercased() })
        for name in vaccines.keys {
            for word in name.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "-") }) {
                words.insert(String(word))
            }
        }
        return words
    }()

    /// Clinical credentials as printed after a name (credentials.tsv), upper case.
    public static let credentials: Set<String> = Set(rows("credentials").compactMap { $0.first?.uppercased() })

    /// Vital signs: the stored name, its LOINC code and the names notes print and people say.
    public static let vitals: [(name: String, loinc: String, aliases: [String])] = rows("vitals").compactMap { row in
        row.count == 3 ? (row[0], row[1], row[2].split(separator: "|").map(String.init)) : nil
    }

    /// Common conditions: the ICD-10-CM category, its title, and the names people use for it.
    public static let problems: [(code: String, title: String, aliases: [String])] = rows("problems").compactMap { row in
        row.count == 3 ? (row[0], row[1], [row[1].lowercased()] + row[2].split(separator: "|").map(String.init)) : nil
    }

    /// A resource file's lines, split at tabs (comment lines left out).
    /// English words of four letters or more (english-words.tsv: Webster's Second, public domain) and every word of
    /// the other vocabularies (drug, test, problem, vaccine and specialty names), lower case.
    static let knownWords: Set<String> = {
        var words = Set<String>()
        if let url = Bundle.module.url(forResource: "english-words", withExtension: "tsv", subdirectory: "Vocabulary")
            ?? Bundle.module.url(forResource: "english-words", withExtension: "tsv"),
           let text = try? String(contentsOf: url, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") { words.insert(String(line)) }
        }
        let names = Array(drugs.keys) + Array(drugs.values) + Array(labs.keys) + labs.values.map(\.component)
            + Array(vaccines.keys) + Array(vaccineWords) + Array(specialties.keys)
            + rows("problems").flatMap { $0 }
        for name in names {
            for word in name.lowercased().split(whereSeparator: { !$0.isLetter }) where word.count >= 4 { words.insert(String(word)) }
        }
        return words
    }()

    /// Whether a word (letters only, any case) is English or a vocabulary's, as printed or with a usual ending taken
    /// off ("peanuts", "iodinated", "sulfonamides"); words under four letters are not judged.
    public static func isKnownWord(_ word: String) -> Bool {
        let lower = word.lowercased()
        guard lower.count >= 4 else { return true }
        if knownWords.contains(lower) { return true }
        for (ending, replacement) in endings where lower.hasSuffix(ending) && lower.count - ending.count >= 3 {
            if knownWords.contains(String(lower.dropLast(ending.count)) + replacement) { return true }
        }
        return false
    }

    /// Usual endings, and what a word's stem ends with before them ("iodinated": iodinate + d).
    static let endings: [(String, String)] = [("s", ""), ("es", ""), ("ies", "y"), ("ed", ""), ("ed", "e"), ("d", ""),
                                              ("ing", ""), ("ing", "e"), ("ly", ""), ("al", ""), ("ic", ""),
                                              ("ated", "ate"), ("ation", "ate"), ("ness", ""), ("ment", "")]

    /// `knownWords` as bytes, by length, for `closestWord`.
    static let knownWordsByLength: [Int: [[UInt8]]] = {
        var buckets: [Int: [[UInt8]]] = [:]
        for word in knownWords { buckets[word.utf8.count, default: []].append(Array(word.utf8)) }
        return buckets
    }()

    /// Characters OCR takes for one another: substituting within a group costs half an edit.
    static let confusable: [UInt8: Int] = {
        var groups: [UInt8: Int] = [:]
        for (index, group) in ["li1!|tjf", "o0ace", "gqy9", "s5$", "b8", "uv", "z2"].enumerated() {
            for byte in group.utf8 { groups[byte] = index }
        }
        return groups
    }()

    /// The known word a word of five characters or more read by OCR stands for: the only one within one edit, where
    /// swapping characters OCR confuses (l/i/1/!, o/a/c/e, g/q/y, s/5) costs half an edit ("deticiency" is
    /// deficiency, "Clapidogre!" clopidogrel), and a letter read as two costs nothing ("Meloxicarn"). A word whose known
    /// form has a usual ending is matched by its stem ("lodinated": iodinate, so iodinated). Nil when the word is known, or none or several are that close. Lower case.
    public static func closestWord(_ word: String) -> String? {
        let read = Array(word.lowercased().utf8)
        guard read.count >= 5, read.count <= 30, !(word.allSatisfy(\.isLetter) && isKnownWord(word)) else { return nil }
        if let found = closestKnown(read) { return String(decoding: found, as: UTF8.self) }
        let lower = word.lowercased()
        // Letters OCR reads as two ("rn" for m, "cl" for d, "vv" for w): the word with each pair read as one.
        for (pair, letter) in [("rn", "m"), ("cl", "d"), ("vv", "w")] where lower.contains(pair) {
            let joined = lower.replacingOccurrences(of: pair, with: letter)
            if isKnownWord(joined) { return joined }
            if let found = closestKnown(Array(joined.utf8)) { return String(decoding: found, as: UTF8.self) }
        }
        for (ending, replacement) in endings where lower.hasSuffix(ending) && lower.count - ending.count >= 4 {
            let stem = String(lower.dropLast(ending.count)) + replacement
            guard let found = closestKnown(Array(stem.utf8)).map({ String(decoding: $0, as: UTF8.self) }),
                  found.hasSuffix(replacement) else { continue }
            let spelled = String(found.dropLast(replacement.count)) + ending
            if isKnownWord(spelled) { return spelled }
        }
        return nil
    }

    /// The only known word within one weighted edit of `read`, or nil.
    static func closestKnown(_ read: [UInt8]) -> [UInt8]? {
        guard read.count >= 4 else { return nil }
        var best: (word: [UInt8], cost: Double)?
        var tied = false
        for length in (read.count - 1)...(read.count + 1) {
            for candidate in knownWordsByLength[length] ?? [] {
                guard let cost = editCost(read, candidate, limit: 1.0) else { continue }
                if let current = best {
                    if cost < current.cost { best = (candidate, cost); tied = false } else if cost == current.cost, candidate != current.word { tied = true }
                } else {
                    best = (candidate, cost)
                }
            }
        }
        guard let best, !tied else { return nil }
        return best.word
    }

    /// The weighted edit cost from `a` to `b`, or nil when it exceeds `limit`.
    static func editCost(_ a: [UInt8], _ b: [UInt8], limit: Double) -> Double? {
        var previous = (0...b.count).map(Double.init)
        var current = previous
        for i in 1...a.count {
            current[0] = Double(i)
            var rowBest = current[0]
            for j in 1...b.count {
                let x = a[i - 1], y = b[j - 1]
                let substitution = x == y ? 0 : (confusable[x].map { $0 == confusable[y] } == true ? 0.5 : 1)
                current[j] = min(previous[j - 1] + substitution, previous[j] + 1, current[j - 1] + 1)
                rowBest = min(rowBest, current[j])
            }
            if rowBest > limit { return nil }
            swap(&previous, &current)
        }
        return previous[b.count] <= limit ? previous[b.count] : nil
    }

    static func rows(_ name: String) -> [[String]] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "tsv", subdirectory: "Vocabulary")
            ?? Bundle.module.url(forResource: name, withExtension: "tsv"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { $0.split(separator: "\t").map(String.init) }
    }

    static func load(_ name: String) -> [String: String] {
        guard let url = Bundle.module.url(forResource: name, withExtension: "tsv", subdirectory: "Vocabulary")
            ?? Bundle.module.url(forResource: name, withExtension: "tsv"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            guard let key = parts.first else { continue }
            table[String(key)] = parts.count > 1 ? String(parts[1]) : String(key)
        }
        return table
    }
}
