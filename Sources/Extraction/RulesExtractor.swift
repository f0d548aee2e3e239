import ChartModel
import Foundation
import Layout

/// The layout-aware rules extractor: reads a document's pages (words with boxes, in row
/// order) and returns facts with their evidence. No model involved.
///
/// It works line by line with a section state: label/value pairs (`DOB: 03/14/1958`) anywhere;
/// table and list rows interpreted by the section they sit in (medications, allergies, vitals,
/// labs, problems, immunizations), with columns told apart by what the cells hold (a number,
/// a unit, a range, a flag, a date), not by their order.
public struct RulesExtractor: Sendable {
    public var dates: DateNormalizer
    /// Words read with less confidence than this make their fact `needs_review`.
    public var minimumConfidence: Double = 60

    public init(dates: DateNormalizer = DateNormalizer()) {
        self.dates = dates
    }

    /// A section of a clinical document, recognised from its heading.
    enum Section: String {
        case none, medications, stoppedMedications, allergies, vitals, labs, problems, immunizations, plan
    }

    static let headings: [(Section, [String])] = [
        (.stoppedMedications, ["stopped medications", "discontinued medications", "medications stopped",
                               "medications discontinued", "stop taking these medications", "stop taking"]),
        (.medications, ["current medications", "discharge medications", "medications", "medication list", "medication / sig",
                        "medication", "home medications", "active medications", "meds", "current meds", "home meds",
                        "outpatient medications", "medications on admission", "admission medications", "medication reconciliation",
                        "continue these medications", "new medications", "rx"]),
        (.allergies, ["allergies", "allergy", "allergies/adverse reactions", "allergies and adverse reactions",
                      "drug allergies", "allergies / intolerances", "allergies/intolerances", "adverse reactions"]),
        (.vitals, ["vitals", "vital signs", "vitals at discharge", "vs", "vital signs at discharge", "objective"]),
        (.labs, ["recent labs", "labs", "laboratory", "pertinent laboratory results", "recent results", "results",
                 "laboratory results", "test name", "test", "laboratory data", "lab data", "labs and studies", "lab results",
                 "pertinent labs", "diagnostic results"]),
        (.problems, ["problem list", "problems", "discharge diagnoses", "diagnoses", "active problems", "past medical history",
                     "pmh", "active problem list", "medical history", "diagnosis", "final diagnoses"]),
        (.immunizations, ["immunizations", "immunization record", "vaccines", "vaccine", "immunization history",
                          "vaccination history", "vaccinations"]),
        (.plan, ["assessment and plan", "assessment / plan", "assessment/plan", "assessment & plan", "a/p", "plan", "assessment",
                 "impression", "impression and plan", "hpi", "history of present illness", "hospital course", "exam",
                 "physical exam", "interval history", "follow-up", "condition at discharge", "admitting diagnosis",
                 "emergency contact", "chief complaint", "cc", "subjective", "review of systems", "ros", "social history",
                 "family history"]),
    ]

    /// A line with its words, for grounding.
    struct Line {
        var page: Int
        var words: [Word]
        var text: String { words.map(\.text).joined(separator: " ") }

        func box(_ range: Range<Int>) -> BoundingBox? { BoundingBox.union(words[range].map(\.bbox)) }
        func confidence(_ range: Range<Int>) -> Double {
            range.isEmpty ? 0 : words[range].map(\.conf).reduce(0, +) / Double(range.count)
        }
    }

    // MARK: - Building facts

    struct Builder {
        var facts: [ExtractedFact] = []
        var counts: [FactGroup: Int] = [:]
        let minimumConfidence: Double
        /// The date of the document part being read (its visit, collection or admission date).
        var currentDate: String?
        /// The date under which each medication item was read, for charts that name a drug in
        /// several documents (a packet): the latest document's reading of it wins.
        var medicationDates: [Int: String] = [:]

        mutating func newItem(_ group: FactGroup) -> Int {
            let item = counts[group, default: 0]
            counts[group] = item + 1
            return item
        }

        mutating func add(_ group: FactGroup, _ item: Int, _ field: FactField, raw: String, value: String, line: Line,
                          words: Range<Int>, review: String? = nil) {
            let confidence = line.confidence(words)
            var reason = review
            var value = value
            // A test name misread by OCR ("Het", "HbAIc"; a text layer's words carry confidence 100) that is one
            // vocabulary name once OCR's usual confusions are undone: stored as that name, for review, with what was read.
            if group == .labs, field == .name, !words.isEmpty, confidence < 100,
               let spelled = Vocabulary.labSpelling(correcting: value) {
                reason = reason ?? "read as \"\(value)\": taken for \(spelled), the only test of that shape"
                value = spelled
            }
            // A problem name OCR misread within an edit of one condition's name: spelled so, for review.
            if group == .problems, field == .name, !words.isEmpty, confidence < 100,
               let spelled = Vocabulary.problemSpelling(correcting: value) {
                reason = reason ?? "read as \"\(value)\": taken for \(spelled), the closest condition"
                value = spelled
            }
            // A name whose misread words are each one edit from one known word: spelled so, for review.
            if [.problems, .allergies, .medications, .immunizations].contains(group),
               [.name, .substance, .vaccine, .reaction].contains(field), !words.isEmpty, confidence < 100,
               let spelled = FactChecks.respelled(value) {
                reason = reason ?? "read as \"\(value)\": spelled as the closest known words, \(spelled)"
                value = spelled
            }
            if reason == nil, confidence < minimumConfidence, !words.isEmpty {
                reason = "OCR confidence \(Int(confidence)) is below \(Int(minimumConfidence))"
            }
            if reason == nil {
                reason = FactChecks.problem(group: group, field: field, value: value, confidence: words.isEmpty ? 100 : confidence)
            }
            facts.append(ExtractedFact(group: group, item: item, field: field, raw: raw, value: value, page: line.page,
                                       bbox: words.isEmpty ? nil : line.box(words), sourceText: line.text,
                                       ocrConfidence: confidence, status: reason == nil ? .verified : .needsReview,
                                       reviewReason: reason))
        }

        /// Encounter fields read before the encounter's date (a referral's "Reason for
        /// referral:" above its date line): attached to the first encounter at the end.
        var pendingEncounter: [ExtractedFact] = []

        /// A field of the latest encounter, or, before there is one, of the first to come.
        mutating func addEncounterField(_ field: FactField, raw: String, value: String, line: Line, words: Range<Int>,
                                        review: String? = nil) {
            if let item = facts.last(where: { $0.group == .encounters && $0.field == .date })?.item {
                guard !facts.contains(where: { $0.group == .encounters && $0.item == item && $0.field == field }) else { return }
                add(.encounters, item, field, raw: raw, value: value, line: line, words: words, review: review)
            } else if !pendingEncounter.contains(where: { $0.field == field }) {
                let before = facts.count
                add(.encounters, -1, field, raw: raw, value: value, line: line, words: words, review: review)
                pendingEncounter.append(facts.remove(at: before))
            }
        }

        /// Gives the pending encounter fields to the first encounter that lacks them.
        mutating func flushPendingEncounter() {
            guard let first = facts.first(where: { $0.group == .encounters && $0.field == .date })?.item else { return }
            for var fact in pendingEncounter
            where !facts.contains(where: { $0.group == .encounters && $0.item == first && $0.field == fact.field }) {
                fact.item = first
                facts.append(fact)
            }
            pendingEncounter = []
        }

        func has(_ group: FactGroup, field: FactField, value: String) -> Bool {
            facts.contains { $0.group == group && $0.field == field && $0.value.lowercased() == value.lowercased() }
        }
    }

    // MARK: - Extraction

    /// Facts from the pages of one document (pages in order; blank pages give nothing).
    public func extract(pages: [PageReading]) -> [ExtractedFact] {
        // Two-column bodies are read column by column (Layout's ColumnBands).
        let pages = pages.map(ColumnBands.reordered)
        var builder = Builder(minimumConfidence: minimumConfidence)
        var patientItem: Int?
        var carried: String?
        var documentType: DocumentTitle?
        var pageTypes: [Int: DocumentTitle] = [:]
        var inferredTypes = Set<Int>()
        var contentTypes: [Int: DocumentTitle] = [:]
        let running = RunningLines.find(in: pages.map { (height: $0.height, lines: $0.isBlank ? [] : $0.lines) })
        // A table that ended its page, read as its kind: its rows may go on at the top of the
        // next page without the header row.
        var openTable: Table?
        // Where the current document's facts start, when a letter opened it inside the file.
        var documentStart = 0
        for (pageIndex, page) in pages.enumerated() {
            if page.isBlank {
                openTable = nil
                continue
            }
            var section = Section.none
            // The document's date (a lab report's collection date, a note's visit date) holds
            // on its later pages until a page prints its own.
            var context = PageContext()
            context.encounterDate = carried
            let top = page.lines.filter { $0.bbox.y0 < page.height * 0.4 }
            let title = ChartSplitter.title(in: top.map { $0.text.lowercased() })
            if let title {
                // A fax cover sheet's date is the day it was sent and its "Re:" names the
                // records sent, not a patient's field: the page gives no facts.
                if title.type == "fax-cover" {
                    documentType = nil
                    openTable = nil
                    continue
                }
                documentType = (title.type, top[title.line].text, top[title.line].bbox, page.number)
                // A titled page starts a new document (unless it numbers itself "Page 2 of 3"):
                // the last document's date is not this one's, even when this one's date cannot
                // be read (a packet whose next report's header OCR lost).
                let pageNumber = Self.pageNumber(of: page)
                if (pageNumber ?? 1) == 1 {
                    context.encounterDate = nil
                    openTable = nil
                }
            }
            // A letter's first page (its date and its addressee at the top) starts a new document
            // even without a title: a packet's referral letter after a lab report is not the lab
            // report's page, its date is not the lab's and its type is its own.
            if opensLetter(page) {
                if title == nil {
                    documentType = nil
                    context.encounterDate = nil
                    openTable = nil
                }
                documentStart = builder.facts.count
            }
            defer { carried = context.encounterDate }
            let lineWords = page.lines.map { Array(page.words[$0.words]) }
            var found = TableFinder.tables(in: lineWords, isHeading: { Self.heading($0) != nil })
            // Rows continued from the last page's table, up to the first table of this page's own.
            if let open = openTable,
               let continued = TableFinder.continuation(of: open, in: Array(lineWords[..<(found.map(\.headerLine).min() ?? lineWords.count)]),
                                                        skip: running[pageIndex].union(RunningLines.repeated(
                                                            on: (page.height, page.lines),
                                                            from: (pages[pageIndex - 1].height, pages[pageIndex - 1].lines))),
                                                        isHeading: { Self.heading($0) != nil }) {
                found.insert(continued, at: 0)
            }
            openTable = nil
            var lastRead: (table: Table, end: Int)?
            defer {
                // The last table read stays open when nothing but running lines or a "continued"
                // note follows it on its page.
                if let last = lastRead, (last.end + 1..<page.lines.count).allSatisfy({ i in
                    running[pageIndex].contains(i) || TableFinder.isContinuedNote(page.lines[i].text)
                }) {
                    openTable = last.table
                }
            }
            let tables = Dictionary(found.map { ($0.headerLine, $0) }, uniquingKeysWith: { first, _ in first })
            // What the page's content says it is (a table of labs, a letter), for an untitled page.
            if let inferred = Self.inferredType(page, tables: found) {
                contentTypes[page.number] = (inferred.type, inferred.line.text, inferred.line.bbox, page.number)
                if documentType == nil {
                    documentType = contentTypes[page.number]
                    inferredTypes.insert(page.number)
                }
            }
            if let documentType { pageTypes[page.number] = documentType }
            var tableLines = Set<Int>()
            var sectionAt: [Section] = Array(repeating: .none, count: page.lines.count)
            let heights = page.lines.map(\.bbox.height).sorted()
            let typicalHeight = heights.isEmpty ? 0 : heights[heights.count / 2]
            defer {
                // Narrative paragraphs, wrapped lines joined: what their sentences state.
                for paragraph in Self.paragraphs(lineWords, skip: tableLines)
                where paragraph.allSatisfy({ [.none, .plan].contains(sectionAt[$0]) }) {
                    let joined = Line(page: page.number, words: paragraph.flatMap { lineWords[$0] })
                    readProse(joined, date: context.encounterDate, into: &builder)
                }
            }
            var firstColumn: (section: Section, status: String?, secondX: Double)?
            var lowest = 0.0
            for (index, line) in page.lines.enumerated() {
                defer { sectionAt[index] = section }
                builder.currentDate = context.encounterDate
                // Reading went back up the page: a second column starts, outside the sections
                // of the first (ColumnBands put its lines after the first column's). Below the
                // columns, left of the second, the first column's last section goes on.
                if index > 0, line.bbox.y1 < page.lines[index - 1].bbox.y0 {
                    firstColumn = (section, context.listStatus, line.bbox.x0)
                    section = .none
                    context.listStatus = nil
                } else if let left = firstColumn, line.bbox.y0 >= lowest, line.bbox.x0 < left.secondX - line.bbox.height {
                    (section, context.listStatus) = (left.section, left.status)
                    firstColumn = nil
                }
                lowest = max(lowest, line.bbox.y1)
                if tableLines.contains(index) { continue }
                let words = lineWords[index]
                var view = Line(page: page.number, words: words)
                // A table: its rows read by their columns, in the section it sits in.
                if let table = tables[index], case let kind = Self.tableKind(table, section: section), kind != .unknown {
                    section = Self.section(for: kind, current: section)
                    readTable(table, kind: kind, words: lineWords, page: page.number, stopped: section == .stoppedMedications,
                              context: &context, into: &builder)
                    tableLines.formUnion(table.lines)
                    var read = table
                    read.kind = kind
                    lastRead = (read, table.lines.max() ?? index)
                    continue
                }
                if context.facility == nil, index < 4,
                   let name = Self.letterhead(view.text) ?? (line.bbox.height >= typicalHeight * 1.15 ? Self.titleCaseLetterhead(view.text) : nil)
                    // Name left, address right: the first cell alone.
                    ?? TableFinder.cells(of: words).first.flatMap({ cell in
                        // (not "SMITH, JOHN", a running header's patient)
                        let text = cell.map { words[$0].text }.joined(separator: " ")
                        return cell.count < words.count && !text.contains(",") ? Self.letterhead(text) : nil
                    }) {
                    context.facility = (view.text, name, view)
                }
                // Running headers and footers (repeated across pages, or numbering them) end a
                // section; only their labelled fields (a repeated patient grid) and the
                // letterhead are read from them.
                if running[pageIndex].contains(index) {
                    section = .none
                    readPairs(view, into: &builder, patient: &patientItem, context: &context)
                    continue
                }
                // A letter's addressee: "Dr. Name" on a line of its own near the top, or the greeting.
                if index < 14, let addressee = Self.addressee(view.text) {
                    builder.addEncounterField(.referredTo, raw: view.text, value: addressee, line: view, words: 0..<view.words.count)
                    if view.text.lowercased().hasPrefix("dr") && view.words.count <= 5 {
                        context.addressBlock = 3
                        continue
                    }
                }
                // The address block under it names the service ("Dunmore Gastroenterology").
                if context.addressBlock > 0 {
                    context.addressBlock -= 1
                    if let found = Vocabulary.longestSpecialty(in: view.text) {
                        let from = view.text.index(view.text.startIndex, offsetBy: found.offset)
                        let range = from..<view.text.index(from, offsetBy: found.length)
                        let printed = String(view.text[range])
                        builder.addEncounterField(.specialty, raw: printed, value: printed, line: view,
                                                  words: Self.wordRange(of: range, in: view))
                        context.addressBlock = 0
                        continue
                    }
                }
                // A letter's signature: the line after "Sincerely," names its author.
                if Self.isClosing(view.text) {
                    context.expectSigner = true
                    continue
                }
                if context.expectSigner {
                    context.expectSigner = false
                    let text = view.text
                    if text.split(separator: " ").count <= 6, !text.contains(where: \.isNumber), text.contains(where: \.isLetter),
                       let item = builder.facts.last(where: { $0.group == .encounters && $0.field == .date })?.item,
                       !builder.facts.contains(where: { $0.group == .encounters && $0.item == item && $0.field == .provider }) {
                        builder.add(.encounters, item, .provider, raw: text, value: text, line: view, words: 0..<view.words.count)
                        continue
                    }
                }
                if let heading = Self.heading(view.text) {
                    section = heading.section
                    context.listStatus = Self.medicationListStatus(
                        view.text.lowercased().split(separator: ":").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "")
                    context.listHasLowercaseItems = false
                    context.headingDate = heading.date.flatMap(dates.normalize)
                    if let date = context.headingDate { context.sectionDate = date }
                    if section == .labs { readLabs(view, context: &context, into: &builder) }
                    if heading.rest.isEmpty { continue }
                    // "Medications: Amlodipine 10 mg PO daily; …": read what follows the heading.
                    if let colon = view.words.firstIndex(where: { $0.text.hasSuffix(":") }) {
                        view = Line(page: view.page, words: Array(view.words[(colon + 1)...]))
                    }
                    readSection(section, view, context: &context, into: &builder)
                    continue
                }
                // A letter's date line ("January 12, 2026") near the top of its first page.
                if context.encounterDate == nil, index < 8,
                   !builder.facts[documentStart...].contains(where: { $0.group == .encounters }),
                   let date = dates.normalize(view.text), date.count == 10 {
                    context.encounterDate = date
                    let item = builder.newItem(.encounters)
                    builder.add(.encounters, item, .date, raw: view.text, value: date, line: view, words: 0..<words.count)
                    context.encounterItem = item
                    if let facility = context.facility {  // the letterhead above it
                        builder.add(.encounters, item, .facility, raw: facility.raw, value: facility.value,
                                    line: facility.line, words: 0..<facility.line.words.count)
                    }
                    continue
                }
                let startsWithLabel = readPairs(view, into: &builder, patient: &patientItem, context: &context)
                if startsWithLabel && section != .vitals { continue }
                // A heading chartex does not know ("REASON FOR VISIT"): a short capitalised line
                // in a list whose items are not capitalised ends the list.
                let capitalised = Self.isCapitalisedHeading(view.text)
                if capitalised, context.listHasLowercaseItems,
                   [.allergies, .problems, .medications, .stoppedMedications, .immunizations].contains(section) {
                    section = .none
                    context.listHasLowercaseItems = false
                    continue
                }
                if !capitalised, view.text.contains(where: \.isLowercase) { context.listHasLowercaseItems = true }
                readSection(section, view, context: &context, into: &builder)
            }
        }
        builder.flushPendingEncounter()
        Self.addEncounterTypes(&builder, types: pageTypes, inferred: inferredTypes, content: contentTypes)
        let facts = Self.reviewUnconfirmedPatientName(Self.reviewContradictedNoKnownAllergies(builder.facts), pages: pages)
        return Self.mergeRepeatedLabs(facts)
    }

    /// A patient name read by OCR whose words the chart prints elsewhere (a running header, "RE:", a second
    /// document) but one of which is read nowhere else ("Delacraix" beside "DELACROIX, GIDEON"): one of the readings
    /// is wrong, so the name is kept for review. Initials and short words are not compared; a name printed once is
    /// left as it is.
    static func reviewUnconfirmedPatientName(_ facts: [ExtractedFact], pages: [PageReading]) -> [ExtractedFact] {
        guard let index = facts.firstIndex(where: { $0.group == .patient && $0.field == .name && $0.status == .verified }),
              facts[index].ocrConfidence < 100 else { return facts }
        func words(_ text: String) -> [String] {
            text.lowercased().split(whereSeparator: { !$0.isLetter }).map(String.init).filter { $0.count >= 3 }
        }
        var counts: [String: Int] = [:]
        for page in pages where !page.isBlank {
            for word in page.words { for part in words(word.text) { counts[part, default: 0] += 1 } }
        }
        let name = Set(words(facts[index].value))
        guard name.contains(where: { counts[$0, default: 0] >= 2 }),
              let lone = name.sorted().first(where: { counts[$0, default: 0] < 2 }) else { return facts }
        var result = facts
        result[index].status = .needsReview
        result[index].reviewReason = "\"\(lone)\" of the patient's name is read nowhere else in the chart, which prints the name again"
        return result
    }

    /// What names a document's type: the type, the line that says it, and its page.
    typealias DocumentTitle = (type: String, text: String, box: BoundingBox, page: Int)

    /// Each encounter's type, from the title of the document whose page created it ("PROGRESS
    /// NOTE" records an office visit); its evidence is the title line. A later, untitled page
    /// whose new date opened another encounter after the titled document had its own is another
    /// document: its type is only guessed from its content (a table of labs), or not given.
    static func addEncounterTypes(_ builder: inout Builder, types: [Int: DocumentTitle],
                                  inferred: Set<Int>, content: [Int: DocumentTitle]) {
        let dates = builder.facts.filter { $0.group == .encounters && $0.field == .date }
        for fact in dates {
            guard !builder.facts.contains(where: { $0.group == .encounters && $0.item == fact.item && $0.field == .type }),
                  var title = types[fact.page] else { continue }
            var guessed = inferred.contains(title.page)
            if title.page < fact.page,
               dates.contains(where: { $0.item != fact.item && $0.page >= title.page && $0.page < fact.page }) {
                guard let own = content[fact.page] else { continue }
                title = own
                guessed = true
            }
            guard let type = ChartSplitter.encounterType(title.type) else { continue }
            builder.facts.append(ExtractedFact(group: .encounters, item: fact.item, field: .type, raw: title.text, value: type,
                                               page: title.page, bbox: title.box, sourceText: title.text,
                                               ocrConfidence: fact.ocrConfidence, status: guessed ? .needsReview : .verified,
                                               reviewReason: guessed ? "no title names the document: inferred from its content" : nil))
        }
    }

    /// A document type for a page whose title names none, from what the page holds: a table of
    /// results is a lab report, a table of vaccines an immunization record, a letter (it closes
    /// with "Sincerely,") that refers the patient is a referral letter. Returns the evidence line.
    static func inferredType(_ page: PageReading, tables: [Table]) -> (type: String, line: TextLine)? {
        if let table = tables.first(where: { $0.kind == .labs && $0.rows.count >= 3 }) {
            return ("lab-report", page.lines[table.headerLine])
        }
        if let table = tables.first(where: { $0.kind == .immunizations && $0.rows.count >= 2 }) {
            return ("immunization-record", page.lines[table.headerLine])
        }
        if page.lines.contains(where: { isClosing($0.text) }),
           let line = page.lines.first(where: { $0.text.range(of: #"(?i)\b(refer|referring|referred|referral|consultation|please (see|evaluate))\b"#,
                                                             options: .regularExpression) != nil }) {
            return ("referral-letter", line)
        }
        return nil
    }

    /// "No known allergies" in a chart that records an allergy elsewhere (a packet whose older
    /// note says NKDA and whose discharge summary lists penicillin) is contradicted: the items
    /// that say it, and the reason they need review. Used on the rules' facts and again on the
    /// merged facts (`FactPipeline`), where the model's reading may bring either side.
    public static func contradictedNoKnownAllergies(_ facts: [ExtractedFact]) -> (items: Set<Int>, reason: String)? {
        let noneItems = Set(facts.filter { $0.group == .allergies && $0.field == .noKnownAllergies && $0.value == "true" }.map(\.item))
        guard !noneItems.isEmpty,
              let recorded = facts.first(where: { $0.group == .allergies && $0.field == .substance && !noneItems.contains($0.item) })
        else { return nil }
        return (noneItems, "the chart records an allergy elsewhere (\(recorded.value), page \(recorded.page))")
    }

    static func reviewContradictedNoKnownAllergies(_ facts: [ExtractedFact]) -> [ExtractedFact] {
        guard let contradicted = contradictedNoKnownAllergies(facts) else { return facts }
        return facts.map { fact in
            guard fact.group == .allergies, contradicted.items.contains(fact.item), fact.status == .verified else { return fact }
            var fact = fact
            fact.status = .needsReview
            fact.reviewReason = contradicted.reason
            return fact
        }
    }

    /// The same lab on the same date reported twice in a chart (a note's "recent labs" and
    /// the lab report) becomes one item: the second report's facts are kept as further
    /// evidence of the first item's fields (same group, item and field), not as a new item.
    static func mergeRepeatedLabs(_ facts: [ExtractedFact]) -> [ExtractedFact] {
        var byItem: [Int: [FactField: String]] = [:]
        for fact in facts where fact.group == .labs { byItem[fact.item, default: [:]][fact.field] = fact.value }
        var canonical: [Int: Int] = [:]
        var seen: [(key: String, date: String?, value: String?, item: Int)] = []
        for item in byItem.keys.sorted() {
            let fields = byItem[item]!
            let name = (fields[.name] ?? "").lowercased().replacingOccurrences(of: #"[^a-z0-9]"#, with: "", options: .regularExpression)
            if let first = seen.first(where: { ($0.key.contains(name) || name.contains($0.key)) && !name.isEmpty
                && $0.date == fields[.date] && $0.value == fields[.value] }) {
                canonical[item] = first.item
            } else {
                seen.append((name, fields[.date], fields[.value], item))
            }
        }
        guard !canonical.isEmpty else { return facts }
        // Renumber so items stay 0..<n.
        let kept = byItem.keys.sorted().filter { canonical[$0] == nil }
        let number = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        return facts.map { fact in
            guard fact.group == .labs else { return fact }
            var fact = fact
            fact.item = number[canonical[fact.item] ?? fact.item] ?? fact.item
            return fact
        }
    }

    /// Reads one line as the section it sits in.
    func readSection(_ section: Section, _ view: Line, context: inout PageContext, into builder: inout Builder) {
        switch section {
        case .medications, .stoppedMedications:
            readMedication(view, stopped: section == .stoppedMedications, listStatus: context.listStatus, into: &builder)
        case .allergies:
            readAllergies(view, from: 0, into: &builder)
        case .vitals:
            readVitals(view, date: context.headingDate ?? context.encounterDate, into: &builder)
        case .labs:
            readLabs(view, context: &context, into: &builder)
        case .problems:
            readProblems(view, into: &builder)
        case .immunizations:
            readImmunizations(view, into: &builder)
        case .plan:
            // Numbered assessment items name the problems addressed ("1. Hypothyroidism - …").
            if view.text.firstMatch(of: /^\d+[.)]\s+[A-Za-z]/) != nil, view.text.contains(" - ") {
                readProblems(view, firstOnly: true, into: &builder)
            }
            readMedicationChanges(view, into: &builder)
        case .none:
            readMedicationChanges(view, into: &builder)
        }
    }

    struct PageContext {
        var encounterDate: String?
        /// The encounter item this page created, and what to attach to it.
        var encounterItem: Int?
        var pendingProvider: (raw: String, line: Line, words: Range<Int>)?
        /// The facility named at the top of the page (its letterhead).
        var facility: (raw: String, value: String, line: Line)?
        /// A date in the current section's heading ("Vitals (01/08/2026):").
        var headingDate: String?
        var sectionDate: String?
        var columnDates: [String] = []
        /// Where each of `columnDates` is printed across the header row (its first to its last word).
        var columnSpans: [(x0: Double, x1: Double)] = []
        /// Where the header's next column ("Units") starts after the last date, if it has one.
        var columnsEnd: Double?
        /// The line before was a letter's closing ("Sincerely,"): the next names its author.
        var expectSigner = false
        /// Lines left in a letter's address block after its "Dr. Name" line.
        var addressBlock = 0
        /// The current section's items are written in lower or mixed case.
        var listHasLowercaseItems = false
        /// The status the current medication list's heading gives its items ("New Medications").
        var listStatus: String?
    }

    /// Two to five capitalised words, no digits, no colon: how untitled headings are printed.
    static func isCapitalisedHeading(_ text: String) -> Bool {
        let words = text.split(separator: " ")
        return (2...5).contains(words.count) && !text.contains(where: \.isNumber) && !text.contains(":")
            && text == text.uppercased() && words.allSatisfy { $0.filter(\.isLetter).count >= 2 || $0 == "&" || $0 == "/" }
    }

    /// The clinician a letter is addressed to: a line "Dr. Jane Roe" (up to five words, no digits)
    /// or the greeting "Dear Dr. Roe,".
    /// Whether a page opens a letter: among its first eight lines, a line that is only a full
    /// date, and within its first fourteen an addressee ("Dr. Name", "Dear Dr. Name"); not a
    /// page that numbers itself as a later page.
    func opensLetter(_ page: PageReading) -> Bool {
        let lines = page.lines.prefix(14).map(\.text)
        guard lines.prefix(8).contains(where: { (dates.normalize($0)?.count ?? 0) == 10 }),
              lines.contains(where: { Self.addressee($0) != nil }) else { return false }
        return (Self.pageNumber(of: page) ?? 1) == 1
    }

    static func addressee(_ text: String) -> String? {
        let trimmed = text.trimmingCharacters(in: CharacterSet(charactersIn: " ,:"))
        if let match = trimmed.firstMatch(of: /^Dear\s+(Dr\.?\s+[A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+){0,2})\s*[,:]?/) {
            return String(match.1)
        }
        guard trimmed.firstMatch(of: /^Dr\.?\s+[A-Z][A-Za-z'.-]*(?:\s+[A-Z][A-Za-z'.-]*){0,3}$/) != nil else { return nil }
        return trimmed
    }

    /// The number a page prints for itself: "Page 2 of 3" anywhere on it, else "Page 2" in its first or last two lines
    /// (a running header or footer whose "of 3" OCR lost). Nil when it prints none.
    static func pageNumber(of page: PageReading) -> Int? {
        if let match = page.text.firstMatch(of: /(?i)page\s+(\d+)\s+of\s+\d+/) { return Int(match.1) }
        let margins = page.lines.prefix(2) + page.lines.suffix(2)
        return margins.lazy.compactMap { line in line.text.firstMatch(of: /(?i)\bpage\s+(\d+)\b/).flatMap { Int($0.1) } }.first
    }

    /// "Sincerely,", "Kind regards," and the other ways a letter closes before its signature.
    static func isClosing(_ text: String) -> Bool {
        let key = text.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: " ,.;"))
        return ["sincerely", "sincerely yours", "yours sincerely", "regards", "kind regards", "best regards", "warm regards",
                "respectfully", "yours truly", "very truly yours", "with regards", "thank you"].contains(key)
    }

    /// A letterhead printed larger than the text in title case ("Glen Arbor Primary Care").
    static func titleCaseLetterhead(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard words.count >= 2, words.count <= 7, !text.contains(where: \.isNumber), !text.contains(":"),
              words.allSatisfy({ $0.first?.isUppercase == true || ["of", "and", "the", "&"].contains($0) }),
              !words.contains(where: { titleWords.contains($0.lowercased()) }) else { return nil }
        return text
    }

    /// A heading line: its section, an optional date in it ("Recent Labs (10/28/2026):") and
    /// what follows the colon on the same line.
    static func heading(_ text: String) -> (section: Section, date: String?, rest: String)? {
        let lower = text.lowercased()
        let parts = lower.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        var head = String(parts[0]).trimmingCharacters(in: .whitespaces)
        var date: String?
        if let open = head.firstIndex(of: "("), let close = head.lastIndex(of: ")"), open < close {
            date = String(head[head.index(after: open)..<close])
            head = String(head[..<open]).trimmingCharacters(in: .whitespaces)
        }
        // What follows the first colon (a line OCR read as ":" alone, or starting with one, has nothing before it).
        let rest = text.firstIndex(of: ":").map { String(text[text.index(after: $0)...]).trimmingCharacters(in: .whitespaces) } ?? ""
        for (section, names) in headings {
            for name in names where head == name {
                // Table headers ("Test Name Result Units…") start a labs section as a whole line.
                return (section, date, parts.count > 1 ? rest : "")
            }
        }
        // A short heading that starts with a known one ("Vitals Today", "Medications Prior to
        // Visit"): a line of at most five words, no digits, no colon inside.
        let headWords = head.split(separator: " ")
        if parts.count == 1 || rest.isEmpty, headWords.count <= 5, !head.contains(where: \.isNumber) {
            var best: (Section, Int)?
            for (section, names) in headings {
                for name in names where name.count >= 4 && head.hasPrefix(name + " ") && name.count > (best?.1 ?? 0) {
                    best = (section, name.count)
                }
            }
            // Or ends with one, qualified by when or which ("Discharge Vital Signs", "Admission
            // Labs"): a heading of two words or more ending with a known heading of six letters or more.
            if best == nil {
                for (section, names) in headings {
                    for name in names where name.count >= 6 && head.hasSuffix(" " + name) && name.count > (best?.1 ?? 0) {
                        best = (section, name.count)
                    }
                }
            }
            if let best { return (best.0, date, "") }
        }
        if parts.count == 1 || rest.isEmpty, let status = medicationListStatus(head) {
            return (status == "discontinued" ? .stoppedMedications : .medications, date, "")
        }
        // Table header rows: "Test Result Flag Units Reference Range", "Medication Strength…", "Vaccine Date Given…".
        let first = lower.split(separator: " ").first.map(String.init) ?? ""
        if ["test", "medication", "vaccine"].contains(first), lower.contains("date") || lower.contains("result") || lower.contains("strength")
            || lower.contains("frequency") {
            return ([("test", Section.labs), ("medication", .medications), ("vaccine", .immunizations)].first { $0.0 == first }!.1, nil, "")
        }
        if lower.hasPrefix("test ") || lower.hasPrefix("test name") {
            // Cumulative reports: "Test 10/18/2026 10/22/2026 Units Reference".
            return (.labs, nil, "")
        }
        return nil
    }

    /// The status a medication list's heading gives its items: a status word ("new", "start",
    /// "continue", "keep", "stop", "hold"…, `ValueNormalizer.medicationStatus`) first, and a word
    /// for medicines ("medications", "meds", "prescriptions") or for taking them ("taking", "these
    /// medications") after it: "New Medications", "Continue taking", "STOP taking these medications".
    static func medicationListStatus(_ head: String) -> String? {
        let words = head.split(separator: " ").map(String.init)
        guard (2...6).contains(words.count), !head.contains(where: \.isNumber),
              let status = ValueNormalizer.medicationStatus(words[0]),
              words.dropFirst().contains(where: { ["medications", "medication", "meds", "prescriptions", "taking", "take"].contains($0) })
        else { return nil }
        return status
    }

    // MARK: - Label/value pairs

    static let labels: [String: String] = [
        "patient": "name", "patient name": "name", "name": "name", "re": "re", "pt name": "name",
        "patient's name": "name", "regarding": "re",
        "dob": "birthDate", "date of birth": "birthDate", "birth date": "birthDate", "birthdate": "birthDate",
        "d.o.b.": "birthDate", "d.o.b": "birthDate",
        "sex": "sex", "gender": "sex", "sex/gender": "sex",
        "mrn": "mrn", "patient id (mrn)": "mrn", "patient id": "mrn", "medical record number": "mrn", "mrn#": "mrn",
        "mrn #": "mrn", "medical record #": "mrn", "med rec #": "mrn", "record #": "mrn", "chart #": "mrn", "mr#": "mrn",
        "date of service": "visitDate", "visit date": "visitDate", "date": "visitDate", "collected": "collected",
        "dos": "visitDate", "date of visit": "visitDate", "encounter date": "visitDate", "service date": "visitDate",
        "collection date": "collected", "date collected": "collected", "specimen collected": "collected",
        "admission date": "admitDate", "admit date": "admitDate", "date of admission": "admitDate", "admitted": "admitDate",
        "discharge date": "dischargeDate", "date of discharge": "dischargeDate", "discharged": "dischargeDate",
        "provider": "provider", "attending": "provider", "ordering physician": "provider", "ordered by": "provider",
        "attending physician": "provider", "physician": "provider", "ordering provider": "provider", "seen by": "provider",
        "rendering provider": "provider",
        "allergies": "allergies", "problems": "problems", "medications": "medications",
        "disposition": "disposition", "discharge disposition": "disposition", "disposition at discharge": "disposition",
        "principal diagnosis": "diagnosis", "primary diagnosis": "diagnosis", "principal discharge diagnosis": "diagnosis",
        "reason for referral": "reason", "referral reason": "reason", "reason for consultation": "reason",
        "reason for consult": "reason", "referred to": "referredTo", "specialty": "specialty", "consult to": "referredTo",
        "referred by": "provider", "referring provider": "provider", "referring physician": "provider",
    ]

    /// A label the table does not hold word for word, read from the words it is made of: the
    /// admission and discharge dates ("Date Admitted:", "Admission:", "Date of Discharge:" — a
    /// date follows, or nothing is read), the principal diagnosis ("Primary Dx:", "Principal
    /// discharge diagnosis:"; "dx" is the usual abbreviation of diagnosis), and where the patient
    /// went ("Discharged to:", "Discharge destination:").
    static func composedLabel(_ label: String) -> String? {
        // Words only: "01/10/2026 Discharge Date" is a value and a label, not a label.
        guard !label.contains(where: \.isNumber) else { return nil }
        let words = Set(label.split(whereSeparator: { !$0.isLetter }).map(String.init))
        guard !words.isEmpty, words.count <= 4 else { return nil }
        let filler: Set<String> = ["date", "of", "the", "patient"]
        let rest = words.subtracting(filler)
        if !rest.isEmpty, rest.isSubset(of: ["admission", "admit", "admitted"]) { return "admitDate" }
        if !rest.isEmpty, rest.isSubset(of: ["discharge", "discharged"]) { return "dischargeDate" }
        if words.contains("principal") || words.contains("primary"),
           words.contains("diagnosis") || words.contains("dx") { return "diagnosis" }
        if (words.contains("discharged") || words.contains("discharge")) && (words.contains("to") || words.contains("destination")) {
            return "disposition"
        }
        return nil
    }

    /// A known label that OCR misread by one character ("Altergies:", "Medicatlons:"): a
    /// label of 7 or more letters one edit away from exactly one known label. Shorter labels
    /// are too close to each other and to ordinary words to guess.
    /// A label of several words may have one misread in each ("Nischarge bate:"): each word of four or more letters
    /// one edit from the known label's word, shorter words as printed.
    static func misreadLabel(_ label: String) -> String? {
        guard label.count >= 7 else { return nil }
        let text = Array(label)
        let words = label.split(separator: " ").map { Array($0) }
        var found: String?
        for (known, key) in labels where known.count >= 7 {
            let knownWords = known.split(separator: " ").map { Array($0) }
            let whole = abs(known.count - text.count) <= 1 && Self.withinOneEdit(text, Array(known))
            let wordByWord = words.count > 1 && words.count == knownWords.count && zip(words, knownWords).allSatisfy {
                $0 == $1 || ($1.count >= 4 && Self.withinOneEdit($0, $1))
            }
            guard whole || wordByWord else { continue }
            if let found, found != key { return nil }  // ambiguous
            found = key
        }
        return found
    }

    /// True when `a` becomes `b` by at most one substitution, insertion or deletion.
    static func withinOneEdit(_ a: [Character], _ b: [Character]) -> Bool {
        if a.count == b.count { return zip(a, b).filter { $0 != $1 }.count <= 1 }
        let (long, short) = a.count > b.count ? (a, b) : (b, a)
        guard long.count == short.count + 1 else { return false }
        var i = 0
        while i < short.count && long[i] == short[i] { i += 1 }
        return long[(i + 1)...].elementsEqual(short[i...])
    }

    /// Splits a line into `label: value` pairs (one or two columns) and reads the ones it knows.
    /// - Returns: true when the line starts with a known label (a header grid row).
    @discardableResult
    func readPairs(_ line: Line, into builder: inout Builder, patient: inout Int?, context: inout PageContext) -> Bool {
        var starts: [(index: Int, length: Int, key: String)] = []
        var i = 0
        while i < line.words.count {
            var matched = false
            for length in stride(from: 4, through: 1, by: -1) where i + length <= line.words.count {
                let candidate = line.words[i..<(i + length)].map(\.text).joined(separator: " ")
                guard let end = candidate.last, ":;}".contains(end) else { continue }
                let label = String(candidate.dropLast()).lowercased()
                // OCR reads a colon as a semicolon or brace ("Specimen Collected;", "Ordering Provider}"), a known
                // label's only: an unknown word before one is not taken for a label.
                let known = Self.labels[label] ?? Self.composedLabel(label)
                if let key = end == ":" ? known ?? Self.misreadLabel(label) : (line.confidence(i..<(i + length)) < 100 ? known : nil) {
                    starts.append((i, length, key))
                    i += length
                    matched = true
                    break
                }
            }
            if !matched { i += 1 }
        }
        for (n, start) in starts.enumerated() {
            let valueStart = start.index + start.length
            var valueEnd = n + 1 < starts.count ? starts[n + 1].index : line.words.count
            // An unknown label ("Printed:", "Room:", or a dotted abbreviation OCR misread, "0.0.8.:" for D.O.B.:)
            // ends the value too.
            if let other = line.words[valueStart..<valueEnd].firstIndex(where: {
                $0.text.count > 2 && $0.text.hasSuffix(":") && $0.text.first?.isLetter == true
                    || $0.text.wholeMatch(of: /(?:[A-Za-z0-9][.,]){2,}[A-Za-z0-9]?[.,]?[:;]+/) != nil
            }), other > valueStart {
                valueEnd = other
            }
            guard valueStart < valueEnd else { continue }
            let range = valueStart..<valueEnd
            let raw = line.words[range].map(\.text).joined(separator: " ")
            func patientItem() -> Int {
                if let patient { return patient }
                let item = builder.newItem(.patient)
                patient = item
                return item
            }
            switch start.key {
            case "name":
                if !builder.facts.contains(where: { $0.group == .patient && $0.field == .name }) {
                    builder.add(.patient, patientItem(), .name, raw: raw, value: Self.personName(raw), line: line, words: range)
                }
            case "re":
                // "RE: Thomas A. Reilly DOB: …" in letters.
                if !builder.facts.contains(where: { $0.group == .patient && $0.field == .name }) {
                    builder.add(.patient, patientItem(), .name, raw: raw, value: Self.personName(raw), line: line, words: range)
                }
            case "birthDate":
                if let iso = dates.normalize(raw), !builder.facts.contains(where: { $0.group == .patient && $0.field == .birthDate }) {
                    builder.add(.patient, patientItem(), .birthDate, raw: raw, value: iso, line: line, words: range)
                }
            case "sex":
                let value = raw.lowercased().hasPrefix("f") ? "female" : raw.lowercased().hasPrefix("m") ? "male" : raw.lowercased()
                if !builder.facts.contains(where: { $0.group == .patient && $0.field == .sex }) {
                    builder.add(.patient, patientItem(), .sex, raw: raw, value: value, line: line, words: range)
                }
            case "mrn":
                if !builder.facts.contains(where: { $0.group == .patient && $0.field == .mrn }) {
                    builder.add(.patient, patientItem(), .mrn, raw: raw, value: raw, line: line, words: range)
                }
            case "visitDate", "admitDate", "collected":
                if let iso = dates.normalize(raw) {
                    context.encounterDate = iso
                    context.sectionDate = context.sectionDate ?? iso
                    if !builder.has(.encounters, field: .date, value: iso) {
                        let item = builder.newItem(.encounters)
                        builder.add(.encounters, item, .date, raw: raw, value: iso, line: line, words: range)
                        context.encounterItem = item
                        if let facility = context.facility {
                            builder.add(.encounters, item, .facility, raw: facility.raw, value: facility.value,
                                        line: facility.line, words: 0..<facility.line.words.count)
                        }
                        if let provider = context.pendingProvider {
                            builder.add(.encounters, item, .provider, raw: provider.raw, value: provider.raw, line: provider.line,
                                        words: provider.words)
                            context.pendingProvider = nil
                        }
                    }
                }
            case "provider":
                if let item = context.encounterItem,
                   !builder.facts.contains(where: { $0.group == .encounters && $0.item == item && $0.field == .provider }) {
                    builder.add(.encounters, item, .provider, raw: raw, value: raw, line: line, words: range)
                } else if context.encounterItem == nil {
                    context.pendingProvider = (raw, line, range)
                }
            case "disposition", "diagnosis", "reason", "referredTo", "specialty":
                if let field = FactField(rawValue: start.key) {
                    builder.addEncounterField(field, raw: raw, value: raw, line: line, words: range)
                }
                if start.key == "diagnosis" { readProblems(line, from: valueStart, into: &builder) }
            case "dischargeDate":
                // The stay this page's admission date opened, else the latest encounter.
                if let iso = dates.normalize(raw),
                   let item = context.encounterItem ?? builder.facts.last(where: { $0.group == .encounters && $0.field == .date })?.item {
                    builder.add(.encounters, item, .endDate, raw: raw, value: iso, line: line, words: range)
                    context.encounterDate = iso
                }
            case "allergies" where start.index == 0, "problems" where start.index == 0, "medications" where start.index == 0:
                break  // a heading with its list on the same line: the section reader takes it
            case "allergies":
                readAllergies(line, from: valueStart, to: valueEnd, into: &builder)
            case "problems":
                readProblems(line, from: valueStart, into: &builder)
            case "medications":
                for part in raw.split(separator: ";") {
                    readMedication(Line(page: line.page, words: Self.words(of: String(part), in: line)), stopped: false, into: &builder)
                }
            default:
                break
            }
        }
        return starts.first?.index == 0 && !["allergies", "problems", "medications"].contains(starts.first!.key)
    }

    static let titleWords: Set<String> = ["note", "report", "summary", "list", "record", "sheet", "results", "letter",
                                          "medication", "progress", "discharge", "immunization", "laboratory report"]

    /// A letterhead line: two or more capitalised words, no digits, not a document title
    /// ("RIVERSIDE FAMILY MEDICINE" → "Riverside Family Medicine").
    static func letterhead(_ text: String) -> String? {
        let words = text.split(separator: " ")
        guard words.count >= 2, words.count <= 7, !text.contains(where: \.isNumber), !text.contains(":"),
              text == text.uppercased(), text.contains(where: \.isLetter),
              !words.contains(where: { titleWords.contains($0.lowercased()) }) else { return nil }
        return words.map { word in
            let lower = word.lowercased()
            return ["of", "and", "the"].contains(lower) ? lower : lower.prefix(1).uppercased() + lower.dropFirst()
        }.joined(separator: " ")
    }

    /// "Gonzalez, Maria L." → "Maria L. Gonzalez"; "OKAFOR, DANIEL C" → "Daniel C. Okafor".
    /// A person's name as the rules store it ("GONZALEZ, MARIA L" → "Maria L. Gonzalez").
    public static func personNameValue(_ raw: String) -> String { personName(raw) }

    static func personName(_ raw: String) -> String {
        var name = raw
        if let comma = raw.firstIndex(of: ",") {
            let last = raw[..<comma].trimmingCharacters(in: .whitespaces)
            let first = raw[raw.index(after: comma)...].trimmingCharacters(in: .whitespaces)
            name = "\(first) \(last)"
        }
        let parts = name.split(separator: " ").map { part -> String in
            var word = String(part)
            if word == word.uppercased() && word.count > 1 { word = word.prefix(1) + word.dropFirst().lowercased() }
            if word.count == 1 { word += "." }
            return word
        }
        return parts.joined(separator: " ")
    }

    /// The words of `line` that make up `text` (a part of it), for grounding sub-phrases.
    static func words(of text: String, in line: Line) -> [Word] {
        let wanted = text.split(separator: " ").map(String.init)
        guard let first = wanted.first else { return [] }
        for start in line.words.indices where line.words[start].text.hasPrefix(first) || first.hasSuffix(line.words[start].text) {
            let end = min(line.words.count, start + wanted.count)
            return Array(line.words[start..<end])
        }
        return []
    }
}
