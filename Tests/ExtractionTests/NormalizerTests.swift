import ChartModel
@testable import Extraction
import Validation
import Testing

@Suite struct DateNormalizerTests {
    let dates = DateNormalizer(pivotYear: 26)

    @Test(arguments: [
        ("03/14/1958", "1958-03-14"), ("3/10/2026", "2026-03-10"), ("9/5/44", "1944-09-05"), ("6/30/1980", "1980-06-30"),
        ("10/02/26", "2026-10-02"), ("2026-03-04", "2026-03-04"), ("2026-03-04T07:45:00Z", "2026-03-04"),
        ("4 Mar 2021", "2021-03-04"), ("04-MAR-2021", "2021-03-04"), ("04-MAR-2026 07:45", "2026-03-04"),
        ("March 4, 2021", "2021-03-04"), ("Nov 2, 2026", "2026-11-02"), ("Aug 10, 2026 08:05", "2026-08-10"),
        ("September 20, 2026", "2026-09-20"), ("January 12, 2026", "2026-01-12"), ("14-AUG-2026", "2026-08-14"),
        ("05/2029", "2029-05"), ("Aug 2026", "2026-08"), ("1995", "1995"), ("20260304", "2026-03-04"),
        ("(10/28/2026):", "2026-10-28"), ("02/29/2024", "2024-02-29"),
    ])
    func readsEveryCommonForm(printed: String, iso: String) {
        #expect(dates.normalize(printed) == iso)
    }

    @Test(arguments: ["13/01/2026", "04/31/2026", "02/29/2025", "Hemoglobin", "", "12", "1.12", "32 Foo 2020"])
    func rejectsWhatIsNotADate(_ text: String) {
        #expect(dates.normalize(text) == nil)
    }
}

@Suite struct ValueNormalizerTests {
    @Test func normalisesUnitsFlagsAndStatuses() {
        #expect(ValueNormalizer.unit("MG/DL") == "mg/dL")
        // OCR's misreadings are not in the table: the one known unit a character away is found.
        #expect(ValueNormalizer.correctedUnit("ulU/mL") == "uIU/mL")
        #expect(ValueNormalizer.correctedUnit("x1043/uL") == "x10^3/uL")
        #expect(ValueNormalizer.correctedUnit("mg/db") == "mg/dL")
        #expect(ValueNormalizer.correctedUnit("m/l") == nil)  // mg/L or U/L: ambiguous
        #expect(ValueNormalizer.correctedUnit("1U/L") == "IU/L")  // 1 for I is OCR's swap: closer than U/L
        #expect(ValueNormalizer.correctedUnit("mg/t") == "mg/L")  // t for l, closer than mg/g
        #expect(ValueNormalizer.correctedUnit("HU/L") == nil)  // IU/L or U/L, a whole edit each
        #expect(ValueNormalizer.correctedUnit("mg/dL") == nil)  // known already
        #expect(ValueNormalizer.unit("K/uL") == "x10^3/uL")
        #expect(ValueNormalizer.unit("furlongs") == "furlongs")
        for high in ["H", "High", "HIGH", "(H)", "*H*", "HI"] { #expect(ValueNormalizer.flag(high) == "H") }
        for low in ["L", "Low", "LOW", "(L)", "LO"] { #expect(ValueNormalizer.flag(low) == "L") }
        #expect(ValueNormalizer.flag("Final") == nil)
        #expect(ValueNormalizer.medicationStatus("D/C") == "discontinued")
        #expect(ValueNormalizer.medicationStatus("Stopped") == "discontinued")
        #expect(ValueNormalizer.medicationStatus("(NEW)") == "new")
        #expect(ValueNormalizer.medicationStatus("(continue)") == "active")
        #expect(ValueNormalizer.number("1,000") == 1000 && ValueNormalizer.number("0.125") == 0.125)
        #expect(ValueNormalizer.number("<0.01") == nil && ValueNormalizer.number("1.2.3") == nil)
    }

    @Test func readsReferenceRanges() throws {
        let range = try #require(ReferenceRange("0.74-1.35"))
        #expect(range.low == 0.74 && range.high == 1.35)
        #expect(range.flag(for: 1.38) == "H" && range.flag(for: 0.5) == "L" && range.flag(for: 1) == nil)
        #expect(ReferenceRange("<200")?.high == 200 && ReferenceRange(">=60")?.low == 60 && ReferenceRange("≤ 5.6")?.high == 5.6)
        #expect(ReferenceRange("see note") == nil)
        #expect(ReferenceRange("1600-199") == nil && ReferenceRange("44-12") == nil, "a low end above the high end")
    }

    @Test func flagsValuesThatLostTheirDecimalPoint() {
        let creatinine = ReferenceRange("0.74-1.35")
        #expect(LabPlausibility.problem(value: 1.12, printed: "1.12", range: creatinine) == nil)
        #expect(LabPlausibility.problem(value: 112, printed: "112", range: creatinine) != nil)
        #expect(LabPlausibility.problem(value: 126, printed: "126", range: ReferenceRange("70-99")) == nil)
        #expect(LabPlausibility.problem(value: 212, printed: "212", range: ReferenceRange("<200")) == nil)
        #expect(LabPlausibility.problem(value: 58, printed: "58", range: ReferenceRange(">=60")) == nil)
    }

    /// A flag the value and range do not bear out, or no flag where the report prints them and the value is out of
    /// range: one of the three was misread.
    @Test func flagsThatTheValueAndRangeDoNotBearOut() {
        let range = ReferenceRange("0-149")
        #expect(LabPlausibility.flagDisagreement(value: 348, printed: "348", range: range, flag: nil, flagsPrinted: true) != nil)
        #expect(LabPlausibility.flagDisagreement(value: 348, printed: "348", range: range, flag: nil, flagsPrinted: false) == nil)
        #expect(LabPlausibility.flagDisagreement(value: 348, printed: "348", range: range, flag: "H", flagsPrinted: true) == nil)
        #expect(LabPlausibility.flagDisagreement(value: 148, printed: "148", range: range, flag: "H", flagsPrinted: true) != nil)
        #expect(LabPlausibility.flagDisagreement(value: 148, printed: "148", range: range, flag: nil, flagsPrinted: true) == nil)
        #expect(LabPlausibility.flagDisagreement(value: 9.6, printed: "9.6", range: ReferenceRange("11.1-15.9"), flag: "H",
                                                 flagsPrinted: true) != nil)
        #expect(LabPlausibility.flagDisagreement(value: 9.6, printed: "9.6", range: nil, flag: "H", flagsPrinted: true) == nil)
    }
}

@Suite struct SigParserTests {
    @Test func splitsSigsIntoTheirParts() throws {
        let metformin = try #require(SigParser.parse("1. Metformin 1000 mg PO BID"))
        #expect(metformin == MedicationSig(name: "Metformin", dose: "1000", unit: "mg", route: "PO", frequency: "BID"))
        let albuterol = try #require(SigParser.parse("Albuterol HFA 90 mcg/puff 2 puffs Q4H PRN wheezing Active"))
        #expect(albuterol.name == "Albuterol HFA" && albuterol.unit == "mcg/puff" && albuterol.frequency == "Q4H PRN")
        #expect(albuterol.prn == "wheezing" && albuterol.status == "active")
        let augmentin = try #require(SigParser.parse("- Amoxicillin-clavulanate 875-125 mg PO BID x 3 days (NEW)"))
        #expect(augmentin.dose == "875-125" && augmentin.status == "new" && augmentin.frequency == "BID")
        let digoxin = try #require(SigParser.parse("Digoxin 0.125 mg PO daily D/C 02/2026"))
        #expect(digoxin.dose == "0.125" && digoxin.status == "discontinued" && digoxin.frequency == "daily")
        let tiotropium = try #require(SigParser.parse("Tiotropium 18 mcg inhaled daily"))
        #expect(tiotropium.route == "inhaled")
        #expect(SigParser.parse("Potassium chloride 20 mEq PO daily")?.unit == "mEq")
        #expect(SigParser.parse("Lisinopril 10mg by mouth daily")?.route == "PO")
        #expect(SigParser.parse("Return in 3 months or sooner if needed.") == nil)
        #expect(SigParser.parse("BP 142/88 mmHg") == nil)
    }
}


/// The items of `group`, each as its field → value table, in item order.
func items(_ facts: [ExtractedFact], _ group: FactGroup) -> [[String: String]] {
    var result: [Int: [String: String]] = [:]
    for fact in facts where fact.group == group { result[fact.item, default: [:]][fact.field.rawValue] = fact.value }
    return result.keys.sorted().map { result[$0]! }
}

/// Pages built from plain lines (one word per token, 12 pt rows), for extractor tests.
func page(_ number: Int, _ lines: [String]) -> PageReading {
    let segments = lines.enumerated().map { row, line in
        line.split(separator: " ").enumerated().map { column, token in
            Word(text: String(token), bbox: BoundingBox(x0: Double(40 + column * 45), y0: Double(80 + row * 14),
                                                         x1: Double(80 + column * 45), y1: Double(90 + row * 14)), conf: 95)
        }
    }
    let layout = PageLayout(segments: segments)
    return PageReading(number: number, width: 612, height: 792, pdfRotation: 0, source: .ocr, rotation: 0, skew: 0, dpi: 300,
                       meanConfidence: 95, text: layout.text, words: layout.words, lines: layout.lines, blocks: layout.blocks,
                       timings: PageTimings())
}

@Suite struct RulesExtractorTests {
    let extractor = RulesExtractor(dates: DateNormalizer(pivotYear: 26))

    /// SpO2 with its O read as a zero by OCR is still the oxygen saturation.
    @Test func oxygenSaturationReadWithAZero() {
        let facts = extractor.extract(pages: [page(1, [
            "PROGRESS NOTE", "Visit Date: 03/04/2026", "VITALS", "BP 117/96 HR 98 Temp 99.5 F Sp02 94% Wt 83.8 kg",
        ])])
        let saturation = items(facts, .vitals).filter { $0["name"] == "oxygen saturation" }
        #expect(saturation.map { $0["value"] } == ["94"])
    }

    /// A patient name read by OCR that the chart's other mention of the patient does not confirm is kept for review.
    @Test func aPatientNameOtherMentionsDoNotConfirmNeedsReview() {
        func name(_ grid: String) -> ExtractedFact? {
            extractor.extract(pages: [page(1, ["DELACROIX, GIDEON 88123456 Medication List", "MEDICATION LIST",
                                                "Patient Name: \(grid)", "Date: 03/04/2026"])])
                .first { $0.group == .patient && $0.field == .name }
        }
        #expect(name("Gideon Z. Delacroix")?.status == .verified)
        #expect(name("Gideon Z. Delacraix")?.status == .needsReview)
    }

    /// OCR's usual damage to a vitals line and a problem list: the scale letter run into the next word ("Fo") or
    /// lost, ";" for ":", "kq" for kg (units taken from the value or the nearest unit, for review), a speck read as
    /// a dot inside a name ("Type .2 diabetes").
    @Test func vitalsAndProblemsReadThroughOCRDamage() {
        let facts = extractor.extract(pages: [page(1, [
            "PROGRESS NOTE", "Visit Date: 03/04/2026", "VITALS", "Temperature; 99.2 Fo 2 Sat: 95%", "Weight 84.2 kq",
            "ACTIVE PROBLEMS", "Type .2 diabetes mellitus", "Hypertension. Stable on current dose",
        ])])
        let vitals = items(facts, .vitals)
        #expect(vitals.first { $0["name"] == "temperature" }.map { [$0["value"], $0["unit"]] } == ["99.2", "F"])
        #expect(vitals.first { $0["name"] == "weight" }.map { [$0["value"], $0["unit"]] } == ["84.2", "kg"])
        let units = facts.filter { $0.group == .vitals && $0.field == .unit && ($0.value == "F" || $0.value == "kg") }
        #expect(units.count == 2 && units.allSatisfy { $0.status == .needsReview })
        // The speck's dot no longer ends the name, and the name is the condition's, for review.
        #expect(items(facts, .problems).map { $0["name"] } == ["Type 2 diabetes mellitus", "Hypertension"])
        #expect(facts.first { $0.group == .problems && $0.field == .name }?.status == .needsReview)
    }

    @Test func readsAnUnseenLayoutWithColumnsInAnotherOrder() {
        let facts = extractor.extract(pages: [page(1, [
            "NORTH COUNTY LAB SERVICES",
            "Name: DOE, JANE Q MRN: ZZ-1001",
            "Birth Date: 02-JAN-1970 Gender: Female",
            "Collected: 3/4/2026",
            "Test Name Result Ref Range Units Flag",
            "Sodium 131 136-145 mmol/L L",
            "Hemoglobin A1c 6.9 4.0-5.6 % HIGH",
        ])])
        let patient = items(facts, .patient).first ?? [:]
        #expect(patient["name"] == "Jane Q. Doe" && patient["mrn"] == "ZZ-1001" && patient["birthDate"] == "1970-01-02")
        #expect(patient["sex"] == "female")
        let labs = items(facts, .labs)
        #expect(labs.count == 2)
        #expect(labs.first == ["name": "Sodium", "value": "131", "referenceRange": "136-145", "unit": "mmol/L", "flag": "L", "date": "2026-03-04"])
        #expect(labs.last?["flag"] == "H" && labs.last?["value"] == "6.9")
        for fact in facts { #expect(fact.bbox != nil || fact.field == .date, "\(fact.group).\(fact.field) is not grounded") }
    }

    @Test func readsOtherFacilitiesWordings() {
        let facts = extractor.extract(pages: [page(1, [
            "LAKESIDE COMMUNITY CLINIC",
            "Pt Name: Smith, John A D.O.B.: 4 Mar 1961",
            "MRN #: A-778 DOS: March 9, 2026",
            "Attending Physician: Lee Park, DO",
            "Drug Allergies: Sulfa (hives); Aspirin",
            "Vital Signs: BP 130/80 Pulse 70 Temp 98.1 F",
            "Current Meds:",
            "Lisinopril 10mg by mouth once daily",
            "PMH:",
            "Hypertension - active",
        ])])
        let patient = items(facts, .patient).first ?? [:]
        #expect(patient["name"] == "John A. Smith" && patient["birthDate"] == "1961-03-04" && patient["mrn"] == "A-778")
        let encounter = items(facts, .encounters).first ?? [:]
        #expect(encounter["date"] == "2026-03-09" && encounter["provider"] == "Lee Park, DO"
                && encounter["facility"] == "Lakeside Community Clinic")
        #expect(items(facts, .allergies).map { $0["substance"] } == ["Sulfa", "Aspirin"])
        #expect(items(facts, .vitals).map { $0["name"] } == ["blood pressure", "heart rate", "temperature"])
        let med = items(facts, .medications).first ?? [:]
        #expect(med["name"] == "Lisinopril" && med["dose"] == "10" && med["route"] == "PO" && med["frequency"] == "daily")
        #expect(items(facts, .problems).first?["name"] == "Hypertension")
    }

    @Test func aDroppedDecimalPointNeedsReview() {
        let facts = extractor.extract(pages: [page(1, ["Date of Service: 01/02/2026", "Recent Labs:", "Creatinine 112 mg/dL 0.74-1.35"])])
        let value = facts.first { $0.group == .labs && $0.field == .value }
        #expect(value?.value == "112" && value?.status == .needsReview)
    }

    @Test func theSameLabTwiceIsOneItemWithTwoEvidences() {
        let facts = extractor.extract(pages: [
            page(1, ["OFFICE VISIT NOTE", "Recent Labs (10/28/2026):", "LDL 96 mg/dL"]),
            page(2, ["LAB RESULTS", "Collected: 10/28/2026", "Test Result Units Ref Range", "LDL 96 mg/dL <100"]),
        ])
        let labs = items(facts, .labs)
        #expect(labs.count == 1)
        #expect(Set(facts.filter { $0.group == .labs && $0.field == .value }.map(\.page)) == [1, 2])
    }

    @Test func theLatestMentionSetsAMedicationsStatus() {
        let facts = extractor.extract(pages: [
            page(1, ["MEDICATION LIST", "Current Medications:", "Prednisone 40 mg PO daily Active"]),
            page(2, ["PROGRESS NOTE", "Stopped Medications:", "Prednisone 40 mg PO daily"]),
        ])
        #expect(items(facts, .medications).first?["status"] == "discontinued")
    }

    /// OCR reads a label's colon as a semicolon or brace; a known label is still a label, and its date dates the labs.
    @Test func aLabelWhoseColonOCRMisreadIsStillALabel() {
        let facts = extractor.extract(pages: [page(1, [
            "LABORATORY REPORT", "Specimen Collected; 04/14/2025", "Ordering Provider} Gwendolyn Marsh, DO",
            "Recent Labs:", "Glucose 98 mg/dL 70-99", "Remarks; none",
        ])])
        #expect(items(facts, .labs).first?["date"] == "2025-04-14")
        #expect(items(facts, .encounters).first?["provider"] == "Gwendolyn Marsh, DO")
    }

    @Test func blankPagesGiveNothingAndNKDAMeansNone() {
        #expect(extractor.extract(pages: [page(1, [])]).isEmpty)
        let facts = extractor.extract(pages: [page(1, ["Patient: Roe, Richard MRN: 42", "Allergies: NKDA"])])
        #expect(items(facts, .allergies) == [["substance": "NKDA", "noKnownAllergies": "true"]])
    }
}

@Suite struct MisreadLabelTests {
    @Test func aLabelMisreadByOneCharacterIsStillKnown() {
        #expect(RulesExtractor.misreadLabel("altergies") == "allergies")
        #expect(RulesExtractor.misreadLabel("medicatlons") == "medications")
        #expect(RulesExtractor.misreadLabel("allergie") == "allergies")
        #expect(RulesExtractor.misreadLabel("nischarge bate") == "dischargeDate", "one edit in each word")
        #expect(RulesExtractor.misreadLabel("discharge data") == "dischargeDate")
        #expect(RulesExtractor.misreadLabel("nischarge bat") == nil, "two edits in one word")
        // Short labels and words two edits away are not guessed.
        #expect(RulesExtractor.misreadLabel("dote") == nil)
        #expect(RulesExtractor.misreadLabel("alterqies") == nil)
        #expect(RulesExtractor.misreadLabel("comments") == nil)
    }
}

@Suite struct FactKindTests {
    /// The typed groups and fields are the chart schema's: every item definition's properties,
    /// no more and no fewer, so a field the schema adds or renames fails here first.
    @Test func groupsAndFieldsAreTheSchemasOwn() throws {
        let definitions = try ChartSchemas.definitions()
        guard case .object(let document)? = definitions.value(at: "/$defs/document/properties") else {
            Issue.record("no document definition"); return
        }
        #expect(Set(document.keys) == Set(FactGroup.allCases.map(\.rawValue)))
        var all: Set<FactField> = []
        for group in FactGroup.allCases {
            let definition = try #require(ChartSchemas.itemDefinitions[group.rawValue])
            guard case .object(let properties)? = definitions.value(at: "/$defs/\(definition)/properties") else {
                Issue.record("no definition \(definition)"); continue
            }
            #expect(Set(properties.keys) == Set(group.fields.map(\.rawValue)), "\(group)")
            all.formUnion(group.fields)
            if let naming = group.namingField { #expect(group.fields.contains(naming)) }
        }
        #expect(all == Set(FactField.allCases))
    }
}

@Suite struct LabShapeTests {
    /// A lab name OCR misread is found by its shape, only when one vocabulary test has it.
    @Test func misreadLabNamesAreFoundByTheirShape() {
        #expect(Vocabulary.labByShape("HbAtc")?.loinc == "4548-4")
        #expect(Vocabulary.labByShape("Creatinlne")?.loinc == Vocabulary.lab("Creatinine")?.loinc)
        #expect(Vocabulary.labByShape("Xylophone") == nil)
        #expect(Vocabulary.labByShape("Na") == nil, "too short to tell")
        #expect(Vocabulary.drugByShape("Lisinoprit") == Vocabulary.drug("lisinopril"))
        #expect(Vocabulary.drugByShape("Metforrnin") == nil, "rn for m is not among the confusions")
    }

    /// A misread word is spelled as the only known word within one edit, OCR's confusions costing half.
    @Test func misreadWordsAreSpelledAsTheClosestKnownWord() {
        #expect(Vocabulary.closestWord("deticiency") == "deficiency")
        #expect(Vocabulary.closestWord("Clapidogre!") == "clopidogrel")
        #expect(Vocabulary.closestWord("Famatidine") == "famotidine")
        #expect(Vocabulary.closestWord("deficiency") == nil, "known as read")
        #expect(Vocabulary.closestWord("Qzxwvk") == nil, "nothing that close")
        #expect(FactChecks.respelled("Vitamin D deticiency") == "Vitamin D deficiency")
        #expect(FactChecks.respelled("Fluticasone nasa!") == "Fluticasone nasal")
        #expect(FactChecks.respelled("Vitamin D deficiency") == nil)
        // A word whose known form has a usual ending, matched by its stem (only "iodinate" is in the word list).
        #expect(Vocabulary.closestWord("lodinated") == "iodinated")
        #expect(Vocabulary.closestWord("Meloxicarn") == "meloxicam", "rn read for m")
        #expect(FactChecks.respelled("Todinated contrast") == "Iodinated contrast")
    }

    /// An allergy entry whose dash OCR lost: the reaction told from the substance by its name.
    @Test func aReactionIsToldFromTheSubstanceByItsName() {
        #expect(Vocabulary.substanceAndReaction("Ibuprofen wheezing").map { [$0.substance, $0.reaction] } == ["Ibuprofen", "wheezing"])
        #expect(Vocabulary.substanceAndReaction("Erythromycin + GI upset").map { [$0.substance, $0.reaction] }
                == ["Erythromycin", "GI upset"])
        #expect(Vocabulary.substanceAndReaction("Iodinated contrast flushing").map(\.substance) == "Iodinated contrast")
        #expect(Vocabulary.substanceAndReaction("Penicillin") == nil, "no reaction")
        #expect(Vocabulary.substanceAndReaction("Seasonal pollen and dust rash") == nil, "a substance of more than two words")
        let facts = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [page(1, [
            "PROGRESS NOTE", "Visit Date: 03/04/2026", "ALLERGIES", "Ibuprofen wheezing",
        ])])
        let allergy = facts.filter { $0.group == .allergies }
        #expect(allergy.map(\.value) == ["Ibuprofen", "wheezing"] && allergy.allSatisfy { $0.status == .needsReview })
    }

    /// A misread name is spelled as the vocabulary's name of its shape, keeping the printed capitals.
    @Test func misreadLabNamesAreSpelledAsTheVocabularyHasThem() {
        #expect(Vocabulary.labSpelling(correcting: "HbAIc") == "HbA1c")
        #expect(Vocabulary.labSpelling(correcting: "Hemoglobin Alc") == "Hemoglobin A1c")
        #expect(Vocabulary.labSpelling(correcting: "C02") == "CO2")
        #expect(Vocabulary.labSpelling(correcting: "Het") == "Hct")
        #expect(Vocabulary.labSpelling(correcting: "Hct") == nil, "known as read")
        #expect(Vocabulary.labSpelling(correcting: "Xylophone") == nil)
        #expect(Vocabulary.labSpelling(correcting: "Na") == nil, "too short to tell")
        // No test has the name's shape: the closest test within half an edit (short names) or one (longer), OCR's
        // swaps (y/g, v/u, 8/b) costing half.
        #expect(Vocabulary.labSpelling(correcting: "Hyb") == "Hgb")
        #expect(Vocabulary.labSpelling(correcting: "VACR") == "UACR")
        #expect(Vocabulary.labSpelling(correcting: "Vitamin 812") == "Vitamin B12")
        #expect(Vocabulary.labSpelling(correcting: "HOL cholesterol") == "HDL cholesterol")
        #expect(Vocabulary.labSpelling(correcting: "WAC") == nil, "a whole edit from WBC: too far for three letters")
        #expect(Vocabulary.labSpelling(correcting: "Lactate") == nil, "no test that close")
        #expect(Vocabulary.labSpelling(correcting: "Free T3") == nil, "a digit for another is no misreading")
    }

    /// A unit cell OCR garbled is read as a unit the test is reported in (lab-units.tsv), the conventional one on a tie.
    @Test func aGarbledUnitIsReadAsOneTheTestIsReportedIn() {
        #expect(Vocabulary.usualUnit(ofTest: "Glucose", read: "mg/d") == "mg/dL")
        #expect(Vocabulary.usualUnit(ofTest: "Glucose", read: "mag/db") == "mg/dL")
        #expect(Vocabulary.usualUnit(ofTest: "TSH", read: "uIU/") == "uIU/mL")
        #expect(Vocabulary.usualUnit(ofTest: "Hyb", read: "q/dL") == "g/dL", "the test by its closest name")
        #expect(Vocabulary.usualUnit(ofTest: "Glucose", read: "xyz%") == nil, "no unit of the test that close")
        #expect(Vocabulary.usualUnit(ofTest: "Zonulin", read: "mg/d") == nil, "a test the vocabulary does not know")
    }

    /// A result cell OCR read with one letter or mark for a digit ("B.7", "@.75"): the number, for review. A name
    /// ("B12"), a flag read against its value ("45l"), a cell with two such characters or none are not read so.
    @Test func aResultWithALetterReadForADigit() {
        #expect(ValueNormalizer.numberReadThroughOCR("B.7")?.number == "8.7")
        #expect(ValueNormalizer.numberReadThroughOCR("@.75")?.number == "0.75")
        #expect(ValueNormalizer.numberReadThroughOCR("1O")?.number == "10")
        #expect(ValueNormalizer.numberReadThroughOCR("13,S")?.number == "13.5")
        #expect(ValueNormalizer.numberReadThroughOCR("45l") == nil)
        #expect(ValueNormalizer.numberReadThroughOCR("BO") == nil)
        #expect(ValueNormalizer.numberReadThroughOCR("B12B") == nil)
        #expect(ValueNormalizer.numberReadThroughOCR("Hgb") == nil)
        #expect(ValueNormalizer.numberReadThroughOCR("12") == nil)
        // A range read with marks for digits or a comma for its point.
        #expect(ValueNormalizer.rangeReadThroughOCR("Q.82-1.77") == "0.82-1.77")
        #expect(ValueNormalizer.rangeReadThroughOCR("@-32") == "0-32")
        #expect(ValueNormalizer.rangeReadThroughOCR("3.4-10,.8") == "3.4-10.8")
        #expect(ValueNormalizer.rangeReadThroughOCR("0.0-4,0") == "0.0-4.0")
        #expect(ValueNormalizer.rangeReadThroughOCR("0.0-4.0") == nil, "nothing to repair")
        #expect(ValueNormalizer.rangeReadThroughOCR("Desirable") == nil)
        let facts = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [tablePage([
            ["Test", "Result", "Units", "Reference Range"],
            ["Uric Acid", "B.7", "mg/dL", "2.5-7.4"],
            ["B12", "412", "pg/mL", "232-1245"],
        ], columns: [40, 200, 260, 330])])
        #expect(items(facts, .labs).map { $0["value"] } == ["8.7", "412"])
        let ranged = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [tablePage([
            ["Test", "Result", "Units", "Reference Range"],
            ["Free T4", "1.25", "ng/dL", "Q.82-1.77"],
        ], columns: [40, 200, 260, 330])])
        let range = ranged.first { $0.group == .labs && $0.field == .referenceRange }
        #expect(range?.value == "0.82-1.77" && range?.raw == "Q.82-1.77" && range?.status == .needsReview)
        let line = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [page(1, ["LABS", "PSA 2.2 ng/mL 0.0-4,0"])])
        let lineRange = line.first { $0.group == .labs && $0.field == .referenceRange }
        #expect(lineRange?.value == "0.0-4.0" && lineRange?.status == .needsReview)
        let repaired = facts.first { $0.group == .labs && $0.field == .value && $0.value == "8.7" }
        #expect(repaired?.status == .needsReview)
        #expect(facts.first { $0.group == .labs && $0.field == .value && $0.value == "412" }?.status == .verified)
    }

    /// A test name misread beyond its shape is spelled as the one test within an edit of it that is reported in the
    /// unit printed beside it, even as OCR garbled that unit; a unit no such test is reported in says nothing.
    @Test func aMisreadTestNameIsSpelledByTheUnitBesideIt() {
        #expect(Vocabulary.labSpelling(correcting: "Hgh", unitRead: "g/dL") == "Hgb")
        #expect(Vocabulary.labSpelling(correcting: "eGER", unitRead: "mL/min/d,73m2") == "eGFR")
        #expect(Vocabulary.labSpelling(correcting: "WAC", unitRead: "X1043/uUL") == "WBC")
        #expect(Vocabulary.labSpelling(correcting: "Hgh", unitRead: "sec") == nil)
        #expect(Vocabulary.labSpelling(correcting: "Hgb", unitRead: "g/dL") == nil, "a known name")
        #expect(Vocabulary.labSpelling(correcting: "Qzx", unitRead: "g/dL") == nil)
        let facts = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [tablePage([
            ["Test", "Result", "Units", "Reference Range"],
            ["Hgh", "12.8", "g/dL", "11.1-15.9"],
        ], columns: [40, 200, 260, 330])])
        let name = facts.first { $0.group == .labs && $0.field == .name }
        #expect(name?.value == "Hgb" && name?.raw == "Hgh" && name?.status == .needsReview)
        // The test so spelled tells what its garbled unit is.
        let egfr = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [tablePage([
            ["Test", "Result", "Units", "Reference Range"],
            ["eGER", "27", "mL/min/d,73m2", ">59"],
        ], columns: [40, 200, 260, 360])])
        #expect(items(egfr, .labs).first?["name"] == "eGFR" && items(egfr, .labs).first?["unit"] == "mL/min/1.73m2")
    }

    /// A dose unit OCR misread ("my", "mp", "ing" for mg; "meg" for mcg) is taken for the dose unit it is closest to
    /// when a route or frequency follows it, and stored for review with what was read.
    @Test func aMisreadDoseUnitBeforeARouteIsTheClosestDoseUnit() throws {
        let famotidine = try #require(SigParser.parse("Famotidine 20 my PO daily"))
        #expect(famotidine.unit == "mg" && famotidine.unitRead == "my" && famotidine.frequency == "daily")
        #expect(SigParser.parse("Levothyroxine 75 meg PO daily")?.unit == "mcg")
        #expect(SigParser.parse("4. Pravastatin 40 ing - take by mouth twice daily")?.unit == "mg")
        #expect(SigParser.parse("Sertraline 50 mp PO TID")?.unit == "mg")
        #expect(SigParser.parse("Metformin 500 mg PO BID")?.unitRead == nil)
        #expect(SigParser.parse("Height 70 in daily") == nil, "inches are no milligrams")
        #expect(SigParser.parse("Walk 30 min daily") == nil)
        #expect(SigParser.parse("Famotidine 20 my tablets") == nil, "no route or frequency after it")
        let first = try #require(SigParser.parse("Clopidogrel daily 75 mg PO Active"), "the frequency printed first")
        #expect(first.name == "Clopidogrel" && first.frequency == "daily" && first.route == "PO" && first.status == "active")
        let facts = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [page(1, [
            "Current Medications", "1. Famotidine 20 my PO daily", "2. Metformin 500 mg PO BID",
        ])])
        let units = facts.filter { $0.group == .medications && $0.field == .unit }
        #expect(units.map(\.value) == ["mg", "mg"])
        #expect(units.map(\.status) == [.needsReview, .verified])
        #expect(units.first?.raw == "my")
    }

    /// A page's own number, from "Page 2 of 3", or from "Page 2" in its header or footer when OCR lost the "of 3"
    /// (such a page went on as the first page of a new document, and the table continued on it was lost).
    @Test func aPageNumberWhoseCountOCRLost() {
        #expect(RulesExtractor.pageNumber(of: page(2, ["DOE, JANE Laboratory Report", "Sodium 139 mmol/L",
                                                      "Oak Lab Confidential Page 2 of"])) == 2)
        #expect(RulesExtractor.pageNumber(of: page(3, ["Report", "Page 3 of 4", "Sodium 139"])) == 3)
        #expect(RulesExtractor.pageNumber(of: page(1, ["Report", "Follow up", "as on page 7 of the plan", "Refer to page 7",
                                                      "for the schedule", "Signed"])) == nil)
    }

    /// A dotted label OCR misread ("0.0.8.:" for D.O.B.:) ends the value before it, as an unknown label does: the
    /// patient's name does not run on into the birth date.
    @Test func aMisreadDottedLabelEndsTheValueBeforeIt() {
        let facts = RulesExtractor(dates: DateNormalizer(pivotYear: 26)).extract(pages: [page(1, [
            "LABORATORY REPORT", "PATIENT: QUINLAN, OTTILIE B 0.0.8.: November 13, 1973", "SEX: F",
        ])])
        #expect(items(facts, .patient).first?["name"] == "Ottilie B. Quinlan")
    }

    /// A problem name OCR misread is spelled as the one condition within an edit of it.
    @Test func misreadProblemNamesAreSpelledAsTheClosestCondition() {
        #expect(Vocabulary.problemSpelling(correcting: "Iran deficiency anemia") == "Iron deficiency anemia")
        #expect(Vocabulary.problemSpelling(correcting: "Vitamin 0 deficiency") == "Vitamin D deficiency")
        #expect(Vocabulary.problemSpelling(correcting: "Iron deficiency anemia") == nil, "known as read")
        #expect(Vocabulary.problemSpelling(correcting: "Type 3 diabetes") == nil, "a digit for another")
        #expect(Vocabulary.problemSpelling(correcting: "Hypotension") == nil, "no condition within an edit")
    }
}
