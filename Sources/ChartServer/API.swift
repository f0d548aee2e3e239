import Answering
import ChartService
import FHIRExport
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Storage

/// The routes. Every id in a path is a number: nothing from a request names a file.
struct API: Sendable {
    let service: ChartService
    let options: ServerOptions
    let tokens: TokenRing
    let cache: PNGCache

    func register(on router: Router<BasicRequestContext>) {
        router.get("/healthz") { _, _ in JSONResponse.make(["status": "ok"]) }
        router.get("/openapi.json") { _, _ in try asset("openapi.json", type: "application/json") }
        router.get("/review") { _, _ in try asset("review.html", type: "text/html; charset=utf-8") }
        router.get("/assets/review.js") { _, _ in try asset("review.js", type: "text/javascript; charset=utf-8") }
        router.get("/assets/review.css") { _, _ in try asset("review.css", type: "text/css; charset=utf-8") }

        router.get("/api/session") { request, _ in
            let name = user(request)
            let entry = tokens.entries.first { $0.name == name }
            return JSONResponse.make(["user": name, "csrf": entry?.csrf ?? ""])
        }
        router.get("/api/status") { _, _ in
            let service = self.service
            return JSONResponse.make(try await run { try service.status() })
        }
        router.get("/api/documents") { _, _ in
            let service = self.service
            return JSONResponse.make(try await run { try service.documents() })
        }
        router.get("/api/documents/:id") { _, context in
            let id = try number(context, "id"), service = self.service
            return JSONResponse.make(try await run { try service.documentView(try service.document(id: id), includeText: false) })
        }
        router.get("/api/documents/:id/pages/:page") { request, context in
            let id = try number(context, "id"), service = self.service
            let raw = try context.parameters.require("page")
            if raw.hasSuffix(".png") {
                guard let page = Int(raw.dropLast(4)), page > 0 else { throw APIError(400, "invalid", "a page is a number") }
                let dpi = try request.uri.queryParameters["dpi"].map {
                    guard let value = Double(String($0)) else { throw APIError(400, "invalid", "dpi is a number") }
                    return value
                } ?? 100
                let key = "\(id)/\(page)/\(dpi)"
                if let cached = await cache.get(key) { return JSONResponse.bytes(cached, type: "image/png", cache: "private, max-age=3600") }
                let png = try await run { try service.pageImage(documentId: id, number: page, dpi: dpi) }
                await cache.put(key, png)
                return JSONResponse.bytes(png, type: "image/png", cache: "private, max-age=3600")
            }
            guard let page = Int(raw), page > 0 else { throw APIError(400, "invalid", "a page is a number") }
            return JSONResponse.make(try await run { try service.pageView(documentId: id, number: page) })
        }
        router.post("/api/documents") { request, _ in
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: options.maxUploadBytes)
            } catch is NIOTooManyBytesError {
                throw APIError(413, "invalid", "the upload is larger than \(options.maxUploadBytes) bytes (chartex serve --max-upload-mb)")
            }
            guard buffer.readableBytes > 0 else { throw APIError(400, "invalid", "an empty upload") }
            let name = request.uri.queryParameters["name"].map(String.init)
                ?? request.headers[HTTPField.Name("X-File-Name")!] ?? "upload"
            let data = Data(buffer.readableBytesView), service = self.service, folder = options.uploadFolder
            let (result, sha) = try await run { try service.enqueueUpload(data, fileName: name, folder: folder) }
            switch result {
            case .queued(let id):
                return JSONResponse.make(UploadReply(documentId: id, sha256: sha, status: "queued"), status: .accepted)
            case .duplicate(let id, let status):
                return JSONResponse.make(UploadReply(documentId: id, sha256: sha, status: "already imported (\(status.rawValue))"))
            }
        }

        router.get("/api/facts") { request, _ in
            let q = request.uri.queryParameters, service = self.service
            var filter = FactFilter(group: q["group"].map(String.init), status: q["status"].map(String.init),
                                    reason: q["reason"].map(String.init))
            if let document = q["document"] { filter.documentId = try parse(document, "document") }
            filter.limit = try q["limit"].map { Int(try parse($0, "limit")) } ?? 1000
            filter.offset = try q["offset"].map { Int(try parse($0, "offset")) } ?? 0
            guard (1...10_000).contains(filter.limit ?? 0), filter.offset >= 0 else {
                throw APIError(400, "invalid", "limit is 1 to 10000, offset 0 or more")
            }
            let query = filter
            return JSONResponse.make(try await run { try service.facts(query) })
        }
        router.get("/api/facts/:id") { _, context in
            let id = try number(context, "id"), service = self.service
            return JSONResponse.make(try await run { FactDetail(fact: try service.fact(id: id), reviews: try service.reviews(factId: id)) })
        }
        router.get("/api/review-queue") { request, _ in
            let q = request.uri.queryParameters, service = self.service
            let document = try q["document"].map { try parse($0, "document") }
            let group = q["group"].map(String.init), reason = q["reason"].map(String.init)
            return JSONResponse.make(try await run { try service.reviewQueue(documentId: document, group: group, reason: reason) })
        }
        router.post("/api/facts/:id/review") { request, context in
            let id = try number(context, "id"), service = self.service
            let body = try await decode(ReviewRequest.self, request)
            guard let decision = ReviewDecision(rawValue: body.decision) else {
                throw APIError(400, "invalid", "decision is accept, correct or reject")
            }
            let reviewer = user(request)
            return JSONResponse.make(try await run {
                try service.review(factId: id, decision: decision, value: body.value, note: body.note, reviewer: reviewer)
            })
        }
        router.post("/api/ask") { request, _ in
            let body = try await decode(AskRequest.self, request), service = self.service, model = options.model
            let scope = try await run { try service.askScope(patient: body.patient, document: body.document) }
            let client = body.noModel == true ? nil : model
            return JSONResponse.make(try await withDeadline(options.requestTimeout) {
                try await service.ask(body.question, scope: scope, model: client)
            })
        }
        router.get("/api/search") { request, _ in
            let q = request.uri.queryParameters, service = self.service
            guard let text = q["q"].map(String.init), !text.isEmpty else { throw APIError(400, "invalid", "search needs q") }
            let document = try q["document"].map { try parse($0, "document") }
            let limit = try q["limit"].map { Int(try parse($0, "limit")) } ?? 20
            if q["semantic"] == "true" || q["semantic"] == "1" {
                return JSONResponse.make(try await run { try service.semanticSearch(text, documentId: document, limit: limit) })
            }
            return JSONResponse.make(try await run { try service.search(text, documentId: document, limit: limit) })
        }
        router.get("/api/export") { request, _ in
            let q = request.uri.queryParameters, service = self.service
            let format = q["format"].map(String.init) ?? "json"
            guard ["json", "ndjson", "fhir"].contains(format) else { throw APIError(400, "invalid", "format is json, ndjson or fhir") }
            let document = try q["document"].map { try parse($0, "document") }
            let actor = user(request)
            if format == "fhir" {
                // One patient's Bundle as application/fhir+json; several, one Bundle per line.
                let patient = q["patient"].map(String.init), verifiedOnly = q["verifiedOnly"] == "true"
                let bundles = try await run {
                    try service.exportFHIR(document.map { [try service.document(id: $0)] }, patient: patient,
                                           verifiedOnly: verifiedOnly, actor: "\(actor) (API)", detail: "fhir over the API")
                }
                return JSONResponse.bytes(try FHIRBundle.data(bundles, pretty: false),
                                          type: bundles.count == 1 ? "application/fhir+json" : "application/fhir+ndjson")
            }
            let exported = try await run {
                try service.export(document.map { [try service.document(id: $0)] }, actor: "\(actor) (API)",
                                   detail: "\(format) over the API")
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if format == "ndjson" {
                var data = Data()
                for document in exported {
                    data.append(try encoder.encode(document))
                    data.append(0x0A)
                }
                return JSONResponse.bytes(data, type: "application/x-ndjson")
            }
            let envelope = ExportEnvelope(exportedAt: ISO8601DateFormatter().string(from: Date()), documents: exported)
            return JSONResponse.bytes(try encoder.encode(envelope), type: "application/json")
        }
    }

    /// Who the request's token is.
    func user(_ request: Request) -> String {
        Guard.authenticate(request, tokens: tokens)?.name ?? "api"
    }

    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await offload(timeout: options.requestTimeout, body)
    }

    func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: options.maxJSONBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(413, "invalid", "the request body is larger than \(options.maxJSONBytes) bytes")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError(400, "invalid", "the body is not the JSON this takes: \(error)")
        }
    }
}

/// A static file of the review page, from the module's Assets.
func asset(_ name: String, type: String) throws -> Response {
    guard let url = Bundle.module.url(forResource: "Assets", withExtension: nil)?.appendingPathComponent(name),
          let data = try? Data(contentsOf: url) else {
        throw APIError(500, "internalError", "the chartex installation has no \(name)")
    }
    return JSONResponse.bytes(data, type: type, cache: "no-cache")
}

func number(_ context: BasicRequestContext, _ name: String) throws -> Int64 {
    try parse(context.parameters.get(name) ?? "", name)
}

func parse(_ text: some StringProtocol, _ name: String) throws -> Int64 {
    guard let value = Int64(String(text)), value >= 0 else { throw APIError(400, "invalid", "\(name) is a number") }
    return value
}

struct ReviewRequest: Decodable {
    var decision: String
    var value: String?
    var note: String?
}

struct AskRequest: Decodable {
    var question: String
    var patient: String?
    var document: String?
    var noModel: Bool?
}

struct UploadReply: Encodable {
    var documentId: Int64
    var sha256: String
    var status: String
}

struct FactDetail: Encodable {
    var fact: FactRecord
    var reviews: [ReviewRecord]
}

struct ExportEnvelope: Encodable {
    var format = "chartex-export"
    var version = 1
    var exportedAt: String
    var documents: [ExportedDocument]
}
