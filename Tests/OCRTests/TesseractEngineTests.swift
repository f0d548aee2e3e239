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

    /// A grey page `width` x `height` at `paper`, with `marks` painted (x, y, w, h, level).
    static func page(_ width: Int, _ height: Int, paper: UInt8, marks: [(Int, Int, Int, Int, UInt8)]) -> PageImage {
        var pixels = [UInt8](repeating: paper, count: width * height)
        for (x0, y0, w, h, level) in marks {
            for y in y0..<(y0 + h) { for x in x0..<(x0 + w) { pixels[y * width + x] = level } }
        }
        return PageImage(width: width, height: height, dpi: 300, pixels: pixels)
    }

    static func level(_ pix: Pix, _ x: Int, _ y: Int) -> UInt32 { pix.value(x: x, y: y) }

    @Test func streaksAreReplacedByTheirNeighboursAndPrintIsKept() throws {
        // A 2-px streak down the whole page through a "letter" (a dark block), a 40-px dark
        // copier border on the left, and a rule across a third of the page: only the streak goes.
        let image = Self.page(600, 800, paper: 255, marks: [
            (0, 0, 40, 800, 30),        // border: too wide to be a streak
            (300, 0, 2, 800, 0),        // streak
            (280, 100, 60, 30, 20),     // a letter the streak crosses
            (100, 500, 200, 4, 0),      // a rule across a third of the page: kept
        ])
        let pix = try Pix(image)
        TesseractEngine.removeStreaks(pix, dpi: 300)
        #expect(Self.level(pix, 300, 50) == 255 && Self.level(pix, 301, 700) == 255, "the streak is gone")
        #expect(Self.level(pix, 300, 110) == 20 && Self.level(pix, 301, 120) == 20, "the letter is whole")
        #expect(Self.level(pix, 20, 400) == 30, "the border is not a streak")
        #expect(Self.level(pix, 200, 501) == 0, "the rule is not a streak")
    }

    @Test func rulesBrokenIntoDotsAreErasedAndPrintIsKept() throws {
        var marks: [(Int, Int, Int, Int, UInt8)] = []
        // A rule a fax broke into dots (3x3 every 8 px, 1.3 inches) and dashes, ending in an unbroken piece
        // joined to a column rule that crosses it.
        for x in stride(from: 100, to: 500, by: 8) { marks.append((x, 300, 3, 3, 0)) }
        marks += [(500, 300, 30, 3, 0), (530, 250, 3, 100, 0)]
        // A rule that only broke here and there: long pieces, left to Tesseract.
        for x in stride(from: 100, to: 560, by: 63) { marks.append((x, 500, 60, 3, 0)) }
        // A line of "letters" whose bottoms broke off (a serif font on a fax): flat pieces right under them.
        for x in stride(from: 100, to: 400, by: 24) { marks += [(x, 620, 18, 40, 0), (x, 662, 16, 3, 0)] }
        // Hyphens in a line of text: flat marks, too few and too far apart to be a rule.
        for x in [120, 260, 400] { marks += [(x - 40, 700, 16, 40, 0), (x, 718, 12, 3, 0)] }
        let pix = try Pix(Self.page(700, 800, paper: 255, marks: marks))
        TesseractEngine.eraseBrokenRules(pix, dpi: 300)
        #expect((100..<500).allSatisfy { Self.level(pix, $0, 301) == 255 }, "the dots are gone")
        #expect(Self.level(pix, 515, 301) == 255, "the unbroken piece of the same rule goes with them")
        #expect(Self.level(pix, 531, 260) == 0 && Self.level(pix, 531, 340) == 0, "the column rule keeps its stroke")
        #expect(Self.level(pix, 130, 501) == 0, "a rule broken only here and there is kept")
        #expect(Self.level(pix, 105, 663) == 0 && Self.level(pix, 110, 640) == 0, "the broken letters are whole")
        #expect(Self.level(pix, 125, 719) == 0 && Self.level(pix, 405, 719) == 0, "hyphens are kept")
    }

    @Test func inkNoWordCoversIsFoundForASecondReading() throws {
        // A clean page read once; its words' boxes back in pixels. Given every word, little
        // text-like ink is left unread; given only the left half's words, the right half's
        // words lie in the regions to read again (a column the page layout made no block for).
        let image = try render("discharge-summary-born-digital.pdf", page: 1)
        let words = try TesseractEngine().recognize(image).segments.flatMap { $0 }
        let scale = image.dpi / 72
        func pixels(_ word: Word) -> (x: Int32, y: Int32, width: Int32, height: Int32) {
            (Int32(word.bbox.x0 * scale), Int32(word.bbox.y0 * scale),
             Int32(word.bbox.width * scale), Int32(word.bbox.height * scale))
        }
        func covered(_ word: Word, _ regions: [(x: Int32, y: Int32, width: Int32, height: Int32)]) -> Bool {
            let x = Int32((word.bbox.x0 + word.bbox.x1) / 2 * scale), y = Int32((word.bbox.y0 + word.bbox.y1) / 2 * scale)
            return regions.contains { x >= $0.x && x <= $0.x + $0.width && y >= $0.y && y <= $0.y + $0.height }
        }
        let pix = try Pix(image)
        let middle = image.dpi / 72 * 306
        let left = words.filter { ($0.bbox.x0 + $0.bbox.x1) / 2 * scale < middle }
        let right = words.filter { ($0.bbox.x0 + $0.bbox.x1) / 2 * scale >= middle && $0.text.count >= 3 }
        try #require(left.count >= 20 && right.count >= 10)
        let all = TesseractEngine.unreadRegions(pix, wordBoxes: words.map(pixels))
        #expect(words.filter { covered($0, all) }.count <= words.count / 20, "read words are not read again")
        let half = TesseractEngine.unreadRegions(pix, wordBoxes: left.map(pixels))
        let found = right.filter { covered($0, half) }.count
        #expect(Double(found) >= 0.9 * Double(right.count), "\(found) of \(right.count) unread words in the regions")
        #expect(!left.contains { covered($0, half) && $0.text.count >= 3 && ($0.bbox.x1 * scale) < middle - 100 })
    }

    @Test func lightPrintNoWordCoversIsFoundToo() throws {
        // The same page with its print turned light grey (ink at about 166, as thin strokes of a phone photo are
        // after the paper is flattened): a fixed threshold of 128 sees no ink there; the page's own threshold does.
        var image = try render("discharge-summary-born-digital.pdf", page: 1)
        let words = try TesseractEngine().recognize(image).segments.flatMap { $0 }
        image.pixels = image.pixels.map { 255 - UInt8(Double(255 - $0) * 0.35) }
        let scale = image.dpi / 72
        let middle = 306.0
        let left = words.filter { ($0.bbox.x0 + $0.bbox.x1) / 2 < middle }
        let right = words.filter { ($0.bbox.x0 + $0.bbox.x1) / 2 >= middle && $0.text.count >= 3 }
        try #require(left.count >= 20 && right.count >= 10)
        let pix = try Pix(image)
        #expect(TesseractEngine.inkThreshold(pix) > 166, "the threshold follows the light ink")
        let regions = TesseractEngine.unreadRegions(pix, wordBoxes: left.map {
            (Int32($0.bbox.x0 * scale), Int32($0.bbox.y0 * scale), Int32($0.bbox.width * scale), Int32($0.bbox.height * scale))
        })
        let found = right.filter { word in
            let x = Int32((word.bbox.x0 + word.bbox.x1) / 2 * scale), y = Int32((word.bbox.y0 + word.bbox.y1) / 2 * scale)
            return regions.contains { x >= $0.x && x <= $0.x + $0.width && y >= $0.y && y <= $0.y + $0.height }
        }.count
        #expect(Double(found) >= 0.9 * Double(right.count), "\(found) of \(right.count) light unread words in the regions")
    }

    @Test func marksMuchLighterThanThePrintBecomePaper() throws {
        // After background normalisation the paper is at 200: print at 30 stays dark,
        // bleed-through at 170 becomes paper.
        let normalised = try Pix(Self.page(400, 400, paper: 200, marks: [(50, 50, 100, 40, 30), (50, 200, 100, 40, 170)]))
        TesseractEngine.whitenFaintMarks(normalised)
        #expect(Self.level(normalised, 60, 60) < 60, "print stays dark (stretched from 0-150 to 0-255)")
        #expect(Self.level(normalised, 60, 210) == 255)
        #expect(Self.level(normalised, 300, 300) == 255)
        // Faint print (ink at 155 everywhere it prints, over the fixed cut at 150) is kept: the
        // cut follows the page's own ink.
        let faint = try Pix(Self.page(400, 400, paper: 200, marks: [(50, 50, 200, 100, 155)]))
        TesseractEngine.whitenFaintMarks(faint)
        #expect(Self.level(faint, 60, 60) < 240, "faint print kept: \(Self.level(faint, 60, 60))")
    }

    @Test func noiseFilterDropsSpecksButKeepsText() {
        #expect(TesseractEngine.isNoise("|", confidence: 40))
        #expect(TesseractEngine.isNoise("~.", confidence: 10))
        #expect(!TesseractEngine.isNoise("BID", confidence: 40))
        #expect(!TesseractEngine.isNoise("|", confidence: 95))
    }
}

@Suite struct OrientationAndImageFormatTests {
    static func word(_ text: String, _ w: Double, _ h: Double) -> Word {
        Word(text: text, bbox: BoundingBox(x0: 0, y0: 0, x1: w, y1: h), conf: 95)
    }

    @Test func aReadingWithTallWordsIsSideways() {
        let tall = (0..<6).map { _ in Self.word("Docling", 12, 60) }
        let wide = (0..<6).map { _ in Self.word("Docling", 60, 12) }
        #expect(TesseractEngine.readsSideways([tall]))
        #expect(!TesseractEngine.readsSideways([wide]))
        #expect(!TesseractEngine.readsSideways([Array(tall.prefix(4))]))  // too few words to judge
        // Short words can be square or tall on an upright page: they do not count.
        #expect(!TesseractEngine.readsSideways([wide + (0..<20).map { _ in Self.word("I", 3, 12) }]))
        // The score of a sideways reading counts none of its vertical words.
        #expect(TesseractEngine.readingScore([tall]) == 0)
        #expect(TesseractEngine.readingScore([wide]) > 35)
    }

    @Test func formatsAreToldByContent() {
        #expect(ImageFormat(header: [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]) == .tiff)
        #expect(ImageFormat(header: [0x4D, 0x4D, 0x00, 0x2A]) == .tiff)
        #expect(ImageFormat(header: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) == .png)
        #expect(ImageFormat(header: [0xFF, 0xD8, 0xFF, 0xE0]) == .jpeg)
        #expect(ImageFormat(header: Array("%PDF-1.7".utf8)) == nil)
        #expect(ImageFormat(header: []) == nil)
    }

    @Test func exifOrientationAndTIFFPagesAreParsed() {
        // A JPEG start with one APP1 Exif segment (big-endian TIFF, one IFD entry 0x0112 = 6).
        let tiff: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0]
        let app1 = Array("Exif".utf8) + [0, 0] + tiff
        let length = app1.count + 2
        let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + app1 + [0xFF, 0xDA, 0, 2]
        #expect(EXIF.orientation(ofJPEG: jpeg) == 6)
        #expect(EXIF.orientation(ofJPEG: [0xFF, 0xD8, 0xFF, 0xDA, 0, 2]) == nil)
        // Two chained directories (little-endian), then a chain that loops back on itself.
        var two: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]
        two += [0, 0, 14, 0, 0, 0]  // IFD at 8: no entries, next at 14
        two += [0, 0, 0, 0, 0, 0]   // IFD at 14: no entries, last
        #expect(TIFFDirectory.pageCount(two) == 2)
        var loop = two
        loop[16] = 8  // the second directory points back at the first
        #expect(TIFFDirectory.pageCount(loop) == 2)
        #expect(TIFFDirectory.pageCount([0x49, 0x49, 0x2A, 0x00, 200, 0, 0, 0]) == nil)
    }
}
