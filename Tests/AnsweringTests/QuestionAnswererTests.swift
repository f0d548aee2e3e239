import ChartModel
import Answering
import Testing

func fact(_ doc: Int64, _ date: String, _ group: String, _ item: Int, _ field: String, _ value: String) -> ChartFact {
    ChartFact(documentId: doc, fileName: "doc\(doc).pdf", documentDate: date, group: FactGroup(rawValue: group)!, item: item,
              field: FactField(rawValue: field)!, value: value, page: 1, evidence: "\(field) \(value)", status: .verified)
}

@Suite struct QuestionAnswererTests {
    let facts = [
        fact(1, "2026-01-05", "patient", 0, "birthDate", "1970-01-02"),
        fact(1, "2026-01-05", "medications", 0, "name", "Metformin"), fact(1, "2026-01-05", "medications", 0, "status", "active"),
        fact(1, "2026-01-05", "medications", 0, "frequency", "BID"),
        fact(2, "2026-06-01", "medications", 0, "name", "Metformin"), fact(2, "2026-06-01", "medications", 0, "status", "discontinued"),
        fact(1, "2026-01-05", "labs", 0, "name", "Hemoglobin A1c"), fact(1, "2026-01-05", "labs", 0, "value", "8.1"),
        fact(1, "2026-01-05", "labs", 0, "date", "2026-01-05"),
        fact(2, "2026-06-01", "labs", 0, "name", "HbA1c"), fact(2, "2026-06-01", "labs", 0, "value", "7.2"),
        fact(2, "2026-06-01", "labs", 0, "unit", "%"), fact(2, "2026-06-01", "labs", 0, "date", "2026-06-01"),
        fact(1, "2026-01-05", "allergies", 0, "substance", "Sulfa drugs"), fact(1, "2026-01-05", "allergies", 0, "reaction", "rash"),
    ]

    var answerer: QuestionAnswerer { QuestionAnswerer(facts: facts) { _ in [] } }

    @Test(arguments: [
        ("What is the latest hemoglobin A1c?", "7.2 % on 2026-06-01"), ("glycated hemoglobin, most recent?", "7.2"),
        ("Latest HbA1c value", "7.2"), ("DOB?", "1970-01-02"), ("When was the patient born", "1970-01-02"),
        ("Is she allergic to sulfa?", "yes: Sulfa drugs (reaction: rash)"),
    ])
    func understandsSynonymsAndWordOrder(question: String, expected: String) {
        let answer = answerer.answer(question)
        #expect(answer.answer.contains(expected), "\(answer.answer)")
        #expect(!answer.citations.isEmpty)
    }

    @Test func conflictingDocumentsLetTheLatestWinAndSaySo() {
        let answer = answerer.answer("Is she still taking metformin?")
        #expect(answer.answer.contains("discontinued"))
        #expect(answer.conflict?.contains("doc2.pdf") == true)
        #expect(answer.citations.count == 2)
    }

    @Test(arguments: ["What is her eGFR?", "Is she allergic to penicillin?", "When did she get the Tdap vaccine?",
                      "What is her blood pressure?", "Does she have epilepsy?"])
    func whatTheChartDoesNotSayIsNotStated(question: String) {
        let answer = answerer.answer(question)
        #expect(answer.answer == "not stated" || answer.answer.hasPrefix("no: no penicillin allergy is recorded"), "\(answer.answer)")
    }
}

/// The intents and answer forms issue 13 names, on a small admission chart.
@Suite struct IntentTests {
    static let facts: [ChartFact] = {
        var f: [ChartFact] = []
        func add(_ group: String, _ item: Int, _ fields: [(String, String)]) {
            for (field, value) in fields { f.append(fact(1, "2026-03-04", group, item, field, value)) }
        }
        add("encounters", 0, [("type", "admission"), ("date", "2026-03-01"), ("endDate", "2026-03-04"),
                              ("diagnosis", "Community-acquired pneumonia"), ("specialty", "cardiology"),
                              ("reason", "exertional chest pressure"), ("facility", "Example General Hospital"),
                              ("disposition", "Skilled nursing facility")])
        add("labs", 0, [("name", "Glucose"), ("value", "182"), ("unit", "mg/dL"), ("referenceRange", "70-99"), ("date", "2026-03-02")])
        add("labs", 1, [("name", "Potassium"), ("value", "3.9"), ("unit", "mmol/L"), ("referenceRange", "3.5-5.1"), ("date", "2026-03-02")])
        add("medications", 0, [("name", "Metformin"), ("dose", "500"), ("unit", "mg"), ("frequency", "BID"), ("status", "active")])
        add("medications", 1, [("name", "Lisinopril"), ("dose", "10"), ("unit", "mg"), ("frequency", "daily"), ("status", "active")])
        add("medications", 2, [("name", "Azithromycin"), ("dose", "250"), ("unit", "mg"), ("status", "discontinued")])
        add("immunizations", 0, [("vaccine", "COVID-19, mRNA, LNP-S, PF"), ("date", "2021-04-01")])
        add("immunizations", 1, [("vaccine", "COVID-19 mRNA bivalent"), ("date", "2022-10-12")])
        add("immunizations", 2, [("vaccine", "Tdap"), ("date", "2020-06-02")])
        add("immunizations", 3, [("vaccine", "Td (adult)"), ("date", "2015-05-05")])
        add("problems", 0, [("name", "Essential hypertension"), ("status", "active")])
        add("patient", 0, [("name", "Ada Q. Example"), ("birthDate", "1969-07-20")])
        add("allergies", 0, [("substance", "moderate)")])
        return f
    }()

    var answerer: QuestionAnswerer { QuestionAnswerer(facts: Self.facts) { _ in [] } }

    @Test(arguments: [
        ("Was the glucose result high, low, or normal?", "high: Glucose 182"),
        ("Is the potassium in range?", "normal: Potassium 3.9"),
        ("How many active medications are listed?", "2: "),
        ("How many doses of the COVID-19 vaccine are recorded?", "2: "),
        ("What was the principal diagnosis for the hospital admission?", "Community-acquired pneumonia"),
        ("To which specialty is the patient being referred?", "cardiology"),
        ("Why is the patient being referred?", "exertional chest pressure"),
        ("When was she admitted?", "2026-03-01"),
        ("Has she had a tetanus shot?", "yes: Tdap on 2020-06-02"),
        ("Does she have high blood pressure?", "yes: Essential hypertension"),
        ("Is she still on azithromycin?", "no: Azithromycin 250 mg was discontinued"),
        ("How often does she take metformin?", "BID (twice daily)"),
        ("What is the K?", "3.9 mmol/L"),
        ("Which results were flagged high?", "Glucose 182"),
        ("How old is the patient?", "56 years old on 2026-03-04"),
        // A hospital stay in plain words; a place asked by name; a combination vaccine by its diseases.
        ("Which day did the hospital stay end?", "2026-03-04"),
        ("When did she leave the hospital?", "2026-03-04"),
        ("Why was she hospitalized?", "Community-acquired pneumonia"),
        ("Discharge destination?", "Skilled nursing facility"),
        ("Name of the practice on the record?", "Example General Hospital"),
        ("Which hospital was she admitted to?", "Example General Hospital"),
        ("When was the tetanus-diphtheria shot given?", "2015-05-05"),
    ])
    func intentsAndForms(question: String, expected: String) {
        let answer = answerer.answer(question)
        #expect(answer.answer.hasPrefix(expected) || answer.answer.contains(expected), "\(question) -> \(answer.answer)")
        #expect(!answer.citations.isEmpty)
    }

    @Test func aGarbledAllergyIsNotAnAllergy() {
        #expect(answerer.answer("What is she allergic to?").answer == "not stated")
        #expect(answerer.answer("What is the patient's name?").answer == "Ada Q. Example")
    }

    @Test func activeListsLeaveStoppedDrugsOut() {
        let answer = answerer.answer("What medications is she taking?")
        #expect(answer.answer.contains("Metformin") && answer.answer.contains("Lisinopril"))
        #expect(!answer.answer.contains("Azithromycin"))
    }

    @Test(arguments: ["Is she on vitamin K?", "Is she on vitamin k?", "Does she take a k supplement?"])
    func shortSynonymsDoNotHijack(question: String) {
        let answer = answerer.answer(question)
        #expect(!answer.answer.contains("3.9"), "\(question) -> \(answer.answer) (\(answer.intent))")
    }
}
