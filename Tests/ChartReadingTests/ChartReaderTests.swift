import ChartModel
import ChartReading
import Foundation
import Testing

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
func sample(_ name: String) -> URL { root.appendingPathComponent("Samples/\(name)") }
func fixture(_ name: String) -> URL { root.appendingPathComponent("Tests/Fixtures/\(name)") }

@Suite struct PageSelectionTests {
    @Test func parsesListsAndRanges() throws {
        let selection = try #require(PageSelection("1-3, 7,5-"))
        #expect(selection.pages(of: 8).inside == [1, 2, 3, 7, 5, 6, 8])
        #expect(selection.pages(of: 2).inside == [1, 2])
        #expect(selection.pages(of: 2).outside == [3, 7])
        #expect(PageSelection("-2")?.pages(of: 5).inside == [1, 2])
        #expect(selection.description == "1-3,7,5-")
    }

    @Test(arguments: ["", "0", "3-1", "a", "1-2-3", "1,,x"])
    func rejectsNonsense(_ text: String) {
        #expect(PageSelection(text) == nil)
    }
}

@Suite struct ChartReaderTests {
    @Test func returnsPagesInOrderFromParallelThreads() throws {
        let reader = ChartReader(threads: 2)
        defer { reader.shutdown() }
        var numbers: [Int] = []
        var sources: [TextSource] = []
        let count = try reader.read(.file(sample("packet-nguyen.pdf"))) { outcome in
            guard case .read(let page) = outcome else { Issue.record("page failed: \(outcome)"); return }
            numbers.append(page.number)
            sources.append(page.source)
            if page.number == 6 { #expect(page.isBlank) } else { #expect(page.words.count > 50) }
        }
        #expect(count == 7)
        #expect(numbers == Array(1...7))
        #expect(sources.allSatisfy { $0 == .ocr })
    }

    @Test func bornDigitalPagesSkipOCRUnlessForced() throws {
        let reader = ChartReader(threads: 1)
        defer { reader.shutdown() }
        var options = ReadOptions()
        options.pages = PageSelection("2")
        var pages: [PageReading] = []
        try reader.read(.file(sample("discharge-summary-born-digital.pdf")), options: options) { outcome in
            if case .read(let page) = outcome { pages.append(page) }
        }
        #expect(pages.map(\.source) == [.textLayer])
        #expect(pages[0].dpi == nil && pages[0].timings.recognize == 0)
        options.forceOCR = true
        options.dpi = 200
        try reader.read(.file(sample("discharge-summary-born-digital.pdf")), options: options) { outcome in
            if case .read(let page) = outcome { pages.append(page) }
        }
        #expect(pages.map(\.source) == [.textLayer, .ocr])
        #expect(pages[1].text.contains("Apixaban 5 mg PO BID"))
    }

    @Test func aFailedPageDoesNotStopTheOthers() throws {
        let reader = ChartReader(threads: 2)
        defer { reader.shutdown() }
        var outcomes: [PageOutcome] = []
        // Page 1 (200 x 200 in) only fits 1 megapixel at 5 dpi, too low to read: it fails.
        var options = ReadOptions()
        options.maxPageMegapixels = 1
        try reader.read(.file(fixture("huge-page.pdf")), options: options) { outcomes.append($0) }
        #expect(outcomes.count == 2)
        guard case .failed(let error) = outcomes[0], case .read(let page) = outcomes[1] else {
            Issue.record("expected page 1 to fail and page 2 to be read: \(outcomes)")
            return
        }
        #expect(error.page == 1 && error.file.hasSuffix("huge-page.pdf"))
        #expect(error.message.contains("megapixels"))
        #expect(page.number == 2 && page.text.contains("Ordinary page"))
    }

    @Test func documentErrorsThrowAndTheReaderCarriesOn() throws {
        let reader = ChartReader(threads: 2)
        defer { reader.shutdown() }
        for name in ["zero-pages.pdf", "text-named.pdf", "truncated.pdf", "encrypted.pdf", "empty.pdf"] {
            let error = #expect(throws: ReadError.self) { try reader.read(.file(fixture(name))) { _ in } }
            #expect(error?.file.hasSuffix(name) == true)
            #expect(error?.page == nil)
        }
        var read = 0
        try reader.read(.file(sample("med-list-fax.pdf"))) { if case .read = $0 { read += 1 } }
        #expect(read == 1)
    }

    @Test func limitsAreEnforced() throws {
        let reader = ChartReader(threads: 1)
        defer { reader.shutdown() }
        var options = ReadOptions()
        options.maxPages = 5
        let error = #expect(throws: ReadError.self) {
            try reader.read(.file(sample("packet-nguyen.pdf")), options: options) { _ in }
        }
        #expect(error?.message.contains("over the limit of 5") == true)
        options = ReadOptions()
        options.pages = PageSelection("1,9")
        var outcomes: [PageOutcome] = []
        try reader.read(.file(sample("discharge-summary-born-digital.pdf")), options: options) { outcomes.append($0) }
        #expect(outcomes.map(\.pageNumber) == [1, 9])
        guard case .failed(let missing) = outcomes[1] else { Issue.record("page 9 should fail"); return }
        #expect(missing.message.contains("no such page"))
    }

    @Test func readsFromBytesAndWithAPassword() throws {
        let reader = ChartReader(threads: 1)
        defer { reader.shutdown() }
        var options = ReadOptions()
        options.password = "chartex-test"
        let data = try Data(contentsOf: fixture("encrypted.pdf"))
        var text = ""
        try reader.read(.data(data, name: "upload.pdf"), options: options) { outcome in
            if case .read(let page) = outcome, page.number == 1 { text = page.text }
        }
        #expect(text.contains("DISCHARGE SUMMARY"))
    }
}
