import ArgumentParser
import ChartModel
import ChartReading
import Extraction
import Foundation
import ModelClient
import ModelExtraction
import Storage
import Worker

extension Chartex {
    /// `chartex extract`: read PDFs and print the facts, without a store.
    struct Extract: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read PDFs and print their facts (JSON Lines, one fact per line), without a store.",
            discussion: """
                Each line: {file, group, item, field, value, raw, page, bbox, text, confidence, status, reviewReason, \
                extractor, grounded, alternative}. A fact that cannot be trusted (low OCR confidence, an implausible lab \
                value, a model value not found on the page, a disagreement between the extractors) has status needs_review. \
                With a model configured the default extractor is hybrid; failed model requests are reported on stderr \
                (by page and section) and the file goes on with what the rules found.
                """)

        @Argument(help: "PDF files to read.")
        var files: [String]

        @OptionGroup var reading: ReadingArguments
        @OptionGroup var model: ModelArguments
        @OptionGroup var extraction: ExtractorArguments

        @Option(help: ArgumentHelp(
            "Developer aid: keep each file's pages as read (JSON, keyed by the file's SHA-256 and the reading options) "
                + "in this folder and reuse them, so the extractors can be re-run without reading again.",
            visibility: .hidden))
        var pagesCache: String?

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
            var extractor: String
            var grounded: Bool
            var alternative: Bool
        }

        func run() throws {
            try Chartex.run { try extract() }
        }

        private func extract() throws {
            let configuration = try model.configuration()
            let mode = extraction.mode(configuration) ?? .rules
            let budget = CoreBudget.decide(for: configuration, usesModel: mode != .rules, ocrJobs: reading.jobs)
            let session = try model.session(for: mode, budget: budget)
            defer { session?.close() }
            let extractor = try session?.extractor()
            let client = session?.client
            let images = try client.map { client in try blocking { await client.canSendImages() } } ?? false
            let reader = reading.makeReader(threads: budget.ocrThreads)
            defer { reader.shutdown() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var failures = 0
            for file in files {
                guard let pages = readPages(file, with: reader, failures: &failures) else { continue }
                var results: [ModelPageResult] = []
                if let extractor {
                    let path = RawPath.argument(file), pixels = configuration.imagePixels
                    let pagesRead = pages
                    results = try blocking {
                        await withTaskGroup(of: ModelPageResult.self) { group in
                            for page in pagesRead {
                                let image = images ? ModelStage.image(path, page: page.number, pixels: pixels) : nil
                                group.addTask { await extractor.extract(page: page, image: image) }
                            }
                            var all: [ModelPageResult] = []
                            for await result in group { all.append(result) }
                            return all.sorted { $0.page < $1.page }
                        }
                    }
                    for attempt in results.flatMap(\.attempts) where !attempt.succeeded {
                        FileHandle.standardError.write(Data(
                            "chartex: \(file): page \(attempt.page), \(attempt.section): \(attempt.error ?? "failed")\n".utf8))
                    }
                }
                // The pipeline `ingest` runs: classification and wrong-patient flags, merge, schema validation.
                let pass = FactPipeline.rulesPass(pages)
                for entry in try FactPipeline.finish(pass, model: results, mode: mode,
                                                     acceptModelOnly: configuration.hybridAcceptsModelOnly) {
                    let fact = entry.fact
                    let record = Record(file: file, group: fact.group.rawValue, item: fact.item, field: fact.field.rawValue, value: fact.value,
                                        raw: fact.raw, page: fact.page, bbox: fact.bbox, text: fact.sourceText,
                                        confidence: (entry.confidence * 1000).rounded() / 1000, status: fact.status.rawValue,
                                        reviewReason: fact.reviewReason, extractor: entry.extractor, grounded: entry.grounded,
                                        alternative: entry.alternative)
                    if var data = try? encoder.encode(record) {
                        data.append(0x0A)
                        FileHandle.standardOutput.write(data)
                    }
                }
            }
            if failures > 0 { throw ExitStatus.inputFailed }
        }

        /// The pages of `file`: read by `reader` (each page that fails counted and reported), or taken from
        /// `--pages-cache` when it holds them; a file read without failures is kept there. Nil when the file cannot
        /// be opened at all.
        private func readPages(_ file: String, with reader: ChartReader, failures: inout Int) -> [PageReading]? {
            let cached = pagesCache.flatMap { cacheFile(in: $0, for: file) }
            if let cached, let data = FileManager.default.contents(atPath: cached),
               let stored = try? JSONDecoder().decode([PageReading].self, from: data) {
                return stored
            }
            var pages: [PageReading] = []
            var failed = 0
            do {
                try reader.read(.path(RawPath.argument(file)), options: reading.options) { outcome in
                    switch outcome {
                    case .read(let page): pages.append(page)
                    case .failed(let error):
                        failed += 1
                        FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
                    }
                }
            } catch {
                failures += failed + 1
                FileHandle.standardError.write(Data("chartex: \(error)\n".utf8))
                return nil
            }
            failures += failed
            if let cached, failed == 0, let data = try? JSONEncoder().encode(pages) {
                _ = FileManager.default.createFile(atPath: cached, contents: data, attributes: [.posixPermissions: 0o600])
            }
            return pages
        }

        /// The `--pages-cache` file for `file`: its content's hash and the reading options, so a changed file or other
        /// options read again.
        private func cacheFile(in folder: String, for file: String) -> String? {
            guard let data = FileManager.default.contents(atPath: file) else { return nil }
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let key = SHA256.hex(of: data + Data(String(describing: reading.options).utf8))
            return (folder as NSString).appendingPathComponent(key + ".json")
        }
    }
}
