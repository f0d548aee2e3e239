import Answering
import Testing

func fact(_ doc: Int64, _ date: String, _ group: String, _ item: Int, _ field: String, _ value: String) -> ChartFact {
    ChartFact(documentId: doc, fileName: "doc\(doc).pdf", documentDate: date, group: group, item: item, field: field,
              value: value, page: 1, evidence: "\(field) \(value)", status: "verified")
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
        #expect(answer.answer == "not stated" || answer.answer.hasPrefix("no penicillin allergy is recorded"), "\(answer.answer)")
    }
}
