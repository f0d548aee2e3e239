import Foundation

/// Turns dates as charts print them into ISO 8601.
///
/// Understands US numeric dates (month first: `03/14/1958`, `3/10/26`, `9-5-44`), ISO
/// (`2026-03-04`, with or without a time), day-month-year with a month name (`4 Mar 2021`,
/// `04-MAR-2021`), month-name-first (`March 4, 2021`, `Nov 2 2026`), month and year (`05/2029`,
/// `Aug 2026`) and a bare year (`1995`). Two-digit years pivot on `pivotYear`: years up to it
/// are 20xx, later ones 19xx. Impossible dates (month 13, 31 April, 29 February 2025) are
/// rejected rather than guessed.
public struct DateNormalizer: Sendable {
    /// Two-digit years up to this one are 2000s; later ones 1900s.
    public var pivotYear: Int

    public init(pivotYear: Int = Calendar(identifier: .gregorian).component(.year, from: Date()) % 100) {
        self.pivotYear = pivotYear
    }

    static let months: [String: Int] = [
        "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
        "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
        "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
    ]

    /// The ISO form (`YYYY-MM-DD`, or `YYYY-MM` / `YYYY` when the page gives no more), or nil.
    public func normalize(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines.union(CharacterSet(charactersIn: ".,;:()")))
        // Drop a trailing time: "Aug 10, 2026 08:05", "2026-03-04T07:45:00Z", "04-MAR-2026 07:45".
        let dateOnly = trimmed.replacingOccurrences(of: #"(T|\s+)\d{1,2}:\d{2}(:\d{2})?(\.\d+)?\s*(Z|[AaPp][Mm]|[+-]\d{2}:?\d{2})?$"#,
                                                    with: "", options: .regularExpression)
        let tokens = dateOnly.lowercased().split(whereSeparator: { " ,/-.".contains($0) }).map(String.init)
        guard !tokens.isEmpty, tokens.count <= 3 else { return nil }
        let numbers = tokens.map { Int($0) }
        let monthIndex = tokens.firstIndex { Self.months[$0] != nil }

        switch (tokens.count, monthIndex) {
        case (3, nil):
            guard let a = numbers[0], let b = numbers[1], let c = numbers[2] else { return nil }
            if tokens[0].count == 4 { return iso(a, b, c) }                       // 2026-03-04
            return iso(year(c, digits: tokens[2].count), a, b)                    // 03/14/1958 (US)
        case (3, .some(let m)):
            let month = Self.months[tokens[m]]!
            let rest = tokens.indices.filter { $0 != m }
            let first = rest[0], second = rest[1]
            guard let x = numbers[first], let y = numbers[second] else { return nil }
            if m == 0 { return iso(year(y, digits: tokens[second].count), month, x) }  // March 4, 2021
            if m == 1 {
                if tokens[0].count == 4 { return iso(x, month, y) }               // 2021 Mar 04
                return iso(year(y, digits: tokens[second].count), month, x)       // 4 Mar 2021, 04-MAR-2021
            }
            return nil
        case (2, nil):
            guard let a = numbers[0], let b = numbers[1] else { return nil }
            if tokens[0].count == 4, (1...12).contains(b) { return String(format: "%04d-%02d", a, b) }   // 2029-05
            if tokens[1].count == 4, (1...12).contains(a) { return String(format: "%04d-%02d", b, a) }   // 05/2029
            return nil
        case (2, .some(let m)):
            let other = 1 - m
            guard let y = numbers[other], tokens[other].count == 4 else { return nil }
            return String(format: "%04d-%02d", y, Self.months[tokens[m]]!)      // Aug 2026
        case (1, nil):
            guard let y = numbers[0], tokens[0].count == 4, (1800...2200).contains(y) else {
                // 20260304
                if tokens[0].count == 8, let v = numbers[0] { return iso(v / 10000, (v / 100) % 100, v % 100) }
                return nil
            }
            return String(format: "%04d", y)
        default:
            return nil
        }
    }

    private func year(_ value: Int, digits: Int) -> Int {
        guard digits <= 2 else { return value }
        return value <= pivotYear ? 2000 + value : 1900 + value
    }

    private func iso(_ year: Int, _ month: Int, _ day: Int) -> String? {
        guard (1800...2200).contains(year), (1...12).contains(month), day >= 1 else { return nil }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= lengths[month - 1] else { return nil }
        return String(format: "%04d-%02d-%02d", year, month, day)
    }
}
