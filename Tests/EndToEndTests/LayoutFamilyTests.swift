import Foundation
import TestSupport
import Testing

/// Extraction on layouts it was not written for (issue 12): scripts/corpus/make_chart_corpus.py
/// draws one document per layout family (6 document types x 6 families, and 6 packet families of
/// several documents each; families 5-6 of each type held out from all tuning), `chartex
/// extract` reads them with the rules, and scripts/evaluate_facts.py scores them per split. Floors
/// sit below what was measured (dev F1 0.997, held-out 0.952, verified precision 0.998 / 0.979,
/// gap 0.045 at this subset's size; the gap floor is the acceptance, 0.05). Since the
/// two-page lab reports continue without their header row, the same figures need the table
/// continuation (without it: dev 0.974, held-out 0.899, gap 0.075).
@Suite(.serialized) struct LayoutFamilyTests {
    struct Figures: Decodable {
        struct Split: Decodable {
            var precision: Double
            var recall: Double
            var f1: Double
            var verifiedPrecision: Double?
        }
        var by: [String: [String: Split]]
    }

    @Test func heldOutLayoutFamiliesScoreLikeTheDevFamilies() throws {
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("chartex-layout-families-\(ProcessInfo.processInfo.processIdentifier)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try #require(try makeChartCorpus(in: folder), "make_chart_corpus.py failed; run scripts/setup-corpus.sh")

        let json = folder.appendingPathComponent("figures.json").path
        let scored = try python(["scripts/evaluate_facts.py", "--samples", folder.path, "--by", "split",
                                 "--chartex", ".build/debug/chartex", "--json", json])
        #expect(scored.status == 0, "\(scored.output)")
        let figures = try JSONDecoder().decode(Figures.self, from: Data(contentsOf: URL(fileURLWithPath: json)))
        let dev = try #require(figures.by["dev"]?["all"]), heldOut = try #require(figures.by["heldout"]?["all"])
        #expect(heldOut.f1 >= 0.90, "held-out field F1 \(heldOut.f1)")
        #expect(dev.f1 >= 0.90, "dev field F1 \(dev.f1)")
        #expect(abs(dev.f1 - heldOut.f1) < 0.05, "dev \(dev.f1) vs held-out \(heldOut.f1)")
        #expect((heldOut.verifiedPrecision ?? 0) >= 0.97, "held-out verified precision \(heldOut.verifiedPrecision ?? 0)")
        #expect((dev.verifiedPrecision ?? 0) >= 0.97, "dev verified precision \(dev.verifiedPrecision ?? 0)")

        // Ask on the same charts (issue 13): scripts/corpus/make_questions.py asks each document up to
        // 12 questions from its expected facts, dev families in the dev wordings and held-out
        // families in wordings the intents were not tuned on. Floors sit below what was measured
        // on this subset (held-out 0.86 overall, every kind >= 0.80; dev 0.99; the discharge summaries
        // and packets added 2026-12-07 brought held-out down from 0.92: their held-out wordings of
        // admission and discharge questions are not understood, and were not tuned on).
        let questions = folder.appendingPathComponent("questions.jsonl").path
        #expect(try python(["scripts/corpus/make_questions.py", "--corpus", folder.path, "--per-document", "12",
                            "--out", questions]).status == 0)
        let db = folder.appendingPathComponent("ask.sqlite").path
        let pdfs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".pdf") }.sorted()
            .map { folder.appendingPathComponent($0).path }
        let ingest = try chartex(["ingest", "--db", db] + pdfs)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        let asked = try python(["scripts/evaluate_ask.py", "--db", db, "--questions", questions, "--chartex", ".build/debug/chartex",
                                "--floor", "0.85", "--kind-floor", "0.70", "--show-wrong", "all"])
        #expect(asked.status == 0, "\(asked.output)")
    }
}
