import ArgumentParser
import ChartService
import FHIRExport
import Foundation
import Storage

extension Chartex {
    /// `chartex export`: JSON or NDJSON with provenance.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Export documents, pages (lines with boxes) and facts (with evidence) as JSON, NDJSON or FHIR R4.",
            discussion: """
                json: one object {format, version, exportedAt, documents: [...]}. ndjson: one document \
                object per line. Layout: docs/export.md, Schemas/export.schema.json. fhir: a FHIR R4 Bundle \
                (type collection) per patient, with a Provenance (page, box, source text) for every \
                extracted resource; several patients are written one Bundle per line. fhir-ndjson: \
                --out DIR gets one RESOURCE.ndjson file per resource type, as Bulk Data $export writes \
                them. Layout: docs/fhir.md. Files written with --out are created with mode 0600. Every \
                export is recorded in the audit log.
                """)

        enum Format: String, ExpressibleByArgument, CaseIterable {
            case json, ndjson, fhir
            case fhirNdjson = "fhir-ndjson"
        }

        @Option(help: "json, ndjson, fhir or fhir-ndjson.") var format: Format = .json
        @Option(help: "Only this document (id, sha256 prefix or file name).") var document: String?
        @Option(help: "fhir: only the chart of the patient with this MRN.") var patient: String?
        @Flag(help: "fhir: leave out every resource that still needs review.") var verifiedOnly = false
        @Option(help: "Write to this file (fhir-ndjson: this folder) instead of stdout.") var out: String?
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
                if format == .fhir || format == .fhirNdjson {
                    return try exportFHIR(service, documents)
                }
                guard patient == nil, !verifiedOnly else {
                    throw CommandFailure(message: "--patient and --verified-only are options of --format fhir and fhir-ndjson",
                                         exitCode: ExitCode(64))
                }
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
                case .fhir, .fhirNdjson:
                    break  // written by exportFHIR above
                }
            }
        }
    
        /// Writes a new file readable by its owner alone (an existing one is replaced).
        func writePrivate(_ data: Data, to path: String) throws {
            try? FileManager.default.removeItem(atPath: path)
            guard FileManager.default.createFile(atPath: path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                throw CommandFailure(message: "\(path): cannot write", exitCode: ExitStatus.internalError)
            }
        }

        func exportFHIR(_ service: ChartService, _ documents: [DocumentRecord]) throws {
            let detail = "\(format.rawValue), \(documents.count) documents" + (verifiedOnly ? ", verified only" : "")
                + (out.map { " to \($0)" } ?? "")
            let bundles = try service.exportFHIR(documents, patient: patient, verifiedOnly: verifiedOnly, detail: detail)
            if format == .fhirNdjson {
                guard let out else {
                    throw CommandFailure(message: "--format fhir-ndjson writes a folder: give --out DIR", exitCode: ExitCode(64))
                }
                try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
                let files = try FHIRBundle.ndjsonByType(bundles)
                for (type, data) in files.sorted(by: { $0.key < $1.key }) {
                    try writePrivate(data, to: (out as NSString).appendingPathComponent("\(type).ndjson"))
                }
                FileHandle.standardError.write(Data("chartex: \(files.count) resource files in \(out)\n".utf8))
                return
            }
            let data = try FHIRBundle.data(bundles, pretty: true)
            if let out {
                try writePrivate(data, to: out)
            } else {
                FileHandle.standardOutput.write(data)
            }
        }
}
}
