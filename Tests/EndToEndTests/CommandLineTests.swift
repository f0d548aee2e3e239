import Foundation
import TestSupport
import Testing

@Suite struct CommandLineTests {
    @Test func plainTextSeparatesPagesWithFormFeeds() throws {
        let result = try chartex(["ocr", "Samples/discharge-summary-born-digital.pdf"])
        #expect(result.status == 0)
        #expect(result.stdout.filter { $0 == "\u{0C}" }.count == 2)
        #expect(result.stdout.hasPrefix("St. Brigid Regional Hospital PARK, EVELYN R - MRN SB-5520193\n"))
        #expect(result.stderr.isEmpty, "no progress or noise when stderr is not a terminal")
    }

    @Test func jsonHasOneDocumentedObjectPerPage() throws {
        let result = try chartex(["ocr", "--json", "--pages", "1,3", "--jobs", "2", "Samples/packet-nguyen.pdf"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        for (line, number) in zip(lines, [1, 3]) {
            let page = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(page["number"] as? Int == number)
            #expect(page["file"] as? String == "Samples/packet-nguyen.pdf")
            #expect(page["source"] as? String == "ocr")
            for key in ["width", "height", "rotation", "skew", "meanConfidence", "text", "words", "lines", "blocks", "timings"] {
                #expect(page[key] != nil, "missing \(key)")
            }
            let words = try #require(page["words"] as? [[String: Any]])
            let first = try #require(words.first)
            #expect((first["bbox"] as? [Double])?.count == 4)
            #expect(first["conf"] is Double && first["text"] is String)
        }
    }

    @Test func badFilesAreReportedAndTheBatchGoesOn() throws {
        // text-named.pdf is neither a PDF nor an image; huge-page.pdf's first page only fits a
        // 1-megapixel limit at 5 dpi (too low to read: it fails), its second page is born-digital.
        let result = try chartex(["ocr", "--json", "--max-page-megapixels", "1", "Tests/Fixtures/text-named.pdf",
                                  "Tests/Fixtures/huge-page.pdf", "Samples/med-list-fax.pdf", "Tests/Fixtures/encrypted.pdf"])
        #expect(result.status == 65)
        #expect(result.stderr.contains("chartex: Tests/Fixtures/text-named.pdf: not a PDF"))
        #expect(result.stderr.contains("chartex: Tests/Fixtures/huge-page.pdf: page 1:"))
        #expect(result.stderr.contains("too low to read"))
        #expect(result.stderr.contains("Tests/Fixtures/encrypted.pdf: the PDF is encrypted"))
        let records = try result.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(records.count == 5)  // 2 file errors, 1 page error, 2 pages read
        #expect(records.filter { $0["error"] != nil }.count == 3)
        // The fax page is 8.5 x 11 in: over 1 megapixel at 300 dpi, so it is read at 103 dpi, with a warning.
        #expect(result.stderr.contains("Samples/med-list-fax.pdf: page 1: warning: the page is 8.5 x 11.0 in"))
        #expect(records.contains { ($0["file"] as? String) == "Samples/med-list-fax.pdf" && ($0["dpi"] as? Double) == 103
                                   && ($0["warning"] as? String)?.contains("read at 103 dpi") == true })
    }

    @Test func anOversizedPageIsReadAtTheResolutionThatFits() throws {
        // A 200 x 200 in page: 3,600 megapixels at 300 dpi; the default limit is 100.
        let result = try chartex(["ocr", "--json", "--pages", "1", "Tests/Fixtures/huge-page.pdf"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("huge-page.pdf: page 1: warning: the page is 200.0 x 200.0 in, 3600 megapixels at 300 dpi, over the limit of 100: read at 50 dpi"))
        let record = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(record["dpi"] as? Double == 50 && record["error"] == nil)
    }

    @Test func passwordOpensEncryptedFiles() throws {
        let result = try chartex(["ocr", "--password", "chartex-test", "--pages", "2", "Tests/Fixtures/encrypted.pdf"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Discharge Medications"))
    }

    @Test(arguments: [["ocr", "--pages", "x", "Samples/med-list-fax.pdf"], ["ocr", "--dpi", "5", "a.pdf"], ["ocr"], ["frobnicate"]])
    func usageErrorsExitWith64(arguments: [String]) throws {
        let result = try chartex(arguments)
        #expect(result.status == 64)
    }
}
