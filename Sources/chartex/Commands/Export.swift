import ArgumentParser
import ChartService
import Foundation
import Storage

extension Chartex {
    /// `chartex export`: JSON or NDJSON with provenance.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export documents, pages (lines with boxes) and facts (with evidence) as JSON or NDJSON.",
            discussion: """
                json: one object {format, version, exportedAt, documents: [...]}. ndjson: one document \
                object per line. Layout: docs/export.md, Schemas/export.schema.json. Files written \
                with --out are created with mode 0600. Every export is recorded in the audit log.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable { case json, ndjson }

        @Option(help: "json or ndjson.") var format: Format = .json
        @Option(help: "Only this document (id, sha256 prefix or file name).") var document: String?
        @Option(help: "Write to this file instead of stdout.") var out: String?
        @OptionGroup var database: DatabaseArguments

        struct Envelope: Encodable {
            var format = "chartex-export"
            var version = 1
            var exportedAt: String
            var documents: [ExportedDocument]
        }

        func run() throws {
            try Chartex.run {
                let service = try database.service()
                let documents = try document.map { [try service.document($0)] } ?? service.documents()
                let sink: FileHandle
                if let out {
                    _ = FileManager.default.createFile(atPath: out, contents: nil, attributes: [.posixPermissions: 0o600])
                    guard let handle = FileHandle(forWritingAtPath: out) else {
                        throw CommandFailure(message: "\(out): cannot write", exitCode: ExitStatus.internalError)
                    }
                    sink = handle
                } else {
                    sink = FileHandle.standardOutput
                }
                defer { if out != nil { try? sink.close() } }
                let exported = try service.export(documents, detail: "\(format.rawValue), \(documents.count) documents"
                                                  + (out.map { " to \($0)" } ?? ""))
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                switch format {
                case .ndjson:
                    for document in exported {
                        var line = try encoder.encode(document)
                        line.append(0x0A)
                        sink.write(line)
                    }
                case .json:
                    encoder.outputFormatting.insert(.prettyPrinted)
                    let formatter = ISO8601DateFormatter()
                    let envelope = Envelope(exportedAt: formatter.string(from: Date()),
                                            documents: exported)
                    var data = try encoder.encode(envelope)
                    data.append(0x0A)
                    sink.write(data)
                }
            }
        }
    }
}
