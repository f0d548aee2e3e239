import ArgumentParser
import Embedding
import SemanticIndex
import Foundation
import GRDB
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
                let status = try database.openExisting().status()
                let servers = LocalModelServer.running()
                if json { return printJSON(StatusOutput(store: status, localModelServers: servers)) }
                print("database: \(database.resolvedPath)")
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
                let documents = try database.openExisting().documents()
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

        struct Output: Encodable {
            var document: DocumentRecord
            var pages: [PageSummary]
            var nearDuplicates: [NearDuplicates.Match]
        }

        struct PageSummary: Encodable {
            var number: Int
            var status: String
            var error: String?
            var source: String?
            var meanConfidence: Double?
            var rotation: Int?
            var skew: Double?
            var blank: Bool
            var blankReason: String?
            var words: Int
            var documentType: String?
            var segment: Int?
            var patientMismatch: String?
            var text: String?
        }

        func run() throws {
            try Chartex.run {
                let store = try database.openExisting()
                let document = try store.resolveDocument(self.document)
                let counts = try store.writer.read { db in
                    try [Int: Int](uniqueKeysWithValues: Row.fetchAll(db, sql: """
                        SELECT p.number, count(w.ordinal) FROM page p LEFT JOIN word w ON w.pageId = p.id
                        WHERE p.documentId = ? GROUP BY p.id
                        """, arguments: [document.id!]).map { ($0[0], $0[1]) })
                }
                let pages = try store.pages(documentId: document.id!).map { p in
                    PageSummary(number: p.number, status: p.status, error: p.error, source: p.source,
                                meanConfidence: p.meanConfidence, rotation: p.rotation, skew: p.skew, blank: p.blank,
                                blankReason: p.blankReason, words: counts[p.number] ?? 0, documentType: p.documentType, segment: p.segment,
                                patientMismatch: p.patientMismatch, text: (text || json) ? p.text : nil)
                }
                let duplicates = try Chartex.nearDuplicates(store, documentId: document.id!)
                if json { return printJSON(Output(document: document, pages: pages, nearDuplicates: duplicates)) }
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
            abstract: "Search page text (SQLite FTS5): document, page and a highlighted snippet.",
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
                let store = try database.openExisting()
                let id = try document.map { try store.resolveDocument($0).id! }
                if semantic {
                    let index = try SemanticIndex(store: store, embedder: Chartex.embedder())
                    try index.indexMissing()
                    let hits = try index.search(query, documentIds: id.map { [$0] }, limit: limit)
                    if json { return printJSON(hits) }
                    for hit in hits {
                        print("\(hit.documentId)\t\(hit.fileName)\tpage \(hit.page)\t\(String(format: "%.3f", hit.cosine))\t\(hit.text)")
                    }
                    if hits.isEmpty { FileHandle.standardError.write(Data("no indexed lines\n".utf8)) }
                    return
                }
                let hits = try store.search(query, documentId: id, limit: limit)
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
                The connection is opened read-only with query_only set and ATTACH disabled: \
                INSERT, UPDATE, DELETE, DDL, ATTACH and writing PRAGMAs are refused by SQLite (exit 65).
                """)

        @Argument(help: "One SQL statement.") var query: String
        @Flag(help: "Print JSON (an array of objects).") var json = false
        @OptionGroup var database: DatabaseArguments

        func run() throws {
            try Chartex.run {
                _ = try database.openExisting()  // migrate first, so the schema is there
                let queue = try AppDatabase.openReadOnly(path: database.resolvedPath)
                let result: (columns: [String], rows: [[DatabaseValue]])
                do {
                    result = try AppDatabase.query(query, in: queue)
                } catch let error as DatabaseError {
                    throw CommandFailure(message: "sql: \(error.message ?? "\(error)")", exitCode: ExitStatus.inputFailed)
                }
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

    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let v): self = .int(v)
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

extension Chartex {
    /// The embedding model, or a clear error naming what to install.
    static func embedder() throws -> SentenceEmbedder {
        do {
            return try SentenceEmbedder()
        } catch let error as EmbeddingError {
            throw CommandFailure(message: "\(error)", exitCode: ExitCode(69))
        }
    }

    /// Near-duplicate pages by the semantic index's stored vectors (none before the index is built).
    static func nearDuplicates(_ store: AppDatabase, documentId: Int64) throws -> [NearDuplicates.Match] {
        try SemanticIndex.nearDuplicatePages(in: store, of: documentId)
    }
}
