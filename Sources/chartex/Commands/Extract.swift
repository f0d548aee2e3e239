import ArgumentParser
import ChartModel
import ChartReading
import Extraction
import Foundation

extension Chartex {
    /// `chartex extract`: read PDFs and print the facts the rules extractor finds, without a store.
    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read PDFs and print the facts the rules extractor finds (JSON Lines, one fact per line).",
            discussion: """
                Each line: {file, group, item, field, value, raw, page, bbox, text, confidence, status, reviewReason}. \
                A fact that cannot be trusted (low OCR confidence, an implausible lab value) has status needs_review.
                """)

        @Argument(help: "PDF files to read.")
        var files: [String]

        @OptionGroup var reading: ReadingArguments

        struct Record: Encodable {
            var file: String
            var group: String
            var item: Int
            var field: String
            var value: String
            var raw: String
            var page: Int
            var bbox: BoundingBox?
            var text: String
            var confidence: Double
            var status: String
            var reviewReason: String?
        }

        func run() throws {
            let reader = reading.makeReader()
            defer { reader.shutdown() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var failures = 0
            for file in files {
                var pages: [PageReading] = []
                do {
                    try reader.read(.path(RawPath.argument(file)), options: reading.options) { outcome in
                        switch outcome {
                        case .read(let page): pages.append(page)
                        case .failed(let error):
                            failures += 1
                            FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
                        }
                    }
                } catch {
                    failures += 1
                    FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
                    continue
                }
                for fact in RulesExtractor().extract(pages: pages) {
                    let record = Record(file: file, group: fact.group, item: fact.item, field: fact.field, value: fact.value,
                                        raw: fact.raw, page: fact.page, bbox: fact.bbox, text: fact.sourceText,
                                        confidence: (fact.ocrConfidence * 100).rounded() / 100, status: fact.status,
                                        reviewReason: fact.reviewReason)
                    if var data = try? encoder.encode(record) {
                        data.append(0x0A)
                        FileHandle.standardOutput.write(data)
                    }
                }
            }
            if failures > 0 { throw ExitStatus.inputFailed }
        }
    }
}
