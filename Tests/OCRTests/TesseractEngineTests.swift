import ChartModel
import Foundation
@testable import OCR
import PDFRendering
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
func render(_ name: String, page: Int, dpi: Double = 300) throws -> PageImage {
    try PDFDocument(url: root.appendingPathComponent("Samples/\(name)")).page(page)
        .render(dpi: dpi, maxMegapixels: 100)
}

@Suite struct TesseractEngineTests {
    @Test func readsASkewedGreyScanWithBoxesAndConfidences() throws {
        let engine = try TesseractEngine()
        let result = try engine.recognize(try render("progress-note-grey-skewed.pdf", page: 1))
        let words = result.segments.flatMap { $0 }
        let texts = Set(words.map(\.text))
        #expect(texts.isSuperset(of: ["PROGRESS", "NOTE", "00482913", "Metformin", "BID", "QHS"]))
        #expect(abs(result.skew - 1.7) < 0.3, "deskew found \(result.skew)°")
        #expect(result.rotation == 0)
        #expect(abs(result.width - 612) < 1 && abs(result.height - 792) < 1)
        for word in words {
            #expect((0...100).contains(word.conf))
            #expect(word.bbox.x0 >= 0 && word.bbox.x1 <= 612.5 && word.bbox.y1 <= 792.5)
        }
        #expect((result.meanConfidence ?? 0) > 85)
        // Boxes are in points: the title sits about 100 pt from the top.
        let title = try #require(words.first { $0.text == "PROGRESS" })
        #expect(title.bbox.y0 > 60 && title.bbox.y0 < 130 && title.bbox.height < 20)
    }

    @Test func turnsSidewaysAndUpsideDownPagesUpright() throws {
        let engine = try TesseractEngine()
        let sideways = try engine.recognize(try render("referral-rotated.pdf", page: 1))
        #expect(sideways.rotation == 90)
        #expect(sideways.width < sideways.height, "the upright page is portrait")
        #expect(sideways.segments.flatMap { $0 }.contains { $0.text == "NG-88412" })
        let upsideDown = try engine.recognize(try render("referral-rotated.pdf", page: 2))
        #expect(upsideDown.rotation == 180)
        #expect(upsideDown.segments.flatMap { $0 }.contains { $0.text == "Troponin" })
    }

    @Test func alwaysModeChecksOrientationOnUprightPagesToo() throws {
        var options = OCROptions()
        options.orientation = .always
        let result = try TesseractEngine().recognize(try render("packet-nguyen.pdf", page: 1, dpi: 200), options: options)
        #expect(result.rotation == 0)
        #expect(result.timings.orientation > 0)
    }

    @Test func blankScansSkipRecognition() throws {
        let engine = try TesseractEngine()
        let blank = try engine.recognize(try render("packet-nguyen.pdf", page: 6))
        #expect(blank.segments.isEmpty)
        #expect(blank.timings.recognize == 0)
        #expect(blank.blankReason?.hasPrefix("skipped OCR: ") == true, "\(blank.blankReason ?? "nil")")
    }

    @Test func faintPrintIsNotMistakenForABlankPage() throws {
        var image = try render("discharge-summary-born-digital.pdf", page: 2)
        // A pale copy: ink at about 185 on white.
        image.pixels = image.pixels.map { 255 - UInt8((Double(255 - $0) * 0.27).rounded()) }
        #expect(image.pixels.min()! > 175)
        let words = try TesseractEngine().recognize(image).segments.flatMap { $0 }.map(\.text)
        #expect(words.contains("Apixaban"))
    }

    /// Grey paper (a photocopy on coloured stock, or an unevenly lit scan darker at one side)
    /// is not a blank page: its text is read. A blank sheet on the same grey paper stays blank.
    @Test func greyPaperIsNotMistakenForABlankPage() throws {
        var image = try render("discharge-summary-born-digital.pdf", page: 2, dpi: 200)
        let width = image.width
        // Paper from 150 (left) to 110 (right); ink stays dark.
        image.pixels = image.pixels.enumerated().map { index, value in
            let paper = 150.0 - 40.0 * Double(index % width) / Double(width)
            return UInt8((Double(value) / 255 * paper).rounded())
        }
        #expect(image.pixels.max()! <= 150)
        let result = try TesseractEngine().recognize(image)
        #expect(result.timings.recognize > 0, "read, not skipped as blank")
        #expect(result.segments.flatMap { $0 }.map(\.text).contains("Apixaban"))

        var blank = try render("packet-nguyen.pdf", page: 6, dpi: 200)
        blank.pixels = blank.pixels.map { UInt8((Double($0) / 255 * 130).rounded()) }
        #expect(try TesseractEngine().recognize(blank).segments.isEmpty)
    }

    @Test func faxPagesAreReadAfterResamplingToSquarePixels() throws {
        // The fax image is 200x100 dpi; rendering at 300 dpi gives square pixels.
        let image = try render("med-list-fax.pdf", page: 1)
        #expect(image.width == 2550 && image.height == 3300)
        let words = try TesseractEngine().recognize(image).segments.flatMap { $0 }.map(\.text)
        #expect(words.contains("Furosemide") && words.contains("NKDA") && words.contains("LIM-220871"))
    }

    @Test func missingLanguageFailsWithAClearError() {
        let error = #expect(throws: OCRError.self) { try TesseractEngine(language: "zzz_missing") }
        #expect(error?.description.contains("zzz_missing") == true)
    }

    @Test func noiseFilterDropsSpecksButKeepsText() {
        #expect(TesseractEngine.isNoise("|", confidence: 40))
        #expect(TesseractEngine.isNoise("~.", confidence: 10))
        #expect(!TesseractEngine.isNoise("BID", confidence: 40))
        #expect(!TesseractEngine.isNoise("|", confidence: 95))
    }
}
