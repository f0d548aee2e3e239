import ChartModel
import Foundation

extension RulesExtractor {
    // MARK: - Grounding helpers

    /// The words of `line` that hold the characters `range` of `line.text`.
    static func wordRange(of range: Range<String.Index>, in line: Line) -> Range<Int> {
        let text = line.text
        let start = text.distance(from: text.startIndex, to: range.lowerBound)
        let end = text.distance(from: text.startIndex, to: range.upperBound)
        var offset = 0
        var first: Int?
        var last = 0
        for (index, word) in line.words.enumerated() {
            let wordEnd = offset + word.text.count
            if wordEnd > start && offset < end {
                if first == nil { first = index }
                last = index
            }
            offset = wordEnd + 1
        }
        guard let first else { return 0..<0 }
        return first..<(last + 1)
    }

    /// The first run of words equal to `phrase` (case-insensitive), or nil.
    static func find(_ phrase: String, in line: Line, from start: Int = 0) -> Range<Int>? {
        let wanted = phrase.split(separator: " ").map { $0.lowercased() }
        guard !wanted.isEmpty, line.words.count >= wanted.count else { return nil }
        for i in start...(line.words.count - wanted.count) {
            let candidate = line.words[i..<(i + wanted.count)].map { $0.text.lowercased() }
            if zip(candidate, wanted).allSatisfy({ $0 == $1 || $0.trimmingCharacters(in: .punctuationCharacters) == $1.trimmingCharacters(in: .punctuationCharacters) }) {
                return i..<(i + wanted.count)
            }
        }
        return nil
    }

    // MARK: - Medications

    func readMedication(_ line: Line, stopped: Bool, listStatus: String? = nil, into builder: inout Builder) {
        guard let sig = SigParser.parse(line.text) else { return }
        let name = sig.name.trimmingCharacters(in: CharacterSet(charactersIn: "-• "))
        if let existing = builder.facts.first(where: { $0.group == .medications && $0.field == .name && $0.value.lowercased() == name.lowercased() }),
           let now = builder.currentDate, let then = builder.medicationDates[existing.item], now != then {
            // Named in two documents of different dates (a packet): the later one's reading
            // (dose, frequency, status) replaces the earlier's; an earlier one's is left out.
            guard now > then else { return }
            builder.facts.removeAll { $0.group == .medications && $0.item == existing.item }
            builder.medicationDates[existing.item] = nil
        }
        if let existing = builder.facts.first(where: { $0.group == .medications && $0.field == .name && $0.value.lowercased() == name.lowercased() }) {
            // Mentioned again later in the chart: the latest mention's status wins.
            let status = stopped ? "discontinued" : (sig.status ?? listStatus ?? "active")
            if let index = builder.facts.firstIndex(where: { $0.group == .medications && $0.item == existing.item && $0.field == .status }),
               builder.facts[index].value != status, stopped || sig.status != nil || (listStatus ?? "active") != "active" {
                let words = Self.find(name, in: line) ?? 0..<line.words.count
                builder.facts[index].value = status
                builder.facts[index].raw = status
                builder.facts[index].page = line.page
                builder.facts[index].bbox = line.box(words)
                builder.facts[index].sourceText = line.text
            }
            return
        }
        let item = builder.newItem(.medications)
        builder.medicationDates[item] = builder.currentDate
        let nameWords = Self.find(name, in: line) ?? 0..<min(1, line.words.count)
        builder.add(.medications, item, .name, raw: name, value: name, line: line, words: nameWords)
        var cursor = nameWords.upperBound
        func add(_ field: FactField, _ raw: String?, value: String? = nil) {
            guard let raw else { return }
            let words = Self.find(raw, in: line, from: cursor) ?? Self.find(raw, in: line) ?? nameWords
            if words.upperBound > cursor { cursor = words.lowerBound }
            builder.add(.medications, item, field, raw: raw, value: value ?? raw, line: line, words: words)
        }
        add(.dose, sig.dose)
        if let read = sig.unitRead, let unit = sig.unit {
            let words = Self.find(read, in: line, from: cursor) ?? nameWords
            builder.add(.medications, item, .unit, raw: read, value: unit, line: line, words: words,
                        review: "read as \"\(read)\": taken for \(unit), the dose unit it is closest to")
        } else {
            add(.unit, sig.unit)
        }
        var route = sig.route
        if route == nil {
            // Devices say how they are taken: puffs are inhaled, sprays in the nostril are nasal.
            let lower = line.text.lowercased()
            if lower.contains("nostril") || lower.contains("nasal") { route = "intranasal" }
            else if lower.contains("puff") || lower.contains("inhaler") || lower.contains("hfa") { route = "inhaled" }
        }
        if let route { builder.add(.medications, item, .route, raw: route, value: route, line: line,
                                   words: Self.find(route, in: line) ?? nameWords) }
        add(.frequency, sig.frequency)
        add(.prn, sig.prn)
        let status = stopped ? "discontinued" : (sig.status ?? listStatus ?? "active")
        builder.add(.medications, item, .status, raw: status, value: status, line: line, words: nameWords)
    }

    /// Medication changes in plans and narrative: "start Empagliflozin 10 mg PO daily",
    /// "increase Lisinopril to 40 mg PO daily", "Prednisone course completed", "stop Aspirin".
    func readMedicationChanges(_ line: Line, into builder: inout Builder) {
        let text = line.text
        for match in text.matches(of: /(?i)\b(?:start|started|begin|initiate)\s+([A-Za-z][A-Za-z-]+(?:\s+[A-Za-z-]+)?\s+\d[^;]*?)(?:[;]|\.(?:\s|$)|$)/) {
            let phrase = String(match.1)
            let sub = Line(page: line.page, words: Self.words(of: phrase, in: line))
            guard let sig = SigParser.parse(phrase), !builder.has(.medications, field: .name, value: sig.name) else { continue }
            readMedication(sub.words.isEmpty ? line : sub, stopped: false, into: &builder)
            if let item = builder.facts.last(where: { $0.group == .medications && $0.field == .name })?.item,
               let index = builder.facts.lastIndex(where: { $0.group == .medications && $0.item == item && $0.field == .status }) {
                builder.facts[index].value = "new"
                builder.facts[index].raw = "start"
            }
        }
        for match in text.matches(of: /(?i)\b(?:increase|decrease|change|reduce)\s+([A-Za-z][A-Za-z-]+)\s+to\s+(\d+(?:\.\d+)?)\s*(mg|mcg|g|units|mEq)\b/) {
            let name = String(match.1)
            guard let item = builder.facts.first(where: { $0.group == .medications && $0.field == .name && $0.value.lowercased() == name.lowercased() })?.item,
                  let index = builder.facts.firstIndex(where: { $0.group == .medications && $0.item == item && $0.field == .dose })
            else { continue }
            let words = Self.wordRange(of: match.range, in: line)
            builder.facts[index].value = String(match.2)
            builder.facts[index].raw = String(text[match.range])
            builder.facts[index].page = line.page
            builder.facts[index].bbox = line.box(words)
            builder.facts[index].sourceText = text
        }
        for match in text.matches(of: /(?i)\b([A-Za-z][A-Za-z-]+)\s+course\s+completed|\b(?:stop|stopped|discontinue|discontinued)\s+([A-Za-z][A-Za-z-]+)/) {
            let name = String(match.1 ?? match.2 ?? "")
            guard let item = builder.facts.first(where: { $0.group == .medications && $0.field == .name && $0.value.lowercased() == name.lowercased() })?.item,
                  let index = builder.facts.firstIndex(where: { $0.group == .medications && $0.item == item && $0.field == .status })
            else { continue }
            builder.facts[index].value = "discontinued"
            builder.facts[index].raw = String(text[match.range])
            builder.facts[index].page = line.page
            builder.facts[index].bbox = line.box(Self.wordRange(of: match.range, in: line))
            builder.facts[index].sourceText = text
        }
    }

    // MARK: - Allergies

    func readAllergies(_ line: Line, from start: Int, to end: Int? = nil, into builder: inout Builder) {
        let end = end ?? line.words.count
        guard start < end else { return }
        let text = line.words[start..<end].map(\.text).joined(separator: " ")
        let lower = text.lowercased()
        if lower.contains("nkda") || lower.contains("no known") {
            guard !builder.has(.allergies, field: .substance, value: "NKDA") else { return }
            let item = builder.newItem(.allergies)
            let words = Self.find("NKDA", in: line) ?? start..<end
            builder.add(.allergies, item, .substance, raw: text, value: "NKDA", line: line, words: words)
            builder.add(.allergies, item, .noKnownAllergies, raw: text, value: "true", line: line, words: words)
            return
        }
        for part in text.split(whereSeparator: { $0 == ";" || $0 == "," }) {
            var entry = part.trimmingCharacters(in: .whitespaces)
            var details: [String] = []
            while let open = entry.lastIndex(of: "("), let close = entry.lastIndex(of: ")"), open < close {
                details.insert(String(entry[entry.index(after: open)..<close]), at: 0)
                entry = String(entry[..<open]).trimmingCharacters(in: .whitespaces)
            }
            var substance = entry
            var reaction: String?
            var split: String?
            if let dash = entry.range(of: " - ") {
                substance = String(entry[..<dash.lowerBound])
                reaction = String(entry[dash.upperBound...])
            } else if details.isEmpty, line.words.contains(where: { $0.conf < 100 }),
                      let parts = Vocabulary.substanceAndReaction(entry) {
                // OCR lost the dash, or read it as another mark: the reaction is told by its name, for review.
                (substance, reaction) = parts
                split = "read as \"\(entry)\": the reaction told from the substance by its name"
            }
            var severity: String?
            for detail in details {
                let d = detail.lowercased()
                if ["mild", "moderate", "severe"].contains(d) { severity = d } else if reaction == nil { reaction = detail }
            }
            substance = substance.trimmingCharacters(in: CharacterSet(charactersIn: "-•. "))
            guard substance.count >= 2, substance.first?.isLetter == true,
                  !builder.has(.allergies, field: .substance, value: substance) else { continue }
            let item = builder.newItem(.allergies)
            let words = Self.find(substance, in: line, from: start) ?? start..<end
            builder.add(.allergies, item, .substance, raw: substance, value: substance, line: line, words: words, review: split)
            if let reaction {
                builder.add(.allergies, item, .reaction, raw: reaction, value: reaction, line: line,
                            words: Self.find(reaction, in: line, from: start) ?? words, review: split)
            }
            if let severity {
                builder.add(.allergies, item, .severity, raw: severity, value: severity, line: line,
                            words: Self.find("(\(severity))", in: line, from: start) ?? words)
            }
        }
    }

    // MARK: - Vitals

    /// Vital signs as charts print them: abbreviated or spelled out, with a colon, an equals
    /// sign or a word between name and value ("BP 132/84", "Blood pressure: 132/84 mmHg",
    /// "blood pressure was 132/84", "a pulse of 81 bpm"). Matched without regard to case; the O of
    /// SpO2 and O2 may be read by OCR as a zero.
    static let vitalLink = #"\s*(?::|;|=|\bwas\b|\bof\b|\bis\b|\bmeasured\b)?\s*"#
    static let vitalPatterns: [(name: String, pattern: String, unit: String?)] = [
        ("blood pressure", #"\b(?:BP|Blood Pressure|B/P)"# + vitalLink + #"(\d{2,3}/\d{2,3})(?:\s*mmHg)?"#, "mmHg"),
        ("heart rate", #"\b(?:HR|P|Pulse|Pulse Rate|Heart Rate)"# + vitalLink + #"(\d{2,3})\b(?:\s*bpm)?"#, "bpm"),
        ("respiratory rate", #"\b(?:RR|Resp|Respirations|Respiratory Rate)"# + vitalLink + #"(\d{1,2})\b"#, "/min"),
        ("temperature", #"\b(?:Temp|T|Temperature)"# + vitalLink + #"(\d{2,3}(?:\.\d)?)(?:\s*°?\s*([FC])(?![a-z]))?"#, nil),
        ("oxygen saturation", #"\b(?:Sp[O0]2|[O0]2 Sat|Sat|[O0]2 Saturation|Oxygen Saturation|Pulse Ox)"# + vitalLink
            + #"(\d{2,3})\s*%"#, "%"),
        ("weight", #"\b(?:Wt|Weight)"# + vitalLink + #"(\d{2,3}(?:\.\d+)?)\s*(kg|kq|lb|lbs)\b"#, nil),
        ("height", #"\b(?:Ht|Height)"# + vitalLink + #"(\d{2,3}(?:\.\d+)?)\s*(cm|in)\b"#, nil),
    ]

    func readVitals(_ line: Line, date: String?, into builder: inout Builder) {
        let text = line.text
        for (name, pattern, fixedUnit) in Self.vitalPatterns {
            guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
                  let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                  let valueRange = Range(match.range(at: 1), in: text), let whole = Range(match.range, in: text) else { continue }
            let raw = String(text[valueRange])
            var unit = fixedUnit
            var unitReview: String?
            if unit == nil, match.numberOfRanges > 2, let unitRange = Range(match.range(at: 2), in: text) {
                unit = ValueNormalizer.unit(String(text[unitRange]))
                // OCR reads the g of kg as a q.
                if unit?.lowercased() == "kq" { unit = "kg"; unitReview = "read as \"kq\": taken for kg" }
            }
            if name == "temperature", unit == nil {
                // The scale's letter lost to OCR ("Temp 98.1."): a body temperature says which scale it is in.
                guard let number = Double(raw) else { continue }
                if (90...110).contains(number) { unit = "F" } else if (32...43).contains(number) { unit = "C" } else { continue }
                unitReview = "no F or C read after the temperature; \(unit!) from its value"
            }
            let item = builder.newItem(.vitals)
            let words = Self.wordRange(of: whole, in: line)
            builder.add(.vitals, item, .name, raw: name, value: name, line: line, words: words)
            builder.add(.vitals, item, .value, raw: raw, value: raw, line: line, words: Self.wordRange(of: valueRange, in: line))
            if let unit { builder.add(.vitals, item, .unit, raw: unit, value: unit, line: line, words: words, review: unitReview) }
            if let date { builder.add(.vitals, item, .date, raw: date, value: date, line: line, words: 0..<0) }
        }
    }

    // MARK: - Labs

    func readLabs(_ line: Line, context: inout PageContext, into builder: inout Builder) {
        let tokens = line.words.map(\.text)
        // A cumulative report's header: one column per date ("Test 10/18/2026 10/22/2026 Units",
        // "Analyte August 15, 2025 August 19, 2025 Units Reference"): two dates or more and no
        // value outside them.
        let spans = dateSpans(tokens)
        let inDates = Set(spans.flatMap { Array($0.words) })
        if spans.count >= 2, !tokens.indices.contains(where: { !inDates.contains($0) && Self.isValue(tokens[$0]) }) {
            context.columnDates = spans.map(\.iso)
            context.columnSpans = spans.map { (line.words[$0.words.lowerBound].bbox.x0, line.words[$0.words.upperBound - 1].bbox.x1) }
            let after = spans[spans.count - 1].words.upperBound
            context.columnsEnd = after < line.words.count ? line.words[after].bbox.x0 : nil
            return
        }
        if tokens.first?.lowercased() == "test" { context.columnDates = []; context.columnSpans = []; context.columnsEnd = nil; return }
        var position = 0
        while position < tokens.count {
            guard let next = readLab(line, from: position, context: context, into: &builder) else { break }
            position = next
        }
    }

    /// A cumulative table's row split by where its words are printed: the name left of the first date column, the
    /// words under each date column's header (a word belongs to the column its centre lies within, a quarter of an
    /// inch of slack either side for results printed right of or centred under a narrower header), and the index of
    /// the first word after them (unit, range, flag); a column ends halfway to the next header column at the latest.
    /// Nil when the row does not fit the header: nothing left of the
    /// first column, or a word between columns.
    static func dateColumnCells(_ line: Line, spans: [(x0: Double, x1: Double)], end: Double?)
        -> (name: Range<Int>, columns: [Range<Int>], rest: Int)? {
        guard spans.count >= 2, let firstColumn = spans.first, let lastColumn = spans.last else { return nil }
        let slack = 18.0
        let centres = line.words.map { ($0.bbox.x0 + $0.bbox.x1) / 2 }
        let nameEnd = centres.firstIndex(where: { $0 >= firstColumn.x0 - slack }) ?? centres.count
        guard nameEnd > 0 else { return nil }
        var columns: [Range<Int>] = []
        var index = nameEnd
        for (n, span) in spans.enumerated() {
            let next = n + 1 < spans.count ? spans[n + 1].x0 : end
            let limit = next.map { min(span.x1 + slack, (span.x1 + $0) / 2) } ?? span.x1 + slack
            let from = index
            while index < centres.count, centres[index] < limit {
                guard centres[index] >= span.x0 - slack || n == 0 else { return nil }
                index += 1
            }
            columns.append(from..<index)
        }
        guard centres[index...].allSatisfy({ $0 > lastColumn.x1 }) else { return nil }
        return (0..<nameEnd, columns, index)
    }

    /// The full dates among `tokens`, each of one to three words ("10/18/2026", "18 Oct 2026",
    /// "October 18, 2026"), longest first, left to right.
    func dateSpans(_ tokens: [String]) -> [(words: Range<Int>, iso: String)] {
        var spans: [(words: Range<Int>, iso: String)] = []
        var i = 0
        while i < tokens.count {
            var found = false
            for length in stride(from: 3, through: 1, by: -1) where i + length <= tokens.count {
                let text = tokens[i..<(i + length)].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ",;:()"))
                guard text.contains(where: \.isNumber), let iso = dates.normalize(text), iso.count == 10 else { continue }
                spans.append((i..<(i + length), iso))
                i += length
                found = true
                break
            }
            if !found { i += 1 }
        }
        return spans
    }

    static func isValue(_ token: String) -> Bool {
        token.range(of: #"^[<>]?=?\d+(\.\d+)?$"#, options: .regularExpression) != nil
    }

    /// A result with its flag printed or read against it ("2.2H", "45L", "144HH"): the number and the flag.
    static func flaggedValue(_ token: String) -> (value: String, flag: String)? {
        guard !isValue(token), let match = token.firstMatch(of: /^([<>]?\d{1,5}(?:\.\d{1,4})?)(HH|LL|H|L)$/) else { return nil }
        return (String(match.1), String(match.2))
    }

    /// Reads one lab starting at `start`; returns where the next one may start, or nil.
    func readLab(_ line: Line, from start: Int, context: PageContext, into builder: inout Builder) -> Int? {
        let tokens = line.words.map(\.text)
        let isResult = { (token: String) in Self.isValue(token) || Self.flaggedValue(token) != nil }
        guard let valueIndex = tokens.indices.dropFirst(start).first(where: { isResult(tokens[$0]) }), valueIndex > start else {
            return nil
        }
        var nameEnd = valueIndex
        // Values: one per date column on cumulative reports, else one. `column` is the date column a value is under.
        var values: [(raw: String, words: Range<Int>, flag: String?, column: Int)] = []
        var i = valueIndex
        if start == 0, let cells = Self.dateColumnCells(line, spans: context.columnSpans, end: context.columnsEnd), context.columnSpans.count == context.columnDates.count {
            // Read by where each word is printed: a cell OCR could not read ("71 L" as "JIL") leaves that date
            // without a result instead of shifting the next date's result under it.
            nameEnd = cells.name.upperBound
            for (column, cell) in cells.columns.enumerated() {
                guard let first = cell.first(where: { isResult(tokens[$0]) }) else { continue }
                if let flagged = Self.flaggedValue(tokens[first]) {
                    values.append((flagged.value, first..<(first + 1), ValueNormalizer.flag(flagged.flag), column))
                } else if first + 1 < cell.upperBound, let f = ValueNormalizer.flag(tokens[first + 1]) {
                    values.append((tokens[first], first..<(first + 2), f, column))
                } else {
                    values.append((tokens[first], first..<(first + 1), nil, column))
                }
            }
            i = cells.rest
        } else {
            let wanted = max(1, context.columnDates.count)
            while i < tokens.count, values.count < wanted, isResult(tokens[i]) {
                if let flagged = Self.flaggedValue(tokens[i]) {
                    values.append((flagged.value, i..<(i + 1), ValueNormalizer.flag(flagged.flag), values.count))
                    i += 1
                } else if i + 1 < tokens.count, let f = ValueNormalizer.flag(tokens[i + 1]) {
                    values.append((tokens[i], i..<(i + 2), f, values.count))
                    i += 2
                } else {
                    values.append((tokens[i], i..<(i + 1), nil, values.count))
                    i += 1
                }
            }
        }
        let name = tokens[start..<nameEnd].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: ":;,- "))
        guard !values.isEmpty, name.contains(where: \.isLetter), name.count <= 40, !name.lowercased().hasPrefix("page"),
              dates.normalize(name) == nil else { return valueIndex + 1 }
        let nameWords = start..<nameEnd
        var unit: (String, Range<Int>)?
        var range: (String, Range<Int>)?
        var flag: (String, Range<Int>)?
        var explicitDate: String?
        var unitReview: String?
        var rangeReview: String?
        while i < tokens.count {
            let token = tokens[i]
            let bare = token.trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            if flag == nil, values.count == 1, values[0].flag == nil, let f = ValueNormalizer.flag(token) {
                flag = (f, i..<(i + 1))
            } else if range == nil, ReferenceRange(bare) != nil, bare.contains(where: { "-<>=–".contains($0) }) {
                range = (bare, i..<(i + 1))
            } else if range == nil, line.words[i].conf < 100, bare.contains(where: \.isNumber),
                      let repaired = ValueNormalizer.rangeReadThroughOCR(bare) {
                // Read by OCR with a comma for the point or a letter for a digit ("0.0-4,0", "Q.9-1.2"), for review.
                range = (repaired, i..<(i + 1))
                rangeReview = "read as \"\(bare)\": marks taken for digits or a decimal point"
            } else if token.lowercased() == "(ref", i + 1 < tokens.count {
                range = (tokens[i + 1].trimmingCharacters(in: CharacterSet(charactersIn: "()")), i..<(i + 2))
                i += 1
            } else if unit == nil, ValueNormalizer.isKnownUnit(token) || (token.contains("/") && token.contains(where: \.isLetter)) {
                unit = (ValueNormalizer.unit(token), i..<(i + 1))
                if !ValueNormalizer.isKnownUnit(token),
                   let corrected = Self.unitReadThroughOCR(token, test: name, words: [line.words[i]]) {
                    unit = (corrected.unit, i..<(i + 1))
                    unitReview = corrected.reason
                }
            } else if token.lowercased() == "on", i + 1 < tokens.count, let d = dates.normalize(tokens[i + 1]) {
                explicitDate = d
                i += 1
            } else if token.first?.isLetter == true, i + 1 < tokens.count,
                      tokens[(i + 1)...].prefix(3).contains(where: Self.isValue) {
                break  // the next lab on the same line
            }
            i += 1
        }
        let spelled = Self.labNameReadThroughOCR(name, unit: unit.map { tokens[$0.1].joined() }, confidence: line.confidence(nameWords))
        // The test the unit spelled the name as tells what a garbled unit is ("mL/min/d,73m2" of "eGER", eGFR).
        if let spelled, let read = unit, unitReview == nil, !ValueNormalizer.isKnownUnit(read.0),
           let corrected = Self.unitReadThroughOCR(tokens[read.1].joined(), test: spelled.name, words: Array(line.words[read.1])) {
            unit = (corrected.unit, read.1)
            unitReview = corrected.reason
        }
        for value in values {
            let n = value.column
            let date = context.columnDates.count > n ? context.columnDates[n] : (explicitDate ?? context.sectionDate ?? context.encounterDate)
            let item = builder.newItem(.labs)
            builder.add(.labs, item, .name, raw: name, value: spelled?.name ?? name, line: line, words: nameWords,
                        review: spelled?.reason)
            let number = ValueNormalizer.number(value.raw)
            var review: String?
            var disagreement: String?
            let parsed = range.flatMap { ReferenceRange($0.0) }
            if let number {
                review = LabPlausibility.problem(value: number, printed: value.raw, range: parsed)
                // Read by OCR, a printed flag the value and range do not bear out: one of the three is misread.
                if line.words.contains(where: { $0.conf < 100 }), let printed = value.flag ?? flag?.0 {
                    disagreement = LabPlausibility.flagDisagreement(value: number, printed: value.raw, range: parsed,
                                                                   flag: printed, flagsPrinted: true)
                }
                review = review ?? disagreement
            }
            builder.add(.labs, item, .value, raw: value.raw, value: number.map { Self.format($0) } ?? value.raw, line: line,
                        words: value.words, review: review)
            if let unit { builder.add(.labs, item, .unit, raw: unit.0, value: unit.0, line: line, words: unit.1, review: unitReview) }
            if let range {
                builder.add(.labs, item, .referenceRange, raw: rangeReview == nil ? range.0 : tokens[range.1].joined(separator: " "),
                            value: range.0, line: line, words: range.1, review: rangeReview)
            }
            if let f = value.flag ?? flag?.0 {
                builder.add(.labs, item, .flag, raw: f, value: f, line: line, words: value.flag != nil ? value.words : flag!.1,
                            review: disagreement)
            } else if let number, let parsed, let derived = parsed.flag(for: number) {
                // No flag printed: the reference range says it.
                builder.add(.labs, item, .flag, raw: derived, value: derived, line: line, words: range!.1)
            }
            if let date { builder.add(.labs, item, .date, raw: date, value: date, line: line, words: 0..<0) }
        }
        return i
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }

    // MARK: - Problems

    func readProblems(_ line: Line, from start: Int = 0, firstOnly: Bool = false, into builder: inout Builder) {
        guard start < line.words.count else { return }
        let text = line.words[start...].map(\.text).joined(separator: " ")
        for part in text.split(separator: ";").prefix(firstOnly ? 1 : Int.max) {
            var entry = part.trimmingCharacters(in: .whitespaces)
            if let marker = entry.firstMatch(of: /^(\d+[.)]|[-•])\s+/) { entry = String(entry[marker.range.upperBound...]) }
            var onset: String?
            if let paren = entry.firstMatch(of: /\s*\((?:onset\s+)?(\d{4})\)/) {
                if !entry[paren.range].lowercased().contains("quit") { onset = String(paren.1) }
                entry.removeSubrange(paren.range)
            }
            entry = entry.replacingOccurrences(of: #"\s*\((quit|since)[^)]*\)"#, with: "", options: .regularExpression)
            var name = entry
            var status = "active"
            if let dash = entry.range(of: " - ") {
                name = String(entry[..<dash.lowerBound])
                let rest = entry[dash.upperBound...].lowercased()
                if rest.contains("resolved") { status = "resolved" } else if rest.contains("inactive") { status = "inactive" }
            } else if let comma = entry.firstIndex(of: ",") {
                name = String(entry[..<comma])
            }
            // A sentence's full stop ends the name ("Hypertension. Stable."); a dot OCR made of a speck does not
            // ("Type .2 diabetes").
            if let period = name.firstMatch(of: /[A-Za-z0-9)]\.(?=\s|$)/) {
                name = String(name[..<name.index(before: period.range.upperBound)])
            }
            name = name.trimmingCharacters(in: CharacterSet(charactersIn: " .:"))
            guard name.count >= 3, name.first?.isLetter == true else { continue }
            if let known = builder.facts.first(where: { $0.group == .problems && $0.field == .name && Self.similar($0.value, name) }) {
                // Named again ("Principal diagnosis: X", then "1. X - resolved" in the list): a
                // status the later mention prints replaces the default.
                if status != "active",
                   let index = builder.facts.firstIndex(where: { $0.group == .problems && $0.item == known.item && $0.field == .status }),
                   builder.facts[index].value == "active" {
                    let words = Self.find(name, in: line, from: start) ?? start..<line.words.count
                    builder.facts.remove(at: index)
                    builder.add(.problems, known.item, .status, raw: status, value: status, line: line, words: words)
                }
                continue
            }
            let item = builder.newItem(.problems)
            let words = Self.find(name, in: line, from: start) ?? start..<line.words.count
            builder.add(.problems, item, .name, raw: name, value: name, line: line, words: words)
            builder.add(.problems, item, .status, raw: status, value: status, line: line, words: words)
            if let onset { builder.add(.problems, item, .onset, raw: onset, value: onset, line: line, words: words) }
        }
    }

    /// Two names that say the same thing: one holds the other, or most words are shared.
    static func similar(_ a: String, _ b: String) -> Bool {
        let x = a.lowercased(), y = b.lowercased()
        if x.contains(y) || y.contains(x) { return true }
        let wx = Set(x.split(whereSeparator: { !$0.isLetter && !$0.isNumber })), wy = Set(y.split(whereSeparator: { !$0.isLetter && !$0.isNumber }))
        return Double(wx.intersection(wy).count) / Double(max(1, min(wx.count, wy.count))) >= 0.6
    }

    // MARK: - Immunizations

    func readImmunizations(_ line: Line, into builder: inout Builder) {
        let text = line.text
        guard !text.lowercased().contains("due") else { return }
        for part in text.split(separator: ";") {
            var tokens = part.split(separator: " ").map(String.init)
            // A date printed in words ("November 17, 2021", "17 Nov 2021") counts as one token.
            for width in [3] {
                var i = 0
                while i + width <= tokens.count {
                    let joined = tokens[i..<(i + width)].joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: " -,;"))
                    if tokens[i].first?.isLetter == true || tokens[i].first?.isNumber == true, joined.contains(where: \.isLetter),
                       dates.normalize(joined)?.count == 10 {
                        tokens.replaceSubrange(i..<(i + width), with: [joined])
                    }
                    i += 1
                }
            }
            guard let dateIndex = tokens.firstIndex(where: { dates.normalize($0)?.count == 10 }), dateIndex > 0 else { continue }
            // "Tdap - given 03/04/2021": the words that introduce the date are not the vaccine's.
            var nameTokens = Array(tokens[..<dateIndex])
            while let last = nameTokens.last?.lowercased().trimmingCharacters(in: .punctuationCharacters),
                  ["", "given", "administered", "on", "date", "dated", "received", "dose"].contains(last) {
                nameTokens.removeLast()
            }
            var vaccine = nameTokens.joined(separator: " ").trimmingCharacters(in: CharacterSet(charactersIn: " -–:,"))
            if vaccine.lowercased().hasSuffix(" vaccine") { vaccine = String(vaccine.dropLast(8)) }
            guard vaccine.contains(where: \.isLetter) else { continue }
            let date = dates.normalize(tokens[dateIndex])!
            let item = builder.newItem(.immunizations)
            let words = Self.find(vaccine, in: line) ?? 0..<line.words.count
            builder.add(.immunizations, item, .vaccine, raw: vaccine, value: vaccine, line: line, words: words)
            builder.add(.immunizations, item, .date, raw: tokens[dateIndex], value: date, line: line,
                        words: Self.find(tokens[dateIndex], in: line) ?? words)
        }
    }
}
