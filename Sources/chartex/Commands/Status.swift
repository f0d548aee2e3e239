import ArgumentParser
import Embedding
import SemanticIndex
import Foundation
import ChartService
import ModelClient
import Storage

extension Chartex {
    /// `chartex status`: the queue and what is stored.
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the queue and counts of what is stored.")

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                let status = try database.service().status()
                let servers = LocalModelServer.running()
                if json { return printJSON(StatusOutput(store: status, localModelServers: servers)) }
                print("database: \(database.display)")
                print("documents: " + DocumentStatus.allCases.map { "\($0.rawValue) \(status.documents[$0.rawValue] ?? 0)" }.joined(separator: ", "))
                print("jobs: " + JobState.allCases.map { "\($0.rawValue) \(status.jobs[$0.rawValue] ?? 0)" }.joined(separator: ", "))
                print("pages: \(status.pages) (\(status.failedPages) failed), words: \(status.words), facts: \(status.facts)")
                for server in servers {
                    print("local model: llama-server at 127.0.0.1:\(server.port), \(server.threads) thread\(server.threads == 1 ? "" : "s"), "
                        + "\(server.users ?? 0) chartex process\(server.users == 1 ? "" : "es") using it (\((server.gguf as NSString).lastPathComponent))")
                }
                let budget = CoreBudget.decide(localModel: !servers.isEmpty, ocrJobs: nil, modelThreads: nil,
                                               runningServerThreads: servers.first?.threads)
                print("cores: \(budget)")
            }
        }
    }

    /// `status --json`: the store's counts (as before, at the top level) and the local servers.
    struct StatusOutput: Encodable {
        var store: StoreStatus
        var localModelServers: [RunningLocalServer]

        func encode(to encoder: any Encoder) throws {
            try store.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(localModelServers, forKey: Key(stringValue: "localModelServers"))
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    /// `chartex documents`: every stored document.
    struct Documents: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List stored documents.")

        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                let documents = try database.service().documents()
                if json { return printJSON(documents) }
                print(["id", "sha256", "pages", "status", "file", "error"].joined(separator: "\t"))
                for d in documents {
                    print(["\(d.id!)", String(d.sha256.prefix(12)), d.pageCount.map(String.init) ?? "-", d.status.rawValue,
                           d.fileName, d.error ?? ""].joined(separator: "\t"))
                }
            }
        }
    }

    /// `chartex show DOC`: one document and its pages.
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a document: its pages, sources, confidences and errors.",
            discussion: "DOC is a document id, a unique prefix of its sha256, or its file name.")

        @Argument(help: "The document.") var document: String
        @Flag(help: "Print the text of every page too.") var text = false
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                let service = try database.service()
                let view = try service.documentView(try service.document(self.document), includeText: text || json)
                let (document, pages, duplicates) = (view.document, view.pages, view.nearDuplicates)
                if json { return printJSON(view) }
                print("document \(document.id!): \(document.fileName)")
                print("  sha256 \(document.sha256)")
                print("  \(document.size) bytes, \(document.pageCount.map(String.init) ?? "?") pages, \(document.status.rawValue)"
                      + (document.error.map { ": \($0)" } ?? ""))
                print("  imported \(document.importedAt)" + (document.completedAt.map { ", done \($0)" } ?? ""))
                print(["page", "status", "type", "source", "conf", "rotation", "skew", "words", "notes"].joined(separator: "\t"))
                for p in pages {
                    print(["\(p.number)", p.blank ? "blank" : p.status,
                           p.documentType.map { t in p.segment.map { "\(t) #\($0 + 1)" } ?? t } ?? "-", p.source ?? "-",
                           p.meanConfidence.map { String(format: "%.1f", $0) } ?? "-", p.rotation.map(String.init) ?? "-",
                           p.skew.map { String(format: "%.2f", $0) } ?? "-", "\(p.words)",
                           ([p.error, p.blank ? p.blankReason.map { "blank: \($0)" } : nil, p.patientMismatch.map { "POSSIBLE WRONG PATIENT: \($0)" }] as [String?]).compactMap { $0 }
                               .joined(separator: "; ")].joined(separator: "\t"))
                    if text, let body = p.text { print(body + "\n\u{0C}") }
                }
                for d in duplicates {
                    print("  page \(d.page) reads like \(d.otherFile) (document \(d.otherDocument)) page \(d.otherPage)"
                          + String(format: " (cosine %.3f): the same page twice?", d.cosine))
                }
            }
        }
    }

    /// `chartex search`: full-text search over page text.
    struct Search: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Search page text (the full-text index: FTS5 on SQLite, tsvector on PostgreSQL): document, page and a highlighted snippet.",
            discussion: "Plain words must all occur on the page; \"quoted phrases\", OR and prefix* work too.")

        @Argument(help: "What to look for.") var query: String
        @Option(help: "Only this document (id, sha256 prefix or file name).") var document: String?
        @Option(help: "At most this many hits.") var limit = 20
        @Flag(help: """
            Search by meaning (the semantic index: lines embedded with all-MiniLM-L6-v2, ranked by cosine), \
            e.g. "kidney function" finds the creatinine and eGFR lines. Pages not indexed yet are indexed first.
            """) var semantic = false
        @Flag(help: "Print JSON.") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                let service = try database.service()
                let id = try document.map { try service.document($0).id! }
                if semantic {
                    let hits = try service.semanticSearch(query, documentId: id, limit: limit)
                    if json { return printJSON(hits) }
                    for hit in hits {
                        print("\(hit.documentId)\t\(hit.fileName)\tpage \(hit.page)\t\(String(format: "%.3f", hit.cosine))\t\(hit.text)")
                    }
                    if hits.isEmpty { FileHandle.standardError.write(Data("no indexed lines\n".utf8)) }
                    return
                }
                let hits = try service.search(query, documentId: id, limit: limit)
                if json { return printJSON(hits) }
                for hit in hits {
                    print("\(hit.documentId)\t\(hit.fileName)\tpage \(hit.page)\t\(hit.snippet.replacingOccurrences(of: "\n", with: " "))")
                }
                if hits.isEmpty { FileHandle.standardError.write(Data("no matches\n".utf8)) }
            }
        }
    }

    /// `chartex sql`: read-only SQL.
    struct Sql: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a read-only SQL query against the store.",
            discussion: """
                On SQLite the connection is opened read-only with query_only set and ATTACH disabled: \
                INSERT, UPDATE, DELETE, DDL, ATTACH and writing PRAGMAs are refused by SQLite (exit 65). \
                On PostgreSQL the statement runs in a READ ONLY transaction with a 60 s statement timeout, \
                then is rolled back; give --db a role that may only read for a second guard.
                """)

        @Argument(help: "One SQL statement.") var query: String
        @Flag(help: "Print JSON (an array of objects).") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                _ = try database.openExisting()  // migrate first, so the schema is there
                let result = try ChartService.sql(at: try database.location(), query)
                if json {
                    let objects = result.rows.map { row in
                        Dictionary(uniqueKeysWithValues: zip(result.columns, row.map(JSONValue.init)))
                    }
                    return printJSON(objects)
                }
                print(result.columns.joined(separator: "\t"))
                for row in result.rows {
                    print(row.map { JSONValue($0).plain }.joined(separator: "\t"))
                }
            }
        }
    }
}

/// A database value as JSON.
enum JSONValue: Encodable {
    case null, int(Int64), double(Double), string(String)

    init(_ value: SQLValue) {
        switch value {
        case .null: self = .null
        case .int(let v): self = .int(v)
        case .double(let v): self = .double(v)
        case .string(let v): self = .string(v)
        case .blob(let data): self = .string(data.base64EncodedString())
        }
    }

    var plain: String {
        switch self {
        case .null: "NULL"
        case .int(let v): String(v)
        case .double(let v): String(v)
        case .string(let v): v.replacingOccurrences(of: "\t", with: " ").replacingOccurrences(of: "\n", with: "\\n")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .int(let v): try container.encode(v)
        case .double(let v): try container.encode(v)
        case .string(let v): try container.encode(v)
        }
    }
}

/// Prints a value as pretty, key-sorted JSON.
func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return }
    print(String(decoding: data, as: UTF8.self))
}
