import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Storage
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `chartex serve` tested as a records team and an integration engineer use it: the real server on
/// a free port, over HTTP, on a store made from Samples/ (OCR with Tesseract, no model), and the
/// review page in headless Chromium (Debian's `chromium`, installed by scripts/setup.sh).
@Suite(.serialized) struct ServeTests {
    @Test(arguments: Backend.allCases)
    func theAPIGuardsTheStoreProcessesUploadsAndRecordsReviews(_ backend: Backend) async throws {
        let scratch = try Scratch(backend)
        #expect(try chartex(["ingest", "--db", scratch.db, "--semantic-index", "off", "Samples/lab-report-200dpi.pdf"],
                            environment: ["OMP_THREAD_LIMIT": "1"]).status == 0)
        let server = try ServeProcess(db: scratch.db, folder: scratch.folder,
                                      extra: ["--worker", "--max-upload-mb", "1", "--semantic-index", "off",
                                              "--upload-folder", scratch.folder.appendingPathComponent("uploads").path])
        let http = HTTP()
        defer { server.kill() }

        // The token file is generated on first start, readable by its owner alone.
        let mode = try FileManager.default.attributesOfItem(atPath: server.tokenFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)

        // /healthz needs no token; everything under /api does, and a wrong one is refused.
        #expect(try await http.call(.GET, server.base + "/healthz").status == 200)
        let anonymous = try await http.call(.GET, server.base + "/api/status")
        #expect(anonymous.status == 401)
        #expect(try anonymous.error()?["kind"] as? String == "unauthorized")
        #expect(try await http.call(.GET, server.base + "/api/status", token: String(repeating: "0", count: 64)).status == 401)
        #expect(try await http.call(.GET, server.base + "/api/facts", token: "not-a-token").status == 401)
        let status = try await http.call(.GET, server.base + "/api/status", token: server.token)
        #expect(status.status == 200)

        // Uploads: over the limit 413, not a chart file 415, a PDF is queued and read by the worker.
        var oversized = Data("%PDF-1.4\n".utf8)
        oversized.append(Data(count: 3 << 19))
        let tooBig = try await http.call(.POST, server.base + "/api/documents?name=big.pdf", token: server.token, body: oversized)
        #expect(tooBig.status == 413)
        let text = try await http.call(.POST, server.base + "/api/documents?name=notes.txt", token: server.token,
                                       body: Data("Patient: nobody\n".utf8))
        #expect(text.status == 415)
        #expect(try text.error()?["exitCode"] as? Int == 65)
        let fax = try Data(contentsOf: root.appendingPathComponent("Samples/med-list-fax.pdf"))
        let upload = try await http.call(.POST, server.base + "/api/documents?name=med-list-fax.pdf", token: server.token, body: fax)
        #expect(upload.status == 202)
        let uploadedId = try #require(try upload.object()["documentId"] as? Int)
        let again = try await http.call(.POST, server.base + "/api/documents?name=copy.pdf", token: server.token, body: fax)
        #expect(again.status == 200, "the same file again is not queued twice")

        var documentStatus = ""
        for _ in 0..<600 where documentStatus != "completed" && documentStatus != "failed" {
            let view = try await http.call(.GET, server.base + "/api/documents/\(uploadedId)", token: server.token)
            documentStatus = (try view.object()["document"] as? [String: Any])?["status"] as? String ?? ""
            if documentStatus != "completed" { try await Task.sleep(for: .milliseconds(300)) }
        }
        #expect(documentStatus == "completed", "the worker read the upload; serve.log:\n\(server.logText)")
        let uploadedFacts = try await http.call(.GET, server.base + "/api/facts?document=\(uploadedId)&group=medications",
                                                token: server.token).array()
        let drugs = uploadedFacts.filter { $0["fieldPath"] as? String == "name" }.compactMap { $0["normalizedValue"] as? String }
        #expect(drugs.contains { $0.lowercased().contains("furosemide") }, "\(drugs)")

        // A page, its words with boxes, and its image.
        let page = try await http.call(.GET, server.base + "/api/documents/1/pages/1", token: server.token).object()
        #expect((page["words"] as? [Any])?.isEmpty == false && (page["text"] as? String)?.isEmpty == false)
        let png = try await http.call(.GET, server.base + "/api/documents/1/pages/1.png?dpi=50", token: server.token)
        #expect(png.status == 200 && png.body.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        #expect(try await http.call(.GET, server.base + "/api/documents/1/pages/9.png", token: server.token).status == 404)
        #expect([400, 404].contains(try await http.call(.GET, server.base + "/api/documents/..%2F..%2Fetc/pages/1", token: server.token).status))

        // Reviews: the queue holds the lab report's uncertain readings; any fact can be decided
        // on (here a lab flag, whose schema allows only H or L, whether or not OCR misread it).
        let queue = try await http.call(.GET, server.base + "/api/review-queue?document=1&group=labs", token: server.token).array()
        let items = queue.compactMap { $0["fact"] as? [String: Any] }
        #expect(!items.isEmpty && items.allSatisfy { $0["status"] as? String == "needs_review" }, "\(items.count) items")
        let labs = try await http.call(.GET, server.base + "/api/facts?document=1&group=labs", token: server.token).array()
        let flag = try #require(labs.first { $0["fieldPath"] as? String == "flag" }, "a lab flag: \(labs.count) lab facts")
        let flagId = try #require(flag["id"] as? Int)
        // A correction its schema refuses (a flag is H or L) is 422 and changes nothing.
        let refused = try await http.call(.POST, server.base + "/api/facts/\(flagId)/review", token: server.token,
                                          json: ["decision": "correct", "value": "very high"])
        #expect(refused.status == 422)
        #expect(try refused.error()?["kind"] as? String == "inputFailed")
        #expect(try await http.call(.POST, server.base + "/api/facts/\(flagId)/review", token: server.token,
                                    json: ["decision": "maybe"]).status == 400)
        #expect(try await http.call(.POST, server.base + "/api/facts/999999/review", token: server.token,
                                    json: ["decision": "accept"]).status == 404)
        let corrected = try await http.call(.POST, server.base + "/api/facts/\(flagId)/review", token: server.token,
                                            json: ["decision": "correct", "value": "L", "note": "checked on paper"])
        #expect(corrected.status == 200)
        let after = try await http.call(.GET, server.base + "/api/facts/\(flagId)", token: server.token).object()
        let fact = try #require(after["fact"] as? [String: Any])
        #expect(fact["normalizedValue"] as? String == "L" && fact["status"] as? String == "verified")
        #expect(fact["extractor"] as? String == "reviewer" && fact["reviewedBy"] as? String == "api")
        #expect((after["reviews"] as? [[String: Any]])?.last?["decision"] as? String == "correct")
        #expect(try scratch.count("SELECT count(*) FROM auditLog WHERE action = 'review' AND osUser = 'api' AND detail LIKE '%fact \(flagId) %'") == 1)
        #expect(try scratch.count("SELECT count(*) FROM review WHERE factId = \(flagId) AND decision = 'correct' AND newValue = 'L'") == 1)

        // The export carries the reviewed value and who reviewed it.
        let export = try await http.call(.GET, server.base + "/api/export?format=ndjson&document=1", token: server.token)
        #expect(export.status == 200)
        let exported = try #require(String(decoding: export.body, as: UTF8.self).split(separator: "\n").first)
        let document = try #require(try JSONSerialization.jsonObject(with: Data(exported.utf8)) as? [String: Any])
        let exportedFacts = (document["facts"] as? [[String: Any]]) ?? []
        #expect(exportedFacts.contains { $0["reviewedBy"] as? String == "api" && $0["value"] as? String == "L" },
                "\(exportedFacts.filter { $0["reviewedBy"] != nil })")

        // The same as FHIR: one patient's Bundle, the reviewed flag final.
        let fhir = try await http.call(.GET, server.base + "/api/export?format=fhir&document=1", token: server.token)
        #expect(fhir.status == 200 && fhir.headers["Content-Type"].first == "application/fhir+json")
        #expect(try fhir.object()["resourceType"] as? String == "Bundle")

        // The browser's way in: a cookie, and a CSRF token on its POSTs.
        let signIn = try await http.call(.GET, server.base + "/review?token=\(server.token)")
        #expect(signIn.status == 303)
        let cookie = try #require(signIn.headers["Set-Cookie"].first)
        #expect(cookie.contains("SameSite=Strict") && cookie.contains("HttpOnly"))
        let pair = String(cookie.split(separator: ";")[0])
        let session = try await http.call(.GET, server.base + "/api/session", headers: [("Cookie", pair)]).object()
        let csrf = try #require(session["csrf"] as? String)
        let target = try #require(items.first { ($0["id"] as? Int) != flagId }?["id"] as? Int)
        #expect(try await http.call(.POST, server.base + "/api/facts/\(target)/review", headers: [("Cookie", pair)],
                                    json: ["decision": "reject"]).status == 403)
        #expect(try await http.call(.POST, server.base + "/api/facts/\(target)/review",
                                    headers: [("Cookie", pair), ("X-CSRF-Token", csrf)], json: ["decision": "reject"]).status == 200)

        // The OpenAPI document validates as OpenAPI 3.
        let spec = try await http.call(.GET, server.base + "/openapi.json")
        #expect(spec.status == 200)
        let specFile = scratch.folder.appendingPathComponent("openapi.json")
        try spec.body.write(to: specFile)
        let validated = try runTool(corpusPython, ["-c", "import json, sys; from openapi_spec_validator import validate; "
                                                   + "validate(json.load(open(sys.argv[1]))); print('valid')", specFile.path])
        #expect(validated.status == 0 && validated.output.contains("valid"), "\(validated.output)")

        // The access log names paths, never query strings (they carry questions and search text).
        _ = try await http.call(.GET, server.base + "/api/search?q=secretword", token: server.token)
        #expect(server.terminate() == 0, "SIGTERM ends the server cleanly; serve.log:\n\(server.logText)")
        #expect(!server.logText.contains("secretword") && !server.logText.contains(server.token))
    }

    @Test func theReviewPageAcceptsAndCorrectsFactsInABrowser() async throws {
        let scratch = try Scratch()
        #expect(try chartex(["ingest", "--db", scratch.db, "--semantic-index", "off", "Samples/lab-report-200dpi.pdf"],
                            environment: ["OMP_THREAD_LIMIT": "1"]).status == 0)
        let pending = try scratch.count("SELECT count(*) FROM fact WHERE status = 'needs_review'")
        try #require(pending >= 2, "the lab report has facts to review")
        let server = try ServeProcess(db: scratch.db, folder: scratch.folder, extra: ["--semantic-index", "off"])
        defer { server.kill() }

        let artefacts = root.appendingPathComponent(".build/test-artifacts")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let screenshot = artefacts.appendingPathComponent("review.png")
        try? FileManager.default.removeItem(at: screenshot)
        let driven = try runTool(URL(fileURLWithPath: "/usr/bin/python3"),
                                 [root.appendingPathComponent("scripts/review_browser_test.py").path,
                                  "--base", server.base, "--token", server.token, "--screenshot", screenshot.path])
        try #require(driven.status == 0, "the browser run: \(driven.output)")
        let line = try #require(driven.output.split(separator: "\n").last { $0.hasPrefix("{") })
        let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        let accepted = try #require(result["accepted"] as? Int), corrected = try #require(result["corrected"] as? Int)
        let value = try #require(result["value"] as? String)

        // What the page did is in the store: decisions, reviewer, values, audit rows.
        #expect(try scratch.strings("SELECT status || ' ' || extractor || ' ' || reviewedBy FROM fact WHERE id = \(accepted)")
                == ["verified reviewer api"])
        #expect(try scratch.strings("SELECT decision FROM review WHERE factId = \(accepted)") == ["accept"])
        #expect(try scratch.strings("SELECT status || ' ' || normalizedValue FROM fact WHERE id = \(corrected)")
                == ["verified \(value)"])
        #expect(try scratch.strings("SELECT decision FROM review WHERE factId = \(corrected)") == ["correct"])
        #expect(try scratch.count("SELECT count(*) FROM auditLog WHERE action = 'review'") >= 2)

        // The screenshot shows the page with the evidence box on the image.
        let png = try Data(contentsOf: screenshot)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 20_000)
        let box = try #require(result["evidenceBox"] as? [String: Double])
        #expect((box["width"] ?? 0) > 4 && (box["height"] ?? 0) > 2 && (box["width"] ?? 0) < (box["imageWidth"] ?? 0))
        #expect(server.terminate() == 0)
    }

    @Test(arguments: Backend.allCases) func theReviewCommandsDecideLikeTheAPI(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        #expect(try chartex(["ingest", "--db", scratch.db, "--semantic-index", "off", "Samples/lab-report-200dpi.pdf"],
                            environment: ["OMP_THREAD_LIMIT": "1"]).status == 0)
        let listed = try chartex(["review", "list", "--db", scratch.db, "--json"])
        #expect(listed.status == 0)
        let items = try #require(try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
        let facts = items.compactMap { $0["fact"] as? [String: Any] }
        #expect(facts.count == (try scratch.count("SELECT count(*) FROM fact WHERE status = 'needs_review'")) && facts.count >= 2)
        // A lab flag (H or L by its schema), in the queue or not, and another fact from the queue.
        let labs = try chartex(["facts", "--db", scratch.db, "--group", "labs", "--json"])
        let labFacts = try #require(try JSONSerialization.jsonObject(with: Data(labs.stdout.utf8)) as? [[String: Any]])
        let flag = try #require(labFacts.first { $0["fieldPath"] as? String == "flag" }?["id"] as? Int)
        let other = try #require(facts.first { ($0["id"] as? Int) != flag }?["id"] as? Int)

        let refused = try chartex(["review", "correct", "--db", scratch.db, String(flag), "very high"])
        #expect(refused.status == 65 && refused.stderr.contains("flag"), "\(refused.stderr)")
        #expect(try chartex(["review", "accept", "--db", scratch.db, "999999"]).status == 66)
        #expect(try chartex(["review", "correct", "--db", scratch.db, String(flag), "H", "--note", "as printed"]).status == 0)
        #expect(try chartex(["review", "reject", "--db", scratch.db, String(other)]).status == 0)
        let user = ProcessInfo.processInfo.environment["USER"] ?? NSUserName()
        #expect(try scratch.strings("SELECT status || ' ' || normalizedValue || ' ' || reviewedBy FROM fact WHERE id = \(flag)")
                == ["verified H \(user)"])
        #expect(try scratch.strings("SELECT status FROM fact WHERE id = \(other)") == ["rejected"])
        #expect(try scratch.count("SELECT count(*) FROM auditLog WHERE action = 'review' AND osUser = '\(user)'") == 2)

        // `chartex facts` shows the reviewed value (a re-extraction keeping it: ReviewStorageTests).
        let listedFacts = try chartex(["facts", "--db", scratch.db, "--group", "labs"])
        #expect(listedFacts.status == 0)
        #expect(listedFacts.stdout.split(separator: "\n").contains { $0.hasPrefix("\(flag)\t") && $0.contains("\tH") && $0.contains("reviewer") },
                "\(listedFacts.stdout)")
    }
}

/// The Python of the corpus tools (scripts/setup-corpus.sh), which has openapi-spec-validator.
var corpusPython: URL {
    let cache = ProcessInfo.processInfo.environment["CHARTEX_CACHE"]
        ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/chartex").path
    return URL(fileURLWithPath: "\(cache)/venv-corpus/bin/python")
}

/// Runs a tool to its end, stdout and stderr together.
func runTool(_ executable: URL, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = root
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// A `chartex serve` on a free port (`--port 0`; the port is read from its stderr).
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let log: URL
    let tokenFile: String
    let base: String
    let token: String

    init(db: String, folder: URL, extra: [String]) throws {
        log = folder.appendingPathComponent("serve.log")
        tokenFile = folder.appendingPathComponent("config/token").path
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = root.appendingPathComponent(".build/debug/chartex")
        process.arguments = ["serve", "--db", db, "--port", "0", "--token-file", tokenFile] + extra
        process.currentDirectoryURL = root
        process.environment = ProcessInfo.processInfo.environment.merging(["OMP_THREAD_LIMIT": "1"]) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        var address: String?
        let log = self.log, process = self.process
        _ = waitUntil(timeout: 60) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"http://127\.0\.0\.1:[0-9]+"#, options: .regularExpression) {
                address = String(text[range])
                return true
            }
            return !process.isRunning
        }
        guard let address else {
            process.terminate()
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "chartex serve did not start: "
                                                          + ((try? String(contentsOf: log, encoding: .utf8)) ?? "")])
        }
        base = address
        token = try String(contentsOfFile: tokenFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// SIGTERM, then its exit status (SIGKILL after 60 s, reported as -1).
    func terminate() -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        Glibc.kill(process.processIdentifier, SIGTERM)
        let process = self.process
        guard waitUntil(timeout: 60, { !process.isRunning }) else {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    func kill() {
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// One client for the test process that follows no redirects (a global, like `HTTPClient.shared`:
/// never deinitialised, so it needs no shutdown however a test ends).
let noRedirectClient = HTTPClient(eventLoopGroupProvider: .singleton,
                                  configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

/// A small HTTP client over AsyncHTTPClient.
struct HTTP {
    var client: HTTPClient { noRedirectClient }

    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: Data

        func object() throws -> [String: Any] {
            try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any], "\(status): \(String(decoding: body, as: UTF8.self))")
        }

        func array() throws -> [[String: Any]] {
            try #require(try JSONSerialization.jsonObject(with: body) as? [[String: Any]], "\(status): \(String(decoding: body, as: UTF8.self))")
        }

        func error() throws -> [String: Any]? {
            try object()["error"] as? [String: Any]
        }
    }

    func call(_ method: HTTPMethod, _ url: String, token: String? = nil, headers: [(String, String)] = [],
              body: Data? = nil, json: [String: String]? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        } else if let body {
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        let response = try await client.execute(request, timeout: .seconds(120))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView))
    }
}
