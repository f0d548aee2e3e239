import ChartModel
import Foundation

/// What a table column holds.
public enum ColumnRole: String, Sendable, Hashable, CaseIterable {
    case name, value, unit, range, flag, date, dose, route, frequency, directions, status, other
}

/// What a table lists, from its header words or, failing those, from what its columns hold.
public enum TableKind: String, Sendable, Hashable {
    case labs, medications, immunizations, vitals, unknown
}

/// A table found on a page: a header row whose cells name columns, and the rows under it whose
/// cells line up with those columns.
public struct Table: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        /// Where the column starts (its header cell's left edge), in points.
        public var x0: Double
        public var header: String
        public var role: ColumnRole
        /// True when the role came from the header's words, false when from the cells' content.
        public var roleFromHeader: Bool
    }

    public struct Row: Sendable, Hashable {
        /// The row's line index on the page.
        public var line: Int
        /// For each column, the indices (into the line's words) of the words in that cell.
        public var cells: [[Int]]
    }

    public var kind: TableKind
    public var headerLine: Int
    public var columns: [Column]
    public var rows: [Row]
    /// Lines inside the table that belong to no row: panel sub-headings ("LIPID PANEL").
    public var subheadings: [Int]

    /// The column index with `role`, if any.
    public func column(_ role: ColumnRole) -> Int? { columns.firstIndex { $0.role == role } }

    /// All lines the table spans, header included.
    public var lines: [Int] { [headerLine] + rows.map(\.line) + subheadings }
}

/// Finds tables in a page's lines by column alignment under a header row.
///
/// A header row is a line of three or more cells (runs of words separated by wide gaps) holding
/// no digits and no `label:` colons, at least two of whose cells the header vocabulary knows, or
/// whose rows below line up with it and hold typed content (numbers, units, ranges, dates) in at
/// least two columns. Rows are the following lines whose cells fall into at least two of the
/// header's columns; a short line without digits in between is a sub-heading; the table ends at a
/// line that is a heading, a `label:` line, a paragraph across the table, or a wide vertical gap.
/// Columns the vocabulary does not name are typed by what most of their cells hold.
public enum TableFinder {
    /// Header words and what they name (lowercased, punctuation other than / removed). A column
    /// whose header is not here is typed by its content.
    static let headerRoles: [String: (ColumnRole, TableKind?)] = [
        "test": (.name, .labs), "test name": (.name, .labs), "tests": (.name, .labs), "analyte": (.name, .labs),
        "component": (.name, .labs), "lab": (.name, .labs), "laboratory test": (.name, .labs),
        "result": (.value, nil), "value": (.value, nil), "your value": (.value, nil), "result value": (.value, nil),
        "units": (.unit, nil), "unit": (.unit, nil), "units of measure": (.unit, nil),
        "reference range": (.range, .labs), "ref range": (.range, .labs), "normal range": (.range, .labs),
        "reference": (.range, .labs), "range": (.range, .labs), "standard range": (.range, .labs),
        "normal": (.range, .labs), "ref": (.range, .labs),
        "flag": (.flag, .labs), "flags": (.flag, .labs), "abnormal": (.flag, .labs), "h/l": (.flag, .labs),
        "medication": (.name, .medications), "medications": (.name, .medications), "drug": (.name, .medications),
        "drug name": (.name, .medications), "medicine": (.name, .medications),
        "dose": (.dose, .medications), "strength": (.dose, .medications), "amount": (.dose, .medications),
        "route": (.route, .medications), "frequency": (.frequency, .medications), "freq": (.frequency, .medications),
        "directions": (.directions, .medications), "sig": (.directions, .medications),
        "instructions": (.directions, .medications), "status": (.status, nil), "active": (.status, .medications),
        "current": (.status, .medications),
        "vaccine": (.name, .immunizations), "vaccine name": (.name, .immunizations),
        "immunization": (.name, .immunizations), "vaccines": (.name, .immunizations),
        "date": (.date, nil), "date given": (.date, .immunizations), "given": (.date, .immunizations),
        "administered": (.date, .immunizations),
        "vital": (.name, .vitals), "vital sign": (.name, .vitals), "vital signs": (.name, .vitals),
        "lot": (.other, .immunizations), "lot #": (.other, .immunizations), "site": (.other, nil),
        "dose #": (.other, .immunizations), "mfr": (.other, .immunizations), "manufacturer": (.other, nil),
        "comment": (.other, nil), "comments": (.other, nil), "notes": (.other, nil),
    ]

    /// The tables among `lines` (each a line's words in reading order). `isHeading` says
    /// whether a line's text is a section heading (it ends a table).
    public static func tables(in lines: [[Word]], isHeading: (String) -> Bool = { _ in false }) -> [Table] {
        var tables: [Table] = []
        var index = 0
        while index < lines.count {
            if let table = table(at: index, in: lines, isHeading: isHeading) {
                tables.append(table)
                index = (table.rows.map(\.line) + table.subheadings + [table.headerLine]).max()! + 1
            } else {
                index += 1
            }
        }
        return tables
    }

    /// A line's words grouped into cells: a gap wider than the line's height starts a new cell.
    public static func cells(of words: [Word]) -> [[Int]] {
        guard !words.isEmpty else { return [] }
        let height = words.map(\.bbox.height).sorted()[words.count / 2]
        var cells: [[Int]] = [[0]]
        for i in 1..<words.count {
            if words[i].bbox.x0 - words[i - 1].bbox.x1 > max(height * 1.1, 4) {
                cells.append([i])
            } else {
                cells[cells.count - 1].append(i)
            }
        }
        return cells
    }

    static func normalizedHeader(_ text: String) -> String {
        let kept = text.lowercased().filter { $0.isLetter || $0.isNumber || $0 == " " || $0 == "/" || $0 == "#" }
        return kept.split(separator: " ").joined(separator: " ")
    }

    static func table(at index: Int, in lines: [[Word]], isHeading: (String) -> Bool) -> Table? {
        let words = lines[index]
        let headerCells = cells(of: words)
        guard headerCells.count >= 3 || (headerCells.count == 2 && words.count <= 4) else { return nil }
        let texts = headerCells.map { $0.map { words[$0].text }.joined(separator: " ") }
        guard !texts.contains(where: { $0.contains(where: \.isNumber) || $0.hasSuffix(":") }),
              texts.allSatisfy({ $0.split(separator: " ").count <= 4 }) else { return nil }
        let known = texts.map { headerRoles[normalizedHeader($0)] }
        var columns = zip(headerCells, texts).enumerated().map { i, pair in
            Table.Column(x0: words[pair.0.first!].bbox.x0, header: pair.1, role: known[i]?.0 ?? .other,
                         roleFromHeader: known[i] != nil)
        }
        let height = words.map(\.bbox.height).sorted()[words.count / 2]
        let right = max(words.last!.bbox.x1, columns.last!.x0 + height * 6)
        let (rows, subheadings) = rows(from: index + 1, under: columns, in: lines, height: height, right: right,
                                       top: BoundingBox.union(words.map(\.bbox))!.y1, isHeading: isHeading)
        guard rows.count >= 1 else { return nil }
        // Type the columns the header did not name by their content.
        for c in columns.indices where !columns[c].roleFromHeader {
            let values = rows.compactMap { row -> String? in
                let ids = row.cells[c]
                return ids.isEmpty ? nil : ids.map { lines[row.line][$0].text }.joined(separator: " ")
            }
            columns[c].role = contentRole(values)
        }
        let knownCount = columns.filter(\.roleFromHeader).count
        let typed = Set(columns.map(\.role)).subtracting([.other, .name]).count
        // Without header words it knows, a table needs typed content in some column and rows
        // that fill at least two of three or more columns.
        guard knownCount >= 2 || (typed >= 1 && columns.count >= 3 && rows.count >= 2) else { return nil }
        // The name column: named by the header, else the untyped column whose cells hold the
        // most letters (names are longer than codes, sites and frequencies).
        if !columns.contains(where: { $0.role == .name }) {
            let letters = columns.indices.map { c -> Double in
                guard columns[c].role == .other else { return 0 }
                let counts = rows.map { row in row.cells[c].map { lines[row.line][$0].text }.joined().filter(\.isLetter).count }
                let filled = counts.filter { $0 >= 2 }.count
                return filled * 2 > rows.count ? Double(counts.reduce(0, +)) / Double(rows.count) : 0
            }
            if let best = letters.indices.max(by: { letters[$0] < letters[$1] }), letters[best] > 0 {
                columns[best].role = .name
            }
        }
        guard columns.contains(where: { $0.role == .name }) else { return nil }
        return Table(kind: kind(of: columns, known: known.compactMap { $0?.1 }), headerLine: index, columns: columns,
                     rows: rows, subheadings: subheadings)
    }

    /// Rows that go on from `previous` (a table that ended the page before) at the top of this
    /// page, which does not print the header row again.
    ///
    /// Before the rows may come the page's running lines (`skip`), "label: value" lines (the
    /// patient named again) and a "continued" note; the first other line must not be a header
    /// row of its own or a heading. The rows are the lines that fall into at least two of the
    /// previous table's columns, read as under its header, and the cells of its typed columns
    /// (value, unit, range, date, dose) must mostly hold what those columns held: text that only
    /// happens to line up is not a continuation.
    public static func continuation(of previous: Table, in lines: [[Word]], skip: Set<Int>,
                                    isHeading: (String) -> Bool = { _ in false }) -> Table? {
        var start = 0
        while start < lines.count {
            let line = lines[start]
            let text = line.map(\.text).joined(separator: " ")
            guard skip.contains(start) || line.isEmpty || line.prefix(3).contains(where: { $0.text.hasSuffix(":") })
                    || isContinuedNote(text) else { break }
            start += 1
        }
        guard start < lines.count, let first = lines[start].first, let firstBox = BoundingBox.union(lines[start].map(\.bbox)),
              !isHeading(lines[start].map(\.text).joined(separator: " ")),
              table(at: start, in: lines, isHeading: isHeading) == nil else { return nil }
        let height = lines[start].map(\.bbox.height).sorted()[lines[start].count / 2]
        // Nothing of the first row lies left of the table.
        guard first.bbox.x0 >= previous.columns[0].x0 - height * 1.5 else { return nil }
        let right = max(lines[start].last!.bbox.x1, previous.columns.last!.x0 + height * 6)
        let (rows, subheadings) = rows(from: start, under: previous.columns, in: lines, height: height, right: right,
                                       top: firstBox.y0, isHeading: isHeading)
        guard let firstRow = rows.first, firstRow.line == start else { return nil }
        // The typed columns' cells hold what the columns held on the page before.
        let typed: Set<ColumnRole> = [.value, .unit, .range, .date, .dose]
        var agree = 0, total = 0
        for row in rows {
            for (c, column) in previous.columns.enumerated() where typed.contains(column.role) && !row.cells[c].isEmpty {
                let text = row.cells[c].map { lines[row.line][$0].text }.joined(separator: " ")
                total += 1
                if cellType(text) == column.role { agree += 1 }
            }
        }
        // (three in five, as a column is typed by its content)
        guard total >= max(2, rows.count), agree * 5 >= total * 3 else { return nil }
        return Table(kind: previous.kind, headerLine: firstRow.line, columns: previous.columns, rows: rows,
                     subheadings: subheadings)
    }

    /// A short note that a table or section goes on: "(continued)", "Results, cont'd".
    public static func isContinuedNote(_ text: String) -> Bool {
        let lower = text.lowercased()
        return lower.split(separator: " ").count <= 8
            && (lower.contains("continued") || lower.contains("cont'd") || lower.contains("(cont"))
    }

    /// The rows under a table's columns from line `start` on, and the sub-headings between them
    /// (see the type's comment for where a table ends). `top` is the bottom of what lies above.
    static func rows(from start: Int, under columns: [Table.Column], in lines: [[Word]], height: Double, right: Double,
                     top: Double, isHeading: (String) -> Bool) -> (rows: [Table.Row], subheadings: [Int]) {
        var rows: [Table.Row] = []
        var subheadings: [Int] = []
        var previousBottom = top
        var next = start
        while next < lines.count {
            let line = lines[next]
            guard let box = BoundingBox.union(line.map(\.bbox)) else { break }
            if box.y0 - previousBottom > height * 3.2 { break }
            let text = line.map(\.text).joined(separator: " ")
            // A heading or a "Label:" line ("Comments:", "Next due:") ends the table.
            if isHeading(text) || line.prefix(3).contains(where: { $0.text.hasSuffix(":") }) { break }
            let assigned = assign(line, to: columns, height: height)
            let filled = assigned.filter { !$0.isEmpty }.count
            if filled >= 2 || (filled == 1 && !assigned[0].isEmpty && columns.count <= 2) {
                // A paragraph is one run of words across the table, not cells.
                if cells(of: line).count == 1, box.width > (right - columns[0].x0) * 0.75, line.count > 6 { break }
                rows.append(Table.Row(line: next, cells: assigned))
            } else if !text.contains(where: \.isNumber), line.count <= 4, rows.count < 60 {
                subheadings.append(next)
            } else {
                break
            }
            previousBottom = box.y1
            next += 1
        }
        while let last = subheadings.last, last > (rows.last?.line ?? start - 1) { subheadings.removeLast() }
        return (rows, subheadings)
    }

    /// The words of `line` in each column: a cell belongs to the last column starting at or
    /// before it; a cell running across a later column's start is split there.
    static func assign(_ line: [Word], to columns: [Table.Column], height: Double) -> [[Int]] {
        var result = Array(repeating: [Int](), count: columns.count)
        let tolerance = height * 0.8
        for cell in cells(of: line) {
            // Scanned rules come back from OCR as "|", "_" or "©": they hold nothing.
            for i in cell where !isRuleArtefact(line[i].text) {
                let x = line[i].bbox.x0
                let column = columns.lastIndex { $0.x0 - tolerance <= x } ?? 0
                result[column].append(i)
            }
        }
        return result
    }

    /// A word made only of the marks that table rules and box edges turn into under OCR.
    public static func isRuleArtefact(_ text: String) -> Bool {
        !text.isEmpty && text.allSatisfy { "|_©®—–-~'`\".,:;[]{}¦".contains($0) }
    }

    static func contentRole(_ values: [String]) -> ColumnRole {
        guard !values.isEmpty else { return .other }
        var votes: [ColumnRole: Int] = [:]
        for value in values { votes[cellType(value), default: 0] += 1 }
        guard let best = votes.max(by: { $0.value < $1.value }), best.value * 5 >= values.count * 3 else { return .other }
        return best.key
    }

    static let flagWords: Set<String> = ["h", "l", "hi", "lo", "high", "low", "a", "abn", "abnormal", "hh", "ll", "*", "n",
                                         "crit", "critical", "↑", "↓"]

    /// What one cell holds.
    static func cellType(_ raw: String) -> ColumnRole {
        let text = raw.trimmingCharacters(in: .whitespaces)
        let lower = text.lowercased()
        if text.range(of: #"^[<>≤≥]?=?\s?-?\d+(\.\d+)?(\s*\(?[HLA]{1,2}\)?\*?)?$"#, options: .regularExpression) != nil { return .value }
        if text.range(of: #"^\d{2,3}/\d{2,3}$"#, options: .regularExpression) != nil { return .value }
        if text.range(of: #"^\d+(\.\d+)?\s*[-–]\s*\d+(\.\d+)?$|^[<>≤≥]=?\s*\d+(\.\d+)?$"#, options: .regularExpression) != nil {
            return .range
        }
        if text.range(of: #"^\d{1,4}[/.-]\d{1,2}[/.-]\d{2,4}$|^\d{1,2}[- ][A-Za-z]{3}[- ]\d{4}$|^[A-Za-z]{3,9}\.? \d{1,2},? \d{4}$"#,
                      options: .regularExpression) != nil { return .date }
        if text.range(of: #"^\d+(\.\d+)?\s*(mg|mcg|g|ml|units?|meq|iu|%|mg/ml|mcg/puff|puffs?|tabs?|tablets?|caps?)$"#,
                      options: [.regularExpression, .caseInsensitive]) != nil { return .dose }
        if flagWords.contains(lower) { return .flag }
        if text.count <= 14, !text.contains(" "), text.contains(where: \.isLetter),
           text.range(of: #"^(%|[a-zA-Zµμ]{1,6}(/[a-zA-Z0-9.^]{1,12}){1,2}|x?10\^?\d/[a-zA-Zµμ]+|[a-zA-Z]{1,5})$"#,
                      options: .regularExpression) != nil, text.range(of: #"/|^%$|^(sec|fl|ratio|mmhg|bpm|kg|lb|cm|f|c|u|iu)$"#,
                                                                     options: [.regularExpression, .caseInsensitive]) != nil {
            return .unit
        }
        if text == "%" { return .unit }
        return .other
    }

    static func kind(of columns: [Table.Column], known: [TableKind]) -> TableKind {
        if let named = known.first(where: { $0 != .unknown }), known.allSatisfy({ $0 == named }) { return named }
        let roles = Set(columns.map(\.role))
        if !roles.isDisjoint(with: [.dose, .route, .frequency, .directions]) { return .medications }
        if roles.contains(.value), !roles.isDisjoint(with: [.unit, .range, .flag]) { return .labs }
        if roles.contains(.date), !roles.contains(.value) { return .immunizations }
        return known.first ?? .unknown
    }
}
