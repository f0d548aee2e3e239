import Answering
import ChartModel
import ChartReading
import Embedding
import Extraction
import FHIRExport
import Foundation
import ModelClient
import SemanticIndex
import Storage
import Validation
import Worker

/// The operations the CLI and `chartex serve` both call: status, documents, pages and their
/// images, facts, review, ask, search, export and intake. It sits on the store protocols
/// (`Store`), holds no SQL, and reports failures as `ServiceError`, whose kinds map onto the
/// CLI's exit codes and the API's HTTP statuses alike.
public struct ChartService: Sendable {
    public let store: any Store
    /// The longest side of a rendered page image, in pixels (the API's `?dpi=` is capped by it).
    public var maxImageSide = 6000

    public init(store: any Store) {
        self.store = store
    }

    // MARK: - Status and documents

    public func status() throws -> StoreStatus {
        try mapped { try store.status() }
    }

    public func documents() throws -> [DocumentRecord] {
        try mapped { try store.documents() }
    }

    /// A document by id, unique sha256 prefix or file name.
    public func document(_ reference: String) throws -> DocumentRecord {
        try mapped { try store.resolveDocument(reference) }
    }

    public func document(id: Int64) throws -> DocumentRecord {
        guard let document = try mapped({ try store.document(id: id) }) else {
            throw ServiceError(.notFound, "no document \(id) in the store")
        }
        return document
    }

    /// A document with its pages (counts, flags, errors), its facts counted by group and
    /// status, and its near-duplicate pages.
    public func documentView(_ document: DocumentRecord, includeText: Bool) throws -> DocumentView {
        try mapped {
            let id = document.id!
            let counts = try store.wordCounts(documentId: id)
            let pages = try store.pages(documentId: id).map { p in
                PageSummary(number: p.number, status: p.status, error: p.error, source: p.source,
                            meanConfidence: p.meanConfidence, rotation: p.rotation, skew: p.skew, blank: p.blank,
                            blankReason: p.blankReason, words: counts[p.number] ?? 0, documentType: p.documentType,
                            segment: p.segment, patientMismatch: p.patientMismatch, width: p.width, height: p.height,
                            text: includeText ? p.text : nil)
            }
            var factCounts: [String: [String: Int]] = [:]
            for fact in try store.facts(FactFilter(documentId: id)) {
                factCounts[fact.groupName, default: [:]][fact.status, default: 0] += 1
            }
            let duplicates = try SemanticIndex.nearDuplicatePages(in: store, of: id)
            return DocumentView(document: document, pages: pages, facts: factCounts, nearDuplicates: duplicates)
        }
    }

    /// One page: its text, lines and words with their boxes (page points, origin top left).
    public func pageView(documentId: Int64, number: Int) throws -> PageView {
        try mapped {
            let document = try self.document(id: documentId)
            guard let page = try store.page(documentId: documentId, number: number) else {
                throw ServiceError(.notFound, "\(document.fileName) has no page \(number) in the store")
            }
            let words = try store.words(pageId: page.id!)
            let lines = AppDatabase.lines(page.lines, words: words.map(\.text))
            return PageView(documentId: documentId, number: number, status: page.status, error: page.error,
                            width: page.width, height: page.height, source: page.source, rotation: page.rotation,
                            meanConfidence: page.meanConfidence, blank: page.blank, blankReason: page.blankReason,
                            documentType: page.documentType, patientMismatch: page.patientMismatch, text: page.text,
                            lines: lines.map { PageView.Line(text: $0.text, bbox: $0.bbox, conf: $0.conf) },
                            words: words.map { PageView.Word(text: $0.text, bbox: BoundingBox(x0: $0.x0, y0: $0.y0, x1: $0.x1, y1: $0.y1),
                                                             conf: $0.conf) })
        }
    }

    /// The page rendered from its source file as PNG, at `dpi` (capped by `maxImageSide`).
    public func pageImage(documentId: Int64, number: Int, dpi: Double) throws -> Data {
        let document = try self.document(id: documentId)
        guard let page = try mapped({ try store.page(documentId: documentId, number: number) }) else {
            throw ServiceError(.notFound, "\(document.fileName) has no page \(number) in the store")
        }
        guard dpi >= 18, dpi <= 600 else { throw ServiceError(.invalid, "dpi must be between 18 and 600") }
        guard let uri = try mapped({ try store.sourceURI(documentId: documentId) }), let path = RawPath(uri: uri),
              FileManager.default.fileExists(atPath: path.display) else {
            throw ServiceError(.unavailable, "\(document.fileName): its source file is no longer where it was imported from")
        }
        let side = max(page.width ?? 612, page.height ?? 792) * dpi / 72
        do {
            return try ChartReader.pagePNG(path, page: number, maxPixels: min(maxImageSide, max(16, Int(side.rounded()))))
        } catch {
            throw ServiceError(.inputFailed, "cannot render \(document.fileName) page \(number): \(error)")
        }
    }

    // MARK: - Facts and review

    public func facts(_ filter: FactFilter) throws -> [FactRecord] {
        try mapped { try store.facts(filter) }
    }

    public func fact(id: Int64) throws -> FactRecord {
        guard let fact = try mapped({ try store.fact(id: id) }) else { throw ServiceError(.notFound, "no fact \(id) in the store") }
        return fact
    }

    /// The review queue: facts that need review, filterable by document, group and reason,
    /// each with the field's other readings.
    public func reviewQueue(documentId: Int64? = nil, group: String? = nil, reason: String? = nil,
                            limit: Int? = nil) throws -> [ReviewItem] {
        try mapped {
            let pending = try store.facts(FactFilter(documentId: documentId, group: group, status: "needs_review", reason: reason,
                                                     limit: limit))
            var names: [Int64: String] = [:]
            var siblings: [Int64: [FactRecord]] = [:]
            for id in Set(pending.map(\.documentId)) {
                names[id] = try store.document(id: id)?.fileName
                siblings[id] = try store.facts(FactFilter(documentId: id))
            }
            return pending.map { fact in
                let others = (siblings[fact.documentId] ?? []).filter {
                    $0.id != fact.id && $0.groupName == fact.groupName && $0.item == fact.item && $0.fieldPath == fact.fieldPath
                }
                return ReviewItem(fact: fact, fileName: names[fact.documentId] ?? "?", otherReadings: others)
            }
        }
    }

    /// Accepts, corrects or rejects a fact. A correction is validated against the item's schema
    /// definition, with the item's other current values, like any extracted value (dates are
    /// normalised to ISO 8601); an invalid one is refused (`.inputFailed`) and nothing changes.
    public func review(factId: Int64, decision: ReviewDecision, value: String? = nil, note: String? = nil,
                       reviewer: String) throws -> ReviewOutcome {
        let fact = try self.fact(id: factId)
        var corrected: String?
        if decision == .correct {
            guard var value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
                throw ServiceError(.invalid, "a correction needs the new value")
            }
            // Dates are stored normalised (ISO 8601), as extracted ones are.
            if ["date", "endDate", "birthDate"].contains(fact.fieldPath) {
                guard let iso = DateNormalizer().normalize(value) else {
                    throw ServiceError(.inputFailed, "'\(value)' is not a date (\(fact.groupName) \(fact.fieldPath))")
                }
                value = iso
            }
            corrected = value
            let item = try mapped { try store.facts(FactFilter(documentId: fact.documentId, group: fact.groupName)) }
                .filter { $0.item == fact.item && !$0.alternative && $0.status != "rejected" && $0.fieldPath != fact.fieldPath }
            guard let group = FactGroup(rawValue: fact.groupName) else {
                throw ServiceError(.inputFailed, "'\(fact.groupName)' is not a group of the chart schema")
            }
            guard let field = FactField(rawValue: fact.fieldPath) else {
                throw ServiceError(.inputFailed, "'\(fact.fieldPath)' is not a field of the chart schema")
            }
            let extracted = item.compactMap { other in
                FactField(rawValue: other.fieldPath).map {
                    ExtractedFact(group: group, item: 0, field: $0, raw: other.rawValue ?? "", value: other.normalizedValue ?? "",
                                  page: other.evidencePage ?? 0, bbox: nil, sourceText: "", ocrConfidence: 100)
                }
            } + [ExtractedFact(group: group, item: 0, field: field, raw: value, value: value,
                               page: fact.evidencePage ?? 0, bbox: nil, sourceText: "", ocrConfidence: 100)]
            let definitions = try mapped { try ChartSchemas.definitions() }
            if let violations = ChartSchemas.validate(extracted, definitions: definitions).values.first, !violations.isEmpty {
                throw ServiceError(.inputFailed, "'\(value)' is not a valid \(fact.groupName) \(fact.fieldPath): "
                                   + violations.map { "\($0.instancePath.isEmpty ? "" : $0.instancePath + ": ")\($0.message)" }
                                       .joined(separator: "; "))
            }
        } else if value != nil {
            throw ServiceError(.invalid, "only a correction carries a value")
        }
        return try mapped {
            try store.applyReview(factId: factId, decision: decision, value: corrected, note: note,
                                  reviewer: reviewer)
        }
    }

    public func reviews(factId: Int64? = nil, documentId: Int64? = nil) throws -> [ReviewRecord] {
        try mapped { try store.reviews(factId: factId, documentId: documentId) }
    }

    // MARK: - Search

    public func search(_ query: String, documentId: Int64? = nil, limit: Int = 20) throws -> [SearchHit] {
        guard !query.trimmingCharacters(in: .whitespaces).isEmpty else { throw ServiceError(.invalid, "an empty search") }
        return try mapped { try store.search(query, documentId: documentId, limit: limit) }
    }

    /// Search by meaning; pages not indexed yet are indexed first.
    public func semanticSearch(_ query: String, documentId: Int64? = nil, limit: Int = 20) throws -> [SemanticHit] {
        let index = try SemanticIndex(store: store, embedder: Self.embedder())
        return try mapped {
            _ = try index.indexMissing()
            return try index.search(query, documentIds: documentId.map { [$0] }, limit: limit)
        }
    }

    /// The embedding model, or an `.unavailable` error naming what to install.
    public static func embedder() throws -> SentenceEmbedder {
        do {
            return try SentenceEmbedder()
        } catch {
            throw ServiceError(.unavailable, "\(error)")
        }
    }

    // MARK: - Ask

    /// The documents a question is about: one document, a patient's documents by MRN, or the
    /// whole store when it holds one patient.
    public func askScope(patient: String? = nil, document: String? = nil) throws -> [Int64] {
        if let document { return [try self.document(document).id!] }
        let mrns = try mapped { try store.patientMRNs() }
        func key(_ s: String) -> String { s.lowercased().filter { $0.isLetter || $0.isNumber } }
        if let patient {
            let ids = Array(Set(mrns.filter { key($0.mrn) == key(patient) }.map(\.documentId))).sorted()
            guard !ids.isEmpty else { throw ServiceError(.notFound, "no patient with MRN \(patient) in the store") }
            return ids
        }
        let patients = Set(mrns.map { key($0.mrn) })
        guard patients.count <= 1 else {
            throw ServiceError(.invalid, "the store holds \(patients.count) patients: give a patient MRN or a document")
        }
        return try documents().compactMap(\.id)
    }

    /// Answers a question from the scope's facts (reviewed values included, rejected ones and
    /// unreviewed alternatives left out) and page text; with a model client, the model then
    /// writes the answer from what was retrieved, citing it.
    public func ask(_ question: String, scope: [Int64], model: ModelClient? = nil) async throws -> ChartAnswer {
        guard !question.trimmingCharacters(in: .whitespaces).isEmpty else { throw ServiceError(.invalid, "an empty question") }
        let store = self.store
        let facts = try mapped { () -> [ChartFact] in
            let dates = try store.latestEncounterDates()
            var names: [Int64: String] = [:]
            for document in try store.documents() { names[document.id!] = document.fileName }
            return try scope.flatMap { id in
                try store.facts(FactFilter(documentId: id, includeAlternatives: false)).compactMap { f in
                    // Rows the chart schema does not name (none are written) answer nothing.
                    guard let group = FactGroup(rawValue: f.groupName), let field = FactField(rawValue: f.fieldPath),
                          let status = FactStatus(rawValue: f.status), status != .rejected else { return nil }
                    return ChartFact(documentId: f.documentId, fileName: names[f.documentId] ?? "?", documentDate: dates[f.documentId],
                                     group: group, item: f.item, field: field, value: f.normalizedValue ?? "",
                                     page: f.evidencePage, evidence: f.evidenceText, status: status)
                }
            }
        }
        let inScope = Set(scope)
        let answerer = QuestionAnswerer(facts: facts, search: { query in
            let hits = (try? store.search(query, documentId: nil, limit: 50)) ?? []
            return hits.filter { inScope.contains($0.documentId) }.prefix(5).map {
                TextHit(documentId: $0.documentId, document: $0.fileName, page: $0.page, snippet: $0.snippet)
            }
        }, semantic: try semanticLines(scope: scope))
        var answer = answerer.answer(question)
        if let model {
            let extra = ((try? store.search(question, documentId: nil, limit: 20)) ?? []).filter { inScope.contains($0.documentId) }
                .prefix(4).map { Citation(documentId: $0.documentId, document: $0.fileName, page: $0.page, snippet: $0.snippet) }
            answer = await ModelComposer(client: model).compose(question, retrieved: answer, extra: Array(extra))
        }
        return answer
    }

    /// The semantic index's lines for a question, when the index covers the store and the model
    /// is installed (the model is loaded only if the facts do not answer).
    func semanticLines(scope: [Int64]) throws -> (@Sendable (String) -> [(hit: TextHit, cosine: Double)])? {
        let store = self.store
        guard SentenceEmbedder.isInstalled(), try mapped({ try store.indexCoverage(model: SentenceEmbedder.modelName) }).indexed > 0 else {
            return nil
        }
        return { query in
            guard let embedder = try? SentenceEmbedder(),
                  let hits = try? SemanticIndex(store: store, embedder: embedder).search(query, documentIds: scope, limit: 10)
            else { return [] }
            return hits.map { hit -> (hit: TextHit, cosine: Double) in
                (TextHit(documentId: hit.documentId, document: hit.fileName, page: hit.page, snippet: hit.text), Double(hit.cosine))
            }
        }
    }

    // MARK: - Export

    /// The export of `documents` (all when nil): pages with lines and boxes, facts with evidence
    /// and who reviewed them, near-duplicate pages. Recorded in the audit log under `actor`.
    public func export(_ documents: [DocumentRecord]? = nil, actor: String? = nil, detail: String,
                       nearDuplicates: Bool = true) throws -> [ExportedDocument] {
        try mapped {
            let documents = try documents ?? store.documents()
            let duplicates = nearDuplicates ? try NearDuplicates(store: store) : nil
            let hashes = try [Int64: String](store.documents().map { ($0.id!, $0.sha256) }, uniquingKeysWith: { a, _ in a })
            let exported = try documents.map { document in
                var doc = try store.exportDocument(document)
                let matches = duplicates?.matches(of: document.id!) ?? []
                for i in doc.pages.indices {
                    let here = matches.filter { $0.page == doc.pages[i].number }
                    if !here.isEmpty {
                        doc.pages[i].nearDuplicates = here.map {
                            ExportedNearDuplicate(documentSha256: hashes[$0.otherDocument] ?? "", fileName: $0.otherFile,
                                                  page: $0.otherPage, cosine: Double($0.cosine))
                        }
                    }
                }
                return doc
            }
            try store.audit("export", documentId: documents.count == 1 ? documents[0].id : nil,
                            detail: detail + (actor.map { " by \($0)" } ?? ""))
            return exported
        }
    }

    /// FHIR R4 bundles, one per patient (docs/fhir.md), of `documents` (all when nil), or of the
    /// patient with this MRN only. Audited like any export.
    public func exportFHIR(_ documents: [DocumentRecord]? = nil, patient: String? = nil, verifiedOnly: Bool = false,
                           actor: String? = nil, detail: String) throws -> [FHIRBundle] {
        // FHIR carries no page-to-page matches: the semantic index is not read.
        let exported = try export(documents, actor: actor, detail: detail, nearDuplicates: false)
        let timestamp = ISO8601DateFormatter().string(from: Date())
        var bundles = FHIRExporter(options: .init(verifiedOnly: verifiedOnly, timestamp: timestamp)).bundles(exported)
        if let patient {
            let mrn = FHIRExporter.normalizedMRN(patient)
            bundles = bundles.filter { $0.mrn == mrn }
            guard !bundles.isEmpty else { throw ServiceError(.notFound, "no chart with MRN \(patient)") }
        }
        return bundles
    }

    // MARK: - Intake

    /// Queues a file already on disk (skipping one whose bytes are stored already).
    public func enqueue(_ path: RawPath) throws -> EnqueueResult {
        let (sha, size): (String, Int64)
        do {
            (sha, size) = try FileIntake.digest(path)
        } catch {
            throw ServiceError(.inputFailed, "\(error)")
        }
        return try mapped {
            try store.enqueue(path: path.uri, displayPath: path.display, fileName: path.fileName, sha256: sha, size: size)
        }
    }

    /// Keeps an uploaded file in `folder` (mode 0600, named by its sha256, never by anything the
    /// request said) and queues it. Only PDF, TIFF, PNG and JPEG are taken, by their first bytes.
    public func enqueueUpload(_ data: Data, fileName: String, folder: URL) throws -> (result: EnqueueResult, sha256: String) {
        guard let kind = UploadKind(data) else {
            throw ServiceError(.unsupported, "\(fileName): not a PDF, TIFF, PNG or JPEG file")
        }
        let sha = SHA256.hex(of: data)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            let target = folder.appendingPathComponent("\(sha).\(kind.rawValue)")
            if !FileManager.default.fileExists(atPath: target.path) {
                guard FileManager.default.createFile(atPath: target.path, contents: data, attributes: [.posixPermissions: 0o600]) else {
                    throw ServiceError(.internalError, "cannot keep the upload in \(folder.path)")
                }
            }
            // The name people see is the uploaded one, reduced to a plain file name.
            let shown = URL(fileURLWithPath: fileName).lastPathComponent.filter { !$0.isNewline }
            let result = try mapped {
                try store.enqueue(path: RawPath(target.path).uri, displayPath: shown.isEmpty ? target.lastPathComponent : shown,
                                  fileName: shown.isEmpty ? target.lastPathComponent : shown, sha256: sha, size: Int64(data.count))
            }
            return (result, sha)
        }
    }

    // MARK: -

    /// Runs a store call, turning the store's errors into the service's.
    func mapped<T>(_ body: () throws -> T) throws -> T {
        try Self.mapped(body)
    }

    /// Runs one read-only SQL statement on the store at `location` (`chartex sql`). A write or a
    /// statement the database refuses is an `.inputFailed` error carrying the database's message.
    public static func sql(at location: StoreLocation, _ query: String) throws -> (columns: [String], rows: [[SQLValue]]) {
        try mapped { try location.readOnlyQuery(query) }
    }

    static func mapped<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ServiceError {
            throw error
        } catch let error as StorageError {
            switch error {
            case .documentNotFound, .factNotFound: throw ServiceError(.notFound, "\(error)")
            case .ambiguousDocument: throw ServiceError(.notFound, "\(error)")
            case .readOnlyViolation, .sqlFailed: throw ServiceError(.inputFailed, "\(error)")
            default: throw ServiceError(.internalError, "\(error)")
            }
        } catch {
            throw ServiceError(.internalError, "\(error)")
        }
    }
}

/// The file types an upload may be.
enum UploadKind: String {
    case pdf, tiff, png, jpg

    init?(_ data: Data) {
        let head = [UInt8](data.prefix(8))
        if head.starts(with: Array("%PDF-".utf8)) { self = .pdf }
        else if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { self = .tiff }
        else if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { self = .png }
        else if head.starts(with: [0xFF, 0xD8, 0xFF]) { self = .jpg }
        else { return nil }
    }
}
