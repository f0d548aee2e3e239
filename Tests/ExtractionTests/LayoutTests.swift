import ChartModel
@testable import Extraction
import Layout
import Testing

/// A page of table rows: each row's cells start at the given column positions (points), words
/// inside a cell 4 pt apart, rows 14 pt apart. Lines that are a plain string span column 0.
func tablePage(_ rows: [[String]], columns: [Double], above: [String] = []) -> PageReading {
    var segments: [[Word]] = []
    func words(_ text: String, from x: Double, row: Int) -> [Word] {
        var x = x
        return text.split(separator: " ").map { token in
            let width = Double(token.count) * 5
            defer { x += width + 4 }
            return Word(text: String(token), bbox: BoundingBox(x0: x, y0: Double(80 + row * 14), x1: x + width,
                                                               y1: Double(90 + row * 14)), conf: 95)
        }
    }
    for (row, line) in above.enumerated() { segments.append(words(line, from: 40, row: row)) }
    for (index, cells) in rows.enumerated() {
        segments.append(zip(cells, columns).flatMap { cell, x in words(cell, from: x, row: above.count + index) })
    }
    let layout = PageLayout(segments: segments)
    return PageReading(number: 1, width: 612, height: 792, pdfRotation: 0, source: .textLayer, rotation: 0, skew: 0, dpi: 72,
                       meanConfidence: 95, text: layout.text, words: layout.words, lines: layout.lines, blocks: layout.blocks,
                       timings: PageTimings())
}

@Suite struct LayoutTests {
    let extractor = RulesExtractor(dates: DateNormalizer(pivotYear: 26))

    /// Header words the vocabulary does not know: the columns are typed by what they hold.
    @Test func columnsUnderUnknownHeadersAreTypedByTheirContent() throws {
        let page = tablePage([
            ["Parameter", "Scale", "Observed", "Limits"],
            ["Serum ferritin", "ng/mL", "8", "15-150"],
            ["Hemoglobin", "g/dL", "10.9", "11.1-15.9"],
            ["Sodium", "mmol/L", "139", "134-144"],
        ], columns: [40, 200, 280, 360], above: ["Collected: 03/04/2026"])
        let words = page.lines.map { Array(page.words[$0.words]) }
        let table = try #require(TableFinder.tables(in: words).first)
        #expect(table.columns.map(\.role) == [.name, .unit, .value, .range])
        #expect(table.kind == .labs && table.rows.count == 3)
        let labs = items(extractor.extract(pages: [page]), .labs)
        #expect(labs.count == 3)
        #expect(labs.first == ["name": "Serum ferritin", "value": "8", "unit": "ng/mL", "referenceRange": "15-150", "flag": "L",
                               "date": "2026-03-04"])
    }

    /// A table whose rows go on at the top of the next page without the header row (after the
    /// patient named again); text that only lines up with its columns is not taken for rows.
    @Test func rowsContinuedOnTheNextPageWithoutTheirHeader() {
        let columns: [Double] = [40, 200, 280, 360]
        let first = tablePage([
            ["Test", "Result", "Units", "Reference Range"],
            ["Sodium", "139", "mmol/L", "134-144"],
            ["Potassium", "5.6", "mmol/L", "3.5-5.2"],
        ], columns: columns, above: ["Collected: 03/04/2026"])
        var second = tablePage([
            ["Creatinine", "1.42", "mg/dL", "0.57-1.00"],
            ["Glucose", "92", "mg/dL", "70-99"],
        ], columns: columns, above: ["Patient: Doe, Jane"])
        second.number = 2
        let labs = items(extractor.extract(pages: [first, second]), .labs)
        #expect(labs.map { $0["name"] } == ["Sodium", "Potassium", "Creatinine", "Glucose"])
        #expect(labs.count == 4 && labs[2] == ["name": "Creatinine", "value": "1.42", "unit": "mg/dL",
                                               "referenceRange": "0.57-1.00", "flag": "H", "date": "2026-03-04"])
        var prose = tablePage([
            ["Follow up", "in two", "weeks with", "the clinic"],
            ["Call the", "office if", "symptoms", "return"],
        ], columns: columns)
        prose.number = 2
        #expect(items(extractor.extract(pages: [first, prose]), .labs).count == 2)
        // A table that does not end its page is not continued. (Rows with the value first, which
        // no line reader takes for a lab, so only a continuation could read them.)
        let valueFirst: [Double] = [40, 100, 240, 320]
        func labPage(_ rows: [[String]], note: String?, number: Int) -> PageReading {
            var page = tablePage(rows + (note.map { [[$0]] } ?? []), columns: valueFirst)
            page.number = number
            return page
        }
        let open = labPage([["Result", "Test", "Units", "Reference Range"], ["139", "Sodium", "mmol/L", "134-144"]],
                           note: nil, number: 1)
        let closed = labPage([["Result", "Test", "Units", "Reference Range"], ["139", "Sodium", "mmol/L", "134-144"]],
                             note: "Results were reviewed with the patient at the visit today.", number: 1)
        let rest = labPage([["1.42", "Creatinine", "mg/dL", "0.57-1.00"], ["92", "Glucose", "mg/dL", "70-99"]], note: nil, number: 2)
        #expect(items(extractor.extract(pages: [open, rest]), .labs).map { $0["name"] } == ["Sodium", "Creatinine", "Glucose"])
        #expect(items(extractor.extract(pages: [closed, rest]), .labs).map { $0["name"] } == ["Sodium"])
    }

    /// In a packet, a lab report's own running header (which the packet's other documents do not print, so it is
    /// on fewer than half the pages) is no obstacle to its table's rows going on under it on the next page.
    @Test func rowsContinuedUnderTheHeaderOfADocumentInAPacket() {
        let columns: [Double] = [40, 200, 280, 360]
        let header = "DOE, JANE 4471 Oak Lab Services"
        func other(_ number: Int) -> PageReading {
            var page = tablePage([], columns: columns, above: ["DOE, JANE 4471 Riverside Family Medicine Progress Note",
                                                                "Seen today for follow-up of hypertension."])
            page.number = number
            return page
        }
        var first = tablePage([
            ["Test", "Result", "Units", "Reference Range"],
            ["Sodium", "139", "mmol/L", "134-144"],
            ["Potassium", "5.6", "mmol/L", "3.5-5.2"],
        ], columns: columns, above: [header, "Collected: 03/04/2026"])
        first.number = 2
        var second = tablePage([
            ["Creatinine", "1.42", "mg/dL", "0.57-1.00"],
            ["Glucose", "92", "mg/dL", "70-99"],
        ], columns: columns, above: [header])
        second.number = 3
        let pages = [other(1), first, second, other(4), other(5)]
        #expect(RunningLines.find(in: pages.map { ($0.height, $0.lines) })[2].isEmpty, "not on half the pages")
        #expect(RunningLines.repeated(on: (second.height, second.lines), from: (first.height, first.lines)) == [0])
        let labs = items(extractor.extract(pages: pages), .labs)
        #expect(labs.map { $0["name"] } == ["Sodium", "Potassium", "Creatinine", "Glucose"])
    }

    /// OCR drops the space between a result and its flag ("2.2H"): the number and the flag.
    @Test func aFlagReadAgainstItsValue() {
        let page = tablePage([
            ["Test", "Result", "Reference Range"],
            ["INR", "2.2H", "0.9-1.2"],
            ["eGFR", "45L", ">59"],
        ], columns: [40, 200, 300], above: ["Collected: 03/04/2026"])
        let labs = items(extractor.extract(pages: [page]), .labs)
        #expect(labs.map { $0["value"] } == ["2.2", "45"])
        #expect(labs.map { $0["flag"] } == ["H", "L"])
    }

    /// A line OCR read as a lone colon (or starting with one: a broken rule, a box edge) is no
    /// heading, and the page is still read (it stopped extraction with a crash).
    @Test func aLineThatIsOnlyAColon() {
        #expect(RulesExtractor.heading(":") == nil)
        #expect(RulesExtractor.heading(": Medications") == nil)
        #expect(RulesExtractor.heading("Medications: aspirin 81 mg")?.rest == "aspirin 81 mg")
        let page = tablePage([
            ["Test", "Result", "Reference Range"],
            [":"],
            ["INR", "2.2H", "0.9-1.2"],
            [":", "x"],
        ], columns: [40, 200, 300], above: ["Collected: 03/04/2026", ":"])
        #expect(items(extractor.extract(pages: [page]), .labs).map { $0["value"] } == ["2.2"])
    }

    /// A cumulative table (one result column per date) read by where its words are printed: a result OCR could
    /// not read leaves its date without a value instead of moving the next date's result under it, and a result
    /// with its flag run together ("9.3L") is a result.
    @Test func cumulativeTableCellsAreReadUnderTheirDates() {
        let page = tablePage([
            ["Test", "August 15, 2025", "August 19, 2025", "Units", "Reference"],
            ["MCV", "JIL", "80", "FL", "79-97"],
            ["Hgb", "9.3L", "14.0", "g/dL", "11.1-15.9"],
            ["AST", "100 H", "71H", "IU/L", "0-40"],
        ], columns: [57, 207, 292, 377, 472], above: ["DISCHARGE SUMMARY", "Laboratory Results:"])
        let labs = items(extractor.extract(pages: [page]), .labs)
        #expect(labs.filter { $0["name"] == "MCV" }.map { [$0["value"], $0["date"], $0["unit"]] } == [["80", "2025-08-19", "fL"]])
        #expect(labs.filter { $0["name"] == "Hgb" }.map { [$0["value"], $0["flag"], $0["date"]] }
                    == [["9.3", "L", "2025-08-15"], ["14", nil, "2025-08-19"]])
        #expect(labs.filter { $0["name"] == "AST" }.map { [$0["value"], $0["flag"]] } == [["100", "H"], ["71", "H"]])
    }

    /// Documents one after another in one file (a packet): a letter without a title after a lab
    /// report is a document of its own, with its own date and type; an untitled page whose new
    /// date opens another encounter is not typed by the title before it (only guessed from its
    /// content); "NKDA" where another document records an allergy is left for review.
    @Test func documentsInOneFileKeepTheirOwnEncounters() {
        let columns: [Double] = [40, 200, 280, 360]
        let header = ["Test", "Result", "Units", "Reference Range"]
        var report = tablePage([header, ["Sodium", "139", "mmol/L", "134-144"], ["Glucose", "92", "mg/dL", "70-99"]],
                               columns: columns, above: ["LABORATORY REPORT", "Collected: 01/05/2026", "Allergies: NKDA"])
        report.number = 1
        var letter = tablePage([], columns: [], above: [
            "Millbrook Family Health",
            "March 2, 2026",
            "Dr. Imogen Vale",
            "I am referring Mr. Roe to nephrology for evaluation of rising creatinine",
            "over the last six months. He is allergic to penicillin (hives).",
            "Sincerely,",
            "Ilse Vogel, NP",
        ])
        letter.number = 2
        var untitled = tablePage([header, ["Potassium", "4.1", "mmol/L", "3.5-5.2"], ["Calcium", "9.4", "mg/dL", "8.7-10.2"],
                                  ["Chloride", "101", "mmol/L", "96-106"]],
                                 columns: columns, above: ["Final Report", "Collected: 02/07/2026"])
        untitled.number = 3
        let facts = extractor.extract(pages: [report, letter, untitled])
        let visits = items(facts, .encounters)
        #expect(visits.map { $0["date"] } == ["2026-01-05", "2026-03-02", "2026-02-07"])
        #expect(visits.map { $0["type"] } == ["laboratory", "referral", "laboratory"])
        #expect(visits.count == 3 && visits[1]["referredTo"] == "Dr. Imogen Vale" && visits[1]["specialty"] == "nephrology"
                && visits[1]["provider"] == "Ilse Vogel, NP")
        let guessed = facts.first { $0.group == .encounters && $0.field == .type && $0.page == 3 }
        #expect(guessed?.status == .needsReview)
        let none = facts.filter { $0.group == .allergies && $0.value == "NKDA" }
        #expect(!none.isEmpty && none.allSatisfy { $0.status == .needsReview })
        #expect(facts.contains { $0.group == .allergies && $0.field == .substance && $0.value.lowercased() == "penicillin" })
        // The splitter agrees: the letter is a document of its own.
        let labels = ChartSplitter().classify([report, letter])
        #expect(labels.map(\.documentType) == ["lab-report", "referral-letter"])
        #expect(labels[0].segment != labels[1].segment)
    }

    /// A vaccine list with the date first and no header word chartex knows.
    @Test func aListWithTheDateFirstIsReadByColumn() {
        let page = tablePage([
            ["When", "Shot", "Batch", "Where"],
            ["10/01/2024", "Influenza, high dose", "U8812", "L arm"],
            ["05/12/2023", "Tetanus and diphtheria", "K1200", "R arm"],
        ], columns: [40, 140, 330, 420], above: ["IMMUNIZATION RECORD"])
        let shots = items(extractor.extract(pages: [page]), .immunizations)
        #expect(shots == [["vaccine": "Influenza, high dose", "date": "2024-10-01"],
                          ["vaccine": "Tetanus and diphtheria", "date": "2023-05-12"]])
    }

    /// A status column that asks a question ("Active?") and a frequency column before the name.
    @Test func medicationColumnsInAnyOrder() {
        let page = tablePage([
            ["Frequency", "Medication", "Dose", "Route", "Active?"],
            ["BID", "Metformin", "500 mg", "PO", "Yes"],
            ["daily", "Lisinopril", "10 mg", "PO", "No"],
        ], columns: [40, 120, 260, 330, 400], above: ["MEDICATION LIST"])
        let meds = items(extractor.extract(pages: [page]), .medications)
        #expect(meds.count == 2)
        #expect(meds.first?["name"] == "Metformin" && meds.first?["frequency"] == "BID" && meds.first?["status"] == "active")
        #expect(meds.last?["name"] == "Lisinopril" && meds.last?["dose"] == "10" && meds.last?["status"] == "discontinued")
    }

    /// Values that cannot be what their field holds are never verified (issue 12's examples).
    @Test func valuesThatFailTheirTypeNeedReview() {
        #expect(FactChecks.problem(group: .labs, field: .name, value: "Sodium 141.") != nil)
        #expect(FactChecks.problem(group: .labs, field: .name, value: "[10/28/2026] Glucose") != nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Reviewed with patient: [X] Yes") != nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "PROCEDURES") != nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "lobe") != nil)
        #expect(FactChecks.problem(group: .medications, field: .name, value: "on Cipro") != nil)
        #expect(FactChecks.problem(group: .patient, field: .name, value: "Jane Doe Accession #: 44") != nil)
        #expect(FactChecks.problem(group: .labs, field: .name, value: "Hemoglobin A1c") == nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "Essential hypertension") == nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Sulfa drugs") == nil)
        #expect(FactChecks.problem(group: .encounters, field: .date, value: "2026-13") != nil)
    }

    /// Read by OCR, a word that is no vaccine word, a credential charts do not print, a name cut at
    /// a comma or a section heading read as a substance are held for review; the same from a text
    /// layer (confidence 100) or in known words passes.
    @Test func misreadWordsOnScansNeedReview() {
        #expect(FactChecks.problem(group: .immunizations, field: .vaccine, value: "Meningococcal MCV40", confidence: 80) != nil)
        #expect(FactChecks.problem(group: .immunizations, field: .vaccine, value: "RSV, bivalent, adjuvantec", confidence: 80) != nil)
        #expect(FactChecks.problem(group: .immunizations, field: .vaccine, value: "Meningococcal MCV40", confidence: 100) == nil)
        #expect(FactChecks.problem(group: .immunizations, field: .vaccine, value: "Td (adult)", confidence: 80) == nil)
        #expect(FactChecks.problem(group: .immunizations, field: .vaccine, value: "Influenza, high-dose, quadrivalent", confidence: 80) == nil)
        // Names read by OCR with a word no dictionary holds, a character no name holds or stray punctuation.
        #expect(FactChecks.problem(group: .problems, field: .name, value: "Vitamin D deficlency", confidence: 97) != nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "lodinated contrast", confidence: 97) != nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Cephalexin -.rash", confidence: 97) != nil)
        #expect(FactChecks.problem(group: .medications, field: .name, value: "Fluticasone nasa!", confidence: 97) != nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "Vitamin D deficiency", confidence: 97) == nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Iodinated contrast", confidence: 97) == nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Peanuts", confidence: 97) == nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "Type 2 diabetes mellitus", confidence: 97) == nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "COPD with acute exacerbation", confidence: 97) == nil)
        #expect(FactChecks.problem(group: .problems, field: .name, value: "Vitamin D deficlency", confidence: 100) == nil,
                "a text layer's words are as printed")
        #expect(FactChecks.problem(group: .encounters, field: .provider, value: "Ilse Vogel, MO", confidence: 80) != nil)
        #expect(FactChecks.problem(group: .encounters, field: .provider, value: "Ilse Vogel, MD", confidence: 80) == nil)
        #expect(FactChecks.problem(group: .encounters, field: .provider, value: "Jo Ruiz, PA-C", confidence: 80) == nil)
        #expect(FactChecks.problem(group: .encounters, field: .provider, value: "Hamid Rostami,") != nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Active and Recent Medications") != nil)
        #expect(FactChecks.problem(group: .allergies, field: .substance, value: "Iodinated contrast") == nil)
    }

    /// A letter's sentences, wrapped over lines: the drugs the vocabulary knows are verified,
    /// the rest of what sentences say needs review.
    @Test func proseIsReadAcrossWrappedLines() {
        let facts = extractor.extract(pages: [tablePage([], columns: [], above: [
            "Dear Dr. Lee, I am writing about Mr. Roe who has a history",
            "of gout and chronic kidney disease. He takes allopurinol",
            "100 mg daily and we stopped his naproxen last month. He is",
            "allergic to penicillin (hives). His uric acid was 8.9 mg/dL",
            "on 02/11/2026 and we would value your opinion on his care.",
        ])])
        let meds = items(facts, .medications)
        #expect(meds.contains { $0["name"] == "allopurinol" && $0["dose"] == "100" && $0["frequency"] == "daily" })
        #expect(meds.contains { $0["name"] == "naproxen" && $0["status"] == "discontinued" })
        #expect(facts.first { $0.field == .name && $0.value == "allopurinol" }?.status == .verified)
        #expect(items(facts, .allergies).contains { $0["substance"] == "penicillin" && $0["reaction"] == "hives" })
        #expect(Set(items(facts, .problems).compactMap { $0["name"] }) == ["gout", "chronic kidney disease"])
        let labs = items(facts, .labs)
        #expect(labs == [["name": "uric acid", "value": "8.9", "unit": "mg/dL", "date": "2026-02-11"]])
        #expect(facts.filter { $0.group == .labs }.allSatisfy { $0.status == .needsReview })
    }

    /// Issue 12's new facts: a referral's specialty, reason and addressee; an admission's
    /// principal diagnosis and disposition.
    @Test func referralAndAdmissionFields() {
        let letter = extractor.extract(pages: [tablePage([], columns: [], above: [
            "March 2, 2026",
            "Dr. Imogen Vale",
            "RE: Roe, Richard DOB: 04/05/1950",
            "I am referring Mr. Roe to nephrology for evaluation of rising creatinine",
            "over the last six months. He takes lisinopril 20 mg daily for his blood",
            "pressure and has no other complaints at this time, thank you for seeing him.",
        ])])
        let visit = items(letter, .encounters).first ?? [:]
        #expect(visit["specialty"] == "nephrology")
        #expect(visit["reason"] == "rising creatinine over the last six months")
        #expect(visit["referredTo"] == "Dr. Imogen Vale")
        let stay = items(extractor.extract(pages: [tablePage([], columns: [], above: [
            "DISCHARGE SUMMARY",
            "Admission Date: 01/10/2026 Discharge Date: 01/14/2026",
            "Principal Diagnosis: Community-acquired pneumonia",
            "Discharge Disposition: Home with home health services",
        ])]), .encounters).first ?? [:]
        #expect(stay["diagnosis"] == "Community-acquired pneumonia")
        #expect(stay["disposition"] == "Home with home health services")
        #expect(stay["endDate"] == "2026-01-14" && stay["type"] == "inpatient admission")
    }

    /// A two-column body (issue 12: "lines, columns and reading order"): rows that join a left
    /// and a right column are read column by column; a table of names and results in two
    /// columns, and the label grid above, keep their rows.
    @Test func twoColumnBodiesAreReadColumnByColumn() throws {
        let page = tablePage([
            ["Principal Dx: Acute kidney injury", "Discharge Medications:"],
            ["Discharge Diagnoses:", "- Warfarin 5 mg PO QHS (NEW)"],
            ["1. Acute kidney injury - resolved", "- Enoxaparin 40 mg SC daily (STOP)"],
            ["2. Mixed hyperlipidemia", "- Lisinopril 5 mg PO daily (continue)"],
            ["Allergies:", "Disposition: Skilled nursing facility"],
            ["Cephalexin (rash)"],
        ], columns: [40, 330], above: ["DISCHARGE SUMMARY", "Admitted: 03/13/2026 Discharged: 03/19/2026"])
        let reordered = ColumnBands.reordered(page)
        #expect(reordered.lines.map(\.text) == [
            "DISCHARGE SUMMARY", "Admitted: 03/13/2026 Discharged: 03/19/2026",
            "Principal Dx: Acute kidney injury", "Discharge Diagnoses:", "1. Acute kidney injury - resolved",
            "2. Mixed hyperlipidemia", "Allergies:", "Cephalexin (rash)",
            "Discharge Medications:", "- Warfarin 5 mg PO QHS (NEW)", "- Enoxaparin 40 mg SC daily (STOP)",
            "- Lisinopril 5 mg PO daily (continue)", "Disposition: Skilled nursing facility",
        ])
        #expect(reordered.words.count == page.words.count)
        let facts = extractor.extract(pages: [page])
        let stay = items(facts, .encounters).first ?? [:]
        #expect(stay["diagnosis"] == "Acute kidney injury" && stay["disposition"] == "Skilled nursing facility")
        #expect(stay["endDate"] == "2026-03-19")
        let meds = Dictionary(uniqueKeysWithValues: items(facts, .medications).map { ($0["name"] ?? "", $0["status"] ?? "") })
        #expect(meds == ["Warfarin": "new", "Enoxaparin": "discontinued", "Lisinopril": "active"])
        #expect(items(facts, .allergies).map { $0["substance"] } == ["Cephalexin"])

        // Names and results in two columns stay rows.
        let results = tablePage([
            ["Hemoglobin A1c", "7.9 %"], ["Sodium, serum", "139 mmol/L"], ["Potassium, serum", "4.1 mmol/L"],
            ["Creatinine, serum", "1.02 mg/dL"], ["Glucose, fasting", "112 mg/dL"],
        ], columns: [40, 330], above: ["LABORATORY RESULTS"])
        #expect(ColumnBands.reordered(results).lines.map(\.text) == results.lines.map(\.text))
    }

    /// Medication lists whose heading gives the status, in the words discharge papers use.
    @Test func aListHeadingGivesItsItemsTheirStatus() {
        let facts = extractor.extract(pages: [tablePage([], columns: [], above: [
            "Discharge Medications",
            "BEGIN taking these medications",
            "Apixaban 5 mg PO BID",
            "CONTINUE taking these medications",
            "Metformin 500 mg PO BID",
            "DISCONTINUE these medications",
            "Glipizide 5 mg PO daily",
        ])])
        let meds = Dictionary(uniqueKeysWithValues: items(facts, .medications).map { ($0["name"] ?? "", $0["status"] ?? "") })
        #expect(meds == ["Apixaban": "new", "Metformin": "active", "Glipizide": "discontinued"])
        #expect(RulesExtractor.composedLabel("date admitted") == "admitDate")
        #expect(RulesExtractor.composedLabel("admitting diagnosis") == nil)
        #expect(RulesExtractor.composedLabel("primary dx") == "diagnosis")
        #expect(RulesExtractor.composedLabel("discharged to") == "disposition")
    }
}
