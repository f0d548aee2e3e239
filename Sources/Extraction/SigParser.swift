import Foundation

/// A medication line split into its parts.
public struct MedicationSig: Sendable, Hashable {
    public var name: String
    public var dose: String?
    public var unit: String?
    public var route: String?
    public var frequency: String?
    public var prn: String?
    public var status: String?
    /// The unit as printed when OCR misread it and `unit` is the dose unit it was taken for ("my" for mg), for review.
    public var unitRead: String?

    public init(name: String, dose: String? = nil, unit: String? = nil, route: String? = nil, frequency: String? = nil,
                prn: String? = nil, status: String? = nil) {
        self.name = name
        self.dose = dose
        self.unit = unit
        self.route = route
        self.frequency = frequency
        self.prn = prn
        self.status = status
    }
}

/// Parses medication lines and sigs: `Metformin 1000 mg PO BID`, `2. Lisinopril 20 mg PO daily`,
/// `Albuterol HFA 90 mcg/puff 2 puffs Q4H PRN wheezing`, `Amoxicillin-clavulanate 875-125 mg PO
/// BID x 3 days (NEW)`, `Digoxin 0.125 mg PO daily D/C 02/2026`.
public enum SigParser {
    static let routes: [String: String] = [
        "po": "PO", "p.o.": "PO", "oral": "PO", "orally": "PO", "iv": "IV", "im": "IM", "sc": "SC", "sq": "SC",
        "subcut": "SC", "subq": "SC", "sl": "SL", "pr": "PR", "inhaled": "inhaled", "inh": "inhaled",
        "nebulized": "nebulized", "neb": "nebulized", "intranasal": "intranasal", "nasal": "intranasal",
        "topical": "topical", "transdermal": "transdermal", "ophthalmic": "ophthalmic",
    ]

    static let frequencies: Set<String> = [
        "daily", "qd", "bid", "tid", "qid", "qhs", "qam", "qpm", "qod", "weekly", "monthly", "hs",
    ]

    static let doseUnits: Set<String> = [
        "mg", "mcg", "ug", "g", "meq", "ml", "units", "unit", "iu", "mcg/puff", "mg/ml", "%", "puffs", "puff",
        "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "drops", "spray", "sprays",
    ]

    /// Parses one line; nil when it holds no dose-and-unit (not a medication line).
    public static func parse(_ line: String) -> MedicationSig? {
        var tokens = spellOutFrequencies(line).split(whereSeparator: \.isWhitespace).map(String.init)
        // List markers: "1.", "2)", "-", "•".
        // (OCR reads a marker's point as a comma: "1,".)
        while let first = tokens.first, first == "-" || first == "•" || first == "*"
            || first.range(of: #"^\d{1,3}(\.|\)|,|\.\))$"#, options: .regularExpression) != nil {
            tokens.removeFirst()
        }
        guard tokens.count >= 2 else { return nil }
        // The dose: the first numeric token (allowing 875-125, 160/4.5) followed by a unit.
        var doseIndex: Int?
        var unitRead: (printed: String, unit: String)?
        for i in 1..<tokens.count {
            if isDose(tokens[i]), i + 1 < tokens.count, doseUnits.contains(tokens[i + 1].lowercased()) {
                doseIndex = i
                break
            }
            // A dose unit OCR misread ("20 my PO daily"), where a route or frequency follows to say it is a sig.
            if isDose(tokens[i]), i + 2 < tokens.count, let unit = misreadDoseUnit(tokens[i + 1]), startsSig(tokens[i + 2]) {
                doseIndex = i
                unitRead = (tokens[i + 1], unit)
                break
            }
            // "10mg"
            if let split = splitAttachedUnit(tokens[i]) {
                tokens.replaceSubrange(i...i, with: [split.0, split.1])
                doseIndex = i
                break
            }
        }
        guard let d = doseIndex else { return nil }
        // No drug is named with a frequency: one printed before the dose (a list whose frequency column comes
        // first, "Clopidogrel daily 75 mg PO") ends the name and is read with the rest of the sig.
        let nameEnd = (1..<d).first { isFrequency(tokens[$0].lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ",;"))) } ?? d
        let name = tokens[..<nameEnd].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: " :,"))
        guard name.count >= 2, name.contains(where: \.isLetter) else { return nil }
        var sig = MedicationSig(name: name, dose: tokens[d], unit: unitRead?.unit ?? ValueNormalizer.unit(tokens[d + 1]))
        sig.unitRead = unitRead?.printed
        var frequency: [String] = []
        tokens = Array(tokens[nameEnd..<d]) + tokens[(d + 2)...]
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            let lower = token.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ",;"))
            if sig.route == nil, let route = routes[lower] {
                sig.route = route
            } else if lower == "by", i + 1 < tokens.count, tokens[i + 1].lowercased() == "mouth" {
                sig.route = "PO"
                i += 1
            } else if isFrequency(lower) {
                frequency.append(lower == "qd" ? "daily" : (lower == "daily" || lower == "weekly" ? lower : token.uppercased()))
            } else if lower == "prn" {
                frequency.append("PRN")
                // The reason runs to a status word or a parenthesis.
                var reason: [String] = []
                var j = i + 1
                while j < tokens.count, ValueNormalizer.medicationStatus(tokens[j]) == nil, !tokens[j].hasPrefix("(") {
                    reason.append(tokens[j])
                    j += 1
                }
                if !reason.isEmpty { sig.prn = reason.joined(separator: " ") }
                i = j - 1
            } else if let status = ValueNormalizer.medicationStatus(token) {
                sig.status = status
            }
            i += 1
        }
        if !frequency.isEmpty { sig.frequency = frequency.joined(separator: " ") }
        return sig
    }

    /// Frequencies written out in words, as their abbreviations: "twice daily" → BID,
    /// "at bedtime" → QHS, "every 6 hours" → Q6H, "as needed" → PRN, "once a day" → daily.
    static func spellOutFrequencies(_ line: String) -> String {
        var text = line
        let replacements: [(String, String)] = [
            (#"(?i)\bonce (a )?(day|daily)\b|\bevery day\b"#, "daily"),
            (#"(?i)\btwice (a )?(day|daily)\b|\btwo times (a )?(day|daily)\b"#, "BID"),
            (#"(?i)\bthree times (a )?(day|daily)\b"#, "TID"),
            (#"(?i)\bfour times (a )?(day|daily)\b"#, "QID"),
            (#"(?i)\bat bedtime\b|\bnightly\b|\bevery night\b"#, "QHS"),
            (#"(?i)\bevery (\d+) hours?\b"#, "Q$1H"),
            (#"(?i)\bas needed\b"#, "PRN"),
        ]
        for (pattern, replacement) in replacements {
            text = text.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return text
    }

    /// The dose unit a token OCR misread stands for ("my", "mq", "mp", "ng" and "ing" for mg; "meg" for mcg): of mg
    /// and mcg, the one within one edit of it, OCR's swaps costing half, once a letter read as two ("rn", "in" for m) is
    /// read as one. Nil for a known unit, a word of more than four letters, or a token as close to both.
    static func misreadDoseUnit(_ token: String) -> String? {
        var key = token.lowercased()
        guard (2...4).contains(key.count), key.allSatisfy(\.isLetter), !doseUnits.contains(key) else { return nil }
        for pair in ["rn", "in"] where key.hasPrefix(pair) { key = "m" + key.dropFirst(2) }
        guard key.count >= 2 else { return nil }  // "in" (inches) is no "m"
        let costs = ["mg", "mcg"].compactMap { unit in
            Vocabulary.editCost(Array(key.utf8), Array(unit.utf8), limit: 1).map { (unit, $0) }
        }.sorted { $0.1 < $1.1 }
        guard let best = costs.first, costs.count == 1 || costs[1].1 > best.1 else { return nil }
        return best.0
    }

    /// A frequency abbreviation or word (lower case): "daily", "bid", "q6h".
    static func isFrequency(_ lower: String) -> Bool {
        frequencies.contains(lower) || lower.range(of: #"^q\d+(-\d+)?h$"#, options: .regularExpression) != nil
    }

    /// A token that goes on a sig after its dose: a route, a frequency, "by" (mouth), "take", a dash.
    static func startsSig(_ token: String) -> Bool {
        let lower = token.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ",;"))
        return routes[lower] != nil || isFrequency(lower) || ["by", "take", "-", "prn"].contains(lower)
    }

    static func isDose(_ token: String) -> Bool {
        token.range(of: #"^\d+(\.\d+)?([-/]\d+(\.\d+)?)?$"#, options: .regularExpression) != nil
    }

    static func splitAttachedUnit(_ token: String) -> (String, String)? {
        guard let match = token.firstMatch(of: /^(\d+(?:\.\d+)?)([A-Za-z]+(?:\/[A-Za-z]+)?)$/),
              doseUnits.contains(String(match.2).lowercased()) else { return nil }
        return (String(match.1), String(match.2))
    }
}
