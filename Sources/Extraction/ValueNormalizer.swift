import Foundation

/// Normalises the small values charts are made of: numbers, units, H/L flags, statuses,
/// reference ranges.
public enum ValueNormalizer {
    /// A number as printed ("1,000", "7.8", "0.125"), or nil when the text is not one number.
    public static func number(_ text: String) -> Double? {
        let cleaned = text.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: ",", with: "")
        guard !cleaned.isEmpty, cleaned.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }),
              cleaned.filter({ $0 == "." }).count <= 1 else { return nil }
        return Double(cleaned)
    }

    /// Letters and marks OCR reads for a digit in print ("B.7" for 8.7, "@.75" for 0.75, "1O" for 10).
    static let digitLookalikes: [Character: Character] = [
        "O": "0", "o": "0", "Q": "0", "D": "0", "@": "0", "I": "1", "l": "1", "|": "1", "!": "1",
        "Z": "2", "z": "2", "S": "5", "s": "5", "$": "5", "B": "8",
    ]

    /// A result cell OCR read with one letter or mark for a digit ("B.7", "@.75", "1O"): the number it stands for,
    /// with the character taken for a digit. Nil unless the cell is a number but for that one character, holds a
    /// real digit as well, and does not end in l, I or | (a flag L read against its value).
    public static func numberReadThroughOCR(_ text: String) -> (number: String, taken: Character)? {
        let cleaned = text.replacingOccurrences(of: ",", with: ".")
        guard cleaned.count <= 7, cleaned.filter({ $0 == "." }).count <= 1, cleaned.first != ".", cleaned.last != "." else { return nil }
        let lookalikes = cleaned.filter { digitLookalikes[$0] != nil }
        guard lookalikes.count == 1, let taken = lookalikes.first, cleaned.contains(where: \.isNumber),
              cleaned.allSatisfy({ $0.isNumber || $0 == "." || digitLookalikes[$0] != nil }),
              !(cleaned.last == taken && "lI|".contains(taken)) else { return nil }
        return (String(cleaned.map { digitLookalikes[$0] ?? $0 }), taken)
    }

    /// A reference range cell OCR read with letters or marks for digits or a comma for a decimal point ("Q.82-1.77",
    /// "@-32", "3.8-4,9"): the range it stands for. Only a character touching a digit, a point or a dash is taken for
    /// a digit, and only when the result is a range; nil when nothing was changed or it is still no range.
    public static func rangeReadThroughOCR(_ text: String) -> String? {
        let characters = Array(text.replacingOccurrences(of: #"(\d),\.?(\d)"#, with: "$1.$2", options: .regularExpression))
        func numeric(_ index: Int) -> Bool {
            characters.indices.contains(index) && (characters[index].isNumber || ".-–".contains(characters[index]))
        }
        var repaired = ""
        for (index, character) in characters.enumerated() {
            if let digit = digitLookalikes[character], numeric(index - 1) || numeric(index + 1) {
                repaired.append(digit)
            } else {
                repaired.append(character)
            }
        }
        guard repaired != text, ReferenceRange(repaired) != nil, repaired.contains(where: { "-–<>".contains($0) }) else { return nil }
        return repaired
    }

    /// Canonical unit spellings (UCUM's case-sensitive forms where reports use them), keyed by
    /// the lowercased printed form. OCR misreadings are not listed: `correctedUnit` finds the
    /// unit a misread one is one character away from.
    static let units: [String: String] = [
        "mg/dl": "mg/dL", "g/dl": "g/dL", "ng/dl": "ng/dL", "mg/l": "mg/L", "mmol/l": "mmol/L", "meq/l": "mEq/L",
        "ng/ml": "ng/mL", "pg/ml": "pg/mL", "uiu/ml": "uIU/mL", "miu/ml": "mIU/mL", "miu/l": "mIU/L", "iu/l": "IU/L",
        "u/l": "U/L", "x10^3/ul": "x10^3/uL", "x10e3/ul": "x10^3/uL", "fl": "fL", "pg": "pg", "mg/g": "mg/g",
        "sec": "sec", "nmol/l": "nmol/L", "umol/l": "umol/L", "g/l": "g/L", "ug/dl": "ug/dL", "mcg/dl": "ug/dL",
        "pmol/l": "pmol/L", "ng/l": "ng/L", "mm/hr": "mm/h", "mm/h": "mm/h",
        "k/ul": "x10^3/uL", "10^3/ul": "x10^3/uL", "x10^6/ul": "x10^6/uL", "m/ul": "x10^6/uL",
        "ml/min/1.73m2": "mL/min/1.73m2", "ml/min/1.73 m2": "mL/min/1.73m2", "%": "%",
        "mg": "mg", "mcg": "mcg", "ug": "mcg", "µg": "mcg", "g": "g", "meq": "mEq", "ml": "mL", "units": "units",
        "unit": "units", "iu": "IU", "mcg/puff": "mcg/puff", "mg/ml": "mg/mL",
        "mmhg": "mmHg", "bpm": "bpm", "kg": "kg", "lb": "lb", "lbs": "lb", "cm": "cm", "in": "in", "f": "F", "c": "C",
        "/min": "/min", "breaths/min": "/min", "l/min": "L/min",
    ]

    /// The canonical spelling of a unit, or the unit as printed when it is not known.
    public static func unit(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: CharacterSet.whitespaces.union(CharacterSet(charactersIn: ".,;:_|'`")))
        let key = trimmed.lowercased()
        if let known = units[key] { return known }
        return trimmed
    }

    /// The known unit a misread one stands for: the known unit of three or more characters closest to it, within
    /// one character substituted, added or dropped, where swapping characters OCR confuses costs half ("mg/db" →
    /// mg/dL, "x1043/uL" → x10^3/uL, "1U/L" → IU/L rather than U/L). Nil when none, or several, are closest.
    public static func correctedUnit(_ text: String) -> String? {
        let key = unit(text).lowercased()
        guard key.count >= 3, units[key] == nil else { return nil }
        return Vocabulary.closest(Array(key.utf8), among: unitNames, limit: 1).flatMap { units[$0] }
    }

    /// The known units' printed forms, with their canonical spelling as the identity `Vocabulary.closest` tells apart.
    static let unitNames: [(name: [UInt8], id: String)] = units.map { (Array($0.key.utf8), $0.value) }

    /// True when `text` is a unit this normaliser knows.
    public static func isKnownUnit(_ text: String) -> Bool { units[unit(text).lowercased()] != nil || units.values.contains(unit(text)) }

    /// H or L from the ways reports flag a value (H, HI, HIGH, High, ↑, L, LO, LOW, ↓,
    /// with or without parentheses or asterisks), or nil.
    public static func flag(_ text: String) -> String? {
        let key = text.trimmingCharacters(in: CharacterSet(charactersIn: " ()[]*!'`\"")).uppercased()
        switch key {
        case "H", "HI", "HIGH", "↑", "HH", "CRIT HIGH", "CRITICAL HIGH": return "H"
        case "L", "LO", "LOW", "↓", "LL", "CRIT LOW", "CRITICAL LOW": return "L"
        default: return nil
        }
    }

    /// A medication status from its usual spellings, or nil.
    public static func medicationStatus(_ text: String) -> String? {
        let key = text.trimmingCharacters(in: CharacterSet(charactersIn: " ()[]*.")).lowercased()
        if ["active", "continue", "continued", "current", "taking", "unchanged", "no change", "keep", "resume", "resumed",
            "same"].contains(key) { return "active" }
        if ["new", "started", "start", "new start", "begin", "initiated", "added"].contains(key) { return "new" }
        if ["held", "hold", "on hold"].contains(key) { return "held" }
        if key.hasPrefix("d/c") || key.hasPrefix("dc ") || key == "dc" || key.hasPrefix("discontinu") || key.hasPrefix("stopped")
            || key == "stop" || key.hasPrefix("inactive") || key.hasPrefix("completed") {
            return "discontinued"
        }
        return nil
    }
}

/// A reference range as printed: `70-99`, `0.74 - 1.35`, `<200`, `>=60`, `≤ 5.6`; nil for `20-15`.
public struct ReferenceRange: Sendable, Hashable {
    public var low: Double?
    public var high: Double?

    public init?(_ text: String) {
        let t = text.replacingOccurrences(of: " ", with: "").replacingOccurrences(of: "≤", with: "<=")
            .replacingOccurrences(of: "≥", with: ">=")
        if let match = t.firstMatch(of: /^(\d+(?:\.\d+)?)[-–](\d+(?:\.\d+)?)$/) {
            // A low end not below the high end is no range ("1600-199": a digit misread or run in).
            guard let from = Double(match.1), let to = Double(match.2), from < to else { return nil }
            low = from
            high = to
        } else if let match = t.firstMatch(of: /^<=?(\d+(?:\.\d+)?)$/) {
            high = Double(match.1)
        } else if let match = t.firstMatch(of: /^>=?(\d+(?:\.\d+)?)$/) {
            low = Double(match.1)
        } else {
            return nil
        }
    }

    /// H or L for `value` against the range, or nil when it is inside.
    public func flag(for value: Double) -> String? {
        if let high, value > high { return "H" }
        if let low, value < low { return "L" }
        return nil
    }
}

/// Whether a lab value is believable for its reference range: OCR drops decimal points at
/// high confidence (`1.12` read as `112`), so a value far outside its range, or one that
/// fits the range only once a decimal point is put back, is sent for review.
public enum LabPlausibility {
    /// Nil when the value is plausible, else the reason it is not.
    public static func problem(value: Double, printed: String, range: ReferenceRange?) -> String? {
        guard let range else { return nil }
        let scale = range.high ?? range.low ?? 0
        guard scale > 0 else { return nil }
        if value > scale * 20 || (range.low.map { $0 > 0 && value > 0 && value < $0 / 20 } ?? false) {
            return "\(printed) is implausibly far from the reference range"
        }
        // A value without a decimal point that lands inside the range once one is restored, and
        // is at least three times the range's top (a lost point multiplies by 10 or more; a
        // value just above its range is ordinary, and a range from 0 holds every tenth).
        if !printed.contains("."), value >= 10, range.flag(for: value) != nil, value >= 3 * (range.high ?? .infinity) {
            for divisor in [10.0, 100.0, 1000.0] where range.flag(for: value / divisor) == nil && range.low != nil {
                return "\(printed) may have lost its decimal point (\(value / divisor) would be in range)"
            }
        }
        return nil
    }

    /// Why a row's flag and its value against its range disagree, or nil: a row flagged H or L whose value is not
    /// beyond that end of its range, or, in a report that prints flags (`flagsPrinted`), a row left unflagged whose
    /// value is outside it. Read by OCR, one of the three was misread ("148" as "348", "0-149" as "9-149", a lost "H").
    public static func flagDisagreement(value: Double, printed: String, range: ReferenceRange?, flag: String?,
                                        flagsPrinted: Bool) -> String? {
        guard let range else { return nil }
        let derived = range.flag(for: value)
        if let flag, flag != derived {
            let place = derived == "H" ? "above" : derived == "L" ? "below" : "inside"
            return "flagged \(flag), but \(printed) is \(place) its range: the value, range or flag misread?"
        }
        if flag == nil, flagsPrinted, let derived {
            return "\(printed) is \(derived == "H" ? "above" : "below") its range, but no flag is printed: the value, range or flag misread?"
        }
        return nil
    }
}
