import ChartModel
import Foundation
import Testing

@Suite struct PageLayoutTests {
    func word(_ text: String, _ x: Double, _ y: Double, width: Double = 30, height: Double = 10) -> Word {
        Word(text: text, bbox: BoundingBox(x0: x, y0: y, x1: x + width, y1: y + height), conf: 90)
    }

    @Test func joinsSegmentsOnOneBaselineLeftToRight() {
        // An engine that reads table columns separately returns them as separate segments.
        let layout = PageLayout(segments: [
            [word("Glucose", 50, 100), word("BUN", 50, 120)],
            [word("126", 200, 101)],
            [word("18", 200, 121)],
        ].flatMap { column in column.map { [$0] } })
        #expect(layout.text == "Glucose 126\nBUN 18")
        #expect(layout.lines.count == 2)
        #expect(layout.lines[0].words == 0..<2)
        #expect(layout.words.map(\.text) == ["Glucose", "126", "BUN", "18"])
    }

    @Test func keepsOverlappingSegmentsOnSeparateLines() {
        let layout = PageLayout(segments: [[word("first", 50, 100, width: 200)], [word("second", 100, 103, width: 200)]])
        #expect(layout.lines.count == 2)
    }

    @Test func splitsBlocksAtLargeVerticalGaps() {
        let layout = PageLayout(segments: [[word("a", 50, 100)], [word("b", 50, 112)], [word("c", 50, 200)]])
        #expect(layout.blocks.map(\.lines) == [0..<2, 2..<3])
    }

    @Test func emptyPageHasNoLinesAndNoConfidence() {
        let layout = PageLayout(segments: [])
        #expect(layout.text.isEmpty && layout.lines.isEmpty && layout.blocks.isEmpty)
        #expect(layout.meanConfidence == nil)
    }

    @Test func boxesEncodeAsRoundedArrays() throws {
        let box = BoundingBox(x0: 10.123, y0: 20.456, x1: 5, y1: 30)
        #expect(box.x0 == 5 && box.x1 == 10.123)  // corners are normalised
        let json = String(decoding: try JSONEncoder().encode(box), as: UTF8.self)
        #expect(json == "[5,20.46,10.12,30]")
        #expect(try JSONDecoder().decode(BoundingBox.self, from: Data(json.utf8)).y1 == 30)
    }

    @Test func pageReadingRoundTripsThroughJSON() throws {
        let layout = PageLayout(segments: [[word("MRN:", 50, 100), word("00482913", 90, 100)]])
        let page = PageReading(number: 3, width: 612, height: 792, pdfRotation: 0, source: .ocr, rotation: 90,
                               skew: 1.5, dpi: 300, meanConfidence: layout.meanConfidence, text: layout.text,
                               words: layout.words, lines: layout.lines, blocks: layout.blocks,
                               timings: PageTimings())
        let data = try JSONEncoder().encode(page)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["blank"] as? Bool == false)
        #expect(object["source"] as? String == "ocr")
        let decoded = try JSONDecoder().decode(PageReading.self, from: data)
        #expect(decoded.text == "MRN: 00482913" && decoded.lines == page.lines && decoded.rotation == 90)
    }
}
