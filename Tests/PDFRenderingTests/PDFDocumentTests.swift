import ChartModel
import Foundation
import PDFRendering
import Testing

/// The repository root, found from this file's path.
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
func sample(_ name: String) -> URL { root.appendingPathComponent("Samples/\(name)") }
func fixture(_ name: String) -> URL { root.appendingPathComponent("Tests/Fixtures/\(name)") }

@Suite struct PDFDocumentTests {
    @Test func readsTheBornDigitalTextLayerWithWordBoxes() throws {
        let document = try PDFDocument(url: sample("discharge-summary-born-digital.pdf"))
        #expect(document.pageCount == 2)
        let page = try document.page(1)
        #expect(page.width == 612 && page.height == 792)
        let layer = page.textLayer()
        #expect(layer.isBornDigital())
        #expect(!layer.isOCRLayer)
        let words = layer.segments.flatMap { $0 }
        let texts = Set(words.map(\.text))
        // Table cells stay separate words (poppler_page_get_text glues them).
        #expect(texts.isSuperset(of: ["DISCHARGE", "SUMMARY", "10/18/2026", "10/22/2026", "x10^3/uL", "14.8"]))
        for word in words {
            #expect(word.bbox.x0 >= 0 && word.bbox.x1 <= 612 && word.bbox.y0 >= 0 && word.bbox.y1 <= 792)
            #expect(word.bbox.width > 0 && word.bbox.height > 0)
        }
        let title = try #require(words.first { $0.text == "DISCHARGE" })
        #expect(title.bbox.y0 > 80 && title.bbox.y1 < 120, "boxes use a top-left origin")
    }

    @Test func rendersGreyOnAWhiteBackground() throws {
        let page = try PDFDocument(url: sample("discharge-summary-born-digital.pdf")).page(1)
        let image = try page.render(dpi: 72, maxMegapixels: 100)
        #expect(image.width == 612 && image.height == 792 && image.pixels.count == 612 * 792)
        #expect(image.pixels[0] == 255 && image.pixels[image.pixels.count - 1] == 255)
        #expect(image.pixels.filter { $0 < 100 }.count > 1_000, "text renders dark")
    }

    @Test func scansAndOCRLayersAreNotBornDigital() throws {
        let scan = try PDFDocument(url: sample("packet-nguyen.pdf")).page(1).textLayer()
        #expect(scan.characterCount == 0 && scan.imageCoverage > 0.95 && !scan.isBornDigital())
        // Tesseract's PDF output: invisible GlyphLessFont text over a page-sized image.
        let ocred = try PDFDocument(url: fixture("ocr-layer.pdf")).page(1).textLayer()
        #expect(ocred.characterCount > 100)
        #expect(ocred.isOCRLayer)
        #expect(!ocred.isBornDigital())
    }

    @Test func opensFromBytes() throws {
        let data = try Data(contentsOf: sample("discharge-summary-born-digital.pdf"))
        let document = try PDFDocument(data: data, name: "in-memory.pdf")
        #expect(document.pageCount == 2)
        #expect(try document.page(2).textLayer().characterCount > 100)
    }

    @Test(arguments: [
        ("empty.pdf", PDFRenderingError.emptyFile(file: "")),
        ("jpeg-named.pdf", .notAPDF(file: "")),
        ("truncated.pdf", .damaged(file: "", reason: "")),
        ("encrypted.pdf", .encrypted(file: "")),
        ("zero-pages.pdf", .noPages(file: "")),
        ("no-such-file.pdf", .fileNotFound(file: "")),
    ])
    func badFilesFailWithAnErrorNamingTheFile(name: String, expected: PDFRenderingError) throws {
        let url = fixture(name)
        let error = #expect(throws: PDFRenderingError.self) { try PDFDocument(url: url) }
        #expect(error?.file == url.relativePath)
        #expect(error.map { Self.sameCase($0, expected) } == true, "\(String(describing: error))")
        #expect(error?.description.hasPrefix(url.relativePath) == true)
    }

    @Test func encryptedFilesOpenWithTheirPassword() throws {
        let url = fixture("encrypted.pdf")
        let wrong = #expect(throws: PDFRenderingError.self) { try PDFDocument(url: url, password: "nope") }
        #expect(wrong == .wrongPassword(file: url.relativePath))
        let document = try PDFDocument(url: url, password: "chartex-test")
        #expect(try document.page(1).textLayer().isBornDigital())
    }

    @Test func absurdPagesFailAloneAndNameTheirPage() throws {
        let document = try PDFDocument(url: fixture("huge-page.pdf"))
        let error = #expect(throws: PDFRenderingError.self) {
            try document.page(1).render(dpi: 300, maxMegapixels: 100)
        }
        #expect(error?.page == 1)
        #expect(error?.description.contains("page 1") == true)
        let next = try document.page(2).render(dpi: 100, maxMegapixels: 100)
        #expect(next.width == 850)
        #expect(throws: PDFRenderingError.self) { try document.page(3) }
    }

    static func sameCase(_ a: PDFRenderingError, _ b: PDFRenderingError) -> Bool {
        func tag(_ e: PDFRenderingError) -> String? { Mirror(reflecting: e).children.first?.label }
        return tag(a) == tag(b)
    }
}
