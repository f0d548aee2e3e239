import ChartModel
import Foundation
import Layout

extension RulesExtractor {
    /// The kind of list a table holds on this page: the section it sits in says it first, then
    /// the table's own header words and column contents.
    static func tableKind(_ table: Table, section: Section) -> TableKind {
        switch section {
        case .labs: return .labs
        case .medications, .stoppedMedications: return .medications
        case .immunizations: return .immunizations
        case .vitals: return .vitals
        default: return table.kind
        }
    }

    /// The section a table's kind reads as.
    static func section(for kind: TableKind, current: Section) -> Section {
        switch kind {
        case .labs: return .labs
        case .medications: return current == .stoppedMedications ? .stoppedMedications : .medications
        case .immunizations: return .immunizations
        case .vitals: return .vitals
        case .unknown: return current
        }
    }

    /// Reads a table's rows by their columns, whatever their order and header wording.
    func readTable(_ table: Table, kind: TableKind, words lineWords: [[Word]], page: Int, stopped: Bool,
                   context: inout PageContext, into builder: inout Builder) {
        for row in table.rows {
            let words = lineWords[row.line]
            let line = Line(page: page, words: words)
            func cell(_ role: ColumnRole) -> [Word] {
                guard let c = table.column(role) else { return [] }
                return row.cells[c].map { words[$0] }
            }
            func text(_ cellWords: [Word]) -> String { cellWords.map(\.text).joined(separator: " ") }
            let name = cell(.name)
            guard !name.isEmpty else { continue }
            switch kind {
            case .labs:
                readLabRow(table, row: row, line: line, context: context, into: &builder)
            case .medications:
                // The name first, then the other cells as printed (a sig reads in its own order:
                // "2 puffs inhaled | Q4-6H PRN"); the status column is read on its own.
                // The dose follows the name wherever its column is (the sig parser reads what
                // comes before the dose as the name).
                let rest = table.columns.indices.filter { ![.name, .dose, .status].contains(table.columns[$0].role) }
                let ordered = name + cell(.dose) + rest.flatMap { row.cells[$0].map { words[$0] } }
                let before = builder.counts[.medications, default: 0]
                readMedication(Line(page: page, words: ordered), stopped: stopped, into: &builder)
                guard builder.counts[.medications, default: 0] > before, let status = tableStatus(text(cell(.status)), table: table)
                else { continue }
                let item = before
                if let index = builder.facts.lastIndex(where: { $0.group == .medications && $0.item == item && $0.field == .status }) {
                    let statusWords = cell(.status)
                    builder.facts[index].value = status
                    builder.facts[index].raw = text(statusWords)
                    if let box = BoundingBox.union(statusWords.map(\.bbox)) { builder.facts[index].bbox = box }
                }
            case .immunizations:
                let vaccineText = text(name).trimmingCharacters(in: CharacterSet(charactersIn: " -•"))
                guard vaccineText.contains(where: \.isLetter) else { continue }
                let item = builder.newItem(.immunizations)
                let nameRange = Self.range(of: name, in: words)
                builder.add(.immunizations, item, .vaccine, raw: vaccineText, value: vaccineText, line: line, words: nameRange)
                let dateWords = cell(.date)
                if let date = dates.normalize(text(dateWords)) {
                    builder.add(.immunizations, item, .date, raw: text(dateWords), value: date, line: line,
                                words: Self.range(of: dateWords, in: words))
                }
            case .vitals:
                let ordered = name + cell(.value) + cell(.unit)
                readVitals(Line(page: page, words: ordered), date: context.headingDate ?? context.encounterDate, into: &builder)
            case .unknown:
                break
            }
        }
    }

    /// A medication status from a status column: its words ("Discontinued", "D/C", "On hold"),
    /// or Yes/No under a header that asks whether the drug is taken ("Active?", "Current").
    func tableStatus(_ cell: String, table: Table) -> String? {
        if let status = ValueNormalizer.medicationStatus(cell) { return status }
        let header = table.columns.first { $0.role == .status }?.header.lowercased() ?? ""
        guard ["active", "current", "taking"].contains(where: header.contains) else { return nil }
        switch cell.lowercased().trimmingCharacters(in: .punctuationCharacters) {
        case "yes", "y": return "active"
        case "no", "n": return "discontinued"
        default: return nil
        }
    }

    /// The contiguous range of `line` that holds `part` (words of the same line).
    static func range(of part: [Word], in line: [Word]) -> Range<Int> {
        let indices = part.compactMap { w in line.firstIndex { $0 == w } }
        guard let low = indices.min(), let high = indices.max() else { return 0..<0 }
        return low..<(high + 1)
    }

    /// The unit a unit cell that names no known unit stands for: one the test is reported in, when OCR read the cell
    /// (`Vocabulary.usualUnit`), else the only known unit one character away. With the reason, for review.
    static func unitReadThroughOCR(_ printed: String, test: String, words: [Word]) -> (unit: String, reason: String)? {
        if words.contains(where: { $0.conf < 100 }), let usual = Vocabulary.usualUnit(ofTest: test, read: printed) {
            return (usual, "read as \"\(printed)\": taken for \(usual), a unit \(test) is reported in")
        }
        return ValueNormalizer.correctedUnit(printed).map { ($0, "read as \"\(printed)\": taken for \($0), one character away") }
    }

    /// A test name OCR misread beyond what `Vocabulary.labSpelling` undoes, spelled as the one test within an edit of
    /// it that is reported in the unit printed in the row (`unit`, as read), with the reason for review. Nil for names
    /// read from a text layer.
    static func labNameReadThroughOCR(_ name: String, unit: String?, confidence: Double) -> (name: String, reason: String)? {
        guard confidence < 100, let unit, Vocabulary.labSpelling(correcting: name) == nil,
              let spelled = Vocabulary.labSpelling(correcting: name, unitRead: unit) else { return nil }
        return (spelled, "read as \"\(name)\": taken for \(spelled), the only test that close reported in a unit read as \"\(unit)\"")
    }

    /// One lab row: the name, value, flag, unit and range cells, each from its own column.
    func readLabRow(_ table: Table, row: Table.Row, line: Line, context: PageContext, into builder: inout Builder) {
        let words = line.words
        func cell(_ role: ColumnRole) -> [Word] {
            guard let c = table.column(role) else { return [] }
            return row.cells[c].map { words[$0] }
        }
        let nameWords = cell(.name)
        let name = nameWords.map(\.text).joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ":;,- "))
        let valueWords = cell(.value)
        guard name.contains(where: \.isLetter), let first = valueWords.first else { return }
        // OCR reads a decimal point as a colon or comma ("13:1"): in a result column that is the
        // number, kept for review.
        var valueText = first.text
        var misread: String?
        if !Self.isValue(valueText), let match = valueText.firstMatch(of: /^(\d{1,4})[:,](\d{1,3})$/) {
            valueText = "\(match.1).\(match.2)"
            misread = "read as \"\(first.text)\": the decimal point is a guess"
        }
        // A flag printed or read against its value ("2.2H", "45L"): the number and its flag.
        var attachedFlag: String?
        if let flagged = Self.flaggedValue(valueText) {
            valueText = flagged.value
            attachedFlag = flagged.flag
        }
        // A letter or mark OCR read for one digit of a result ("B.7", "@.75"): the number, kept for review.
        if !Self.isValue(valueText), first.conf < 100, let repaired = ValueNormalizer.numberReadThroughOCR(valueText),
           Self.isValue(repaired.number) {
            valueText = repaired.number
            misread = "read as \"\(first.text)\": \"\(repaired.taken)\" taken for a digit"
        }
        guard Self.isValue(valueText) else { return }
        let item = builder.newItem(.labs)
        let unitWords = cell(.unit)
        let printedUnit = unitWords.isEmpty ? nil : unitWords.map(\.text).joined()
        let nameRange = Self.range(of: nameWords, in: words)
        let spelled = Self.labNameReadThroughOCR(name, unit: printedUnit, confidence: line.confidence(nameRange))
        var unit: (printed: String, value: String, review: String?)?
        if let printed = printedUnit {
            unit = (printed, ValueNormalizer.unit(printed), nil)
            // A garbled unit, read as one the test is reported in (the test the unit spelled the name as, when it did:
            // "mL/min/d,73m2" of "eGER", eGFR).
            if !ValueNormalizer.isKnownUnit(unit!.value),
               let corrected = Self.unitReadThroughOCR(printed, test: name, words: unitWords)
                   ?? spelled.flatMap({ Self.unitReadThroughOCR(printed, test: $0.name, words: unitWords) }) {
                unit = (printed, corrected.unit, corrected.reason)
            }
        }
        builder.add(.labs, item, .name, raw: name, value: spelled?.name ?? name, line: line, words: nameRange, review: spelled?.reason)
        let number = ValueNormalizer.number(valueText)
        let rangeWords = cell(.range)
        let printedRange = rangeWords.map(\.text).joined(separator: "")
        // Read by OCR with letters or marks for digits ("Q.82-1.77", "@-32"): the range they stand for, for review.
        let rangeReadThroughOCR = rangeWords.contains { $0.conf < 100 } ? ValueNormalizer.rangeReadThroughOCR(printedRange) : nil
        let rangeText = (rangeReadThroughOCR ?? printedRange)
            .trimmingCharacters(in: CharacterSet(charactersIn: "0123456789.-–<>=≤≥").inverted)
        // OCR reads a range's decimal point as a comma ("3.8-4,9").
        let repairedRange = rangeText.replacingOccurrences(of: #"(\d),(\d)"#, with: "$1.$2", options: .regularExpression)
        let reference = rangeText.isEmpty ? nil : ReferenceRange(repairedRange)
        var review = misread
        if review == nil, let number { review = LabPlausibility.problem(value: number, printed: valueText, range: reference) }
        let flagWords = cell(.flag).isEmpty ? Array(valueWords.dropFirst()) : cell(.flag)
        let printedFlag = attachedFlag.flatMap(ValueNormalizer.flag) ?? flagWords.lazy.compactMap({ ValueNormalizer.flag($0.text) }).first
        // Read by OCR, a flag that the value and range do not bear out: one of the three is misread.
        let disagreement = line.words.contains(where: { $0.conf < 100 }) ? number.flatMap {
            LabPlausibility.flagDisagreement(value: $0, printed: valueText, range: reference, flag: printedFlag,
                                             flagsPrinted: table.column(.flag) != nil)
        } : nil
        review = review ?? disagreement
        builder.add(.labs, item, .value, raw: first.text, value: number.map { Self.format($0) } ?? valueText, line: line,
                    words: Self.range(of: [first], in: words), review: review)
        if let unit {
            builder.add(.labs, item, .unit, raw: unit.printed, value: unit.value, line: line,
                        words: Self.range(of: unitWords, in: words), review: unit.review)
        }
        if !rangeText.isEmpty {
            let reason = rangeReadThroughOCR != nil ? "read as \"\(printedRange)\": marks taken for digits or a decimal point"
                : repairedRange == rangeText ? nil : "read as \"\(rangeText)\": a comma taken for a decimal point"
            builder.add(.labs, item, .referenceRange, raw: rangeReadThroughOCR == nil ? rangeText : printedRange, value: repairedRange,
                        line: line, words: Self.range(of: rangeWords, in: words), review: reason)
        }
        if let attachedFlag, let flag = ValueNormalizer.flag(attachedFlag) {
            builder.add(.labs, item, .flag, raw: attachedFlag, value: flag, line: line, words: Self.range(of: [first], in: words),
                        review: disagreement)
        } else if let flag = printedFlag {
            builder.add(.labs, item, .flag, raw: flag, value: flag, line: line, words: Self.range(of: flagWords, in: words),
                        review: disagreement)
        } else if let number, let reference, let derived = reference.flag(for: number) {
            builder.add(.labs, item, .flag, raw: derived, value: derived, line: line, words: Self.range(of: rangeWords, in: words),
                        review: disagreement)
        }
        if let date = context.sectionDate ?? context.encounterDate {
            builder.add(.labs, item, .date, raw: date, value: date, line: line, words: 0..<0)
        }
    }
}
