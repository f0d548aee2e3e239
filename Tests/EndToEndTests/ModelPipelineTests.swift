import Foundation
import ModelClient
import PDFRendering
import TestSupport
import Testing
import Validation

#if canImport(Glibc)
import Glibc
#endif

/// A model that fails in every way a server can: the documents still complete with the rules'
/// facts, each failed request is recorded, and nothing the model sent is stored.
@Suite struct ModelFaultPipelineTests {
    @Test(arguments: ["500-always", "429-always", "slow", "truncated", "invalid", "violates", "oversized", "drop"])
    func aFailingModelLeavesTheRulesFactsAndRecordsEveryAttempt(scenario: String) throws {
        let server = try FakeModelServer(["--scenario", scenario, "--slow", "3"])
        let scratch = try Scratch()
        let result = try chartex(["ingest", "--db", scratch.db, "--model-url", server.endpoint, "--extractor", "hybrid",
                                  "Samples/med-list-fax.pdf", "Samples/discharge-summary-born-digital.pdf"],
                                 environment: ["CHARTEX_MODEL_RETRIES": "1", "CHARTEX_MODEL_TIMEOUT": "1"])
        #expect(result.status == 0, "\(scenario): \(result.stderr)")
        #expect(try scratch.count("SELECT count(*) FROM document WHERE status = 'completed'") == 2, "\(scenario)")
        let attempts = try scratch.count("SELECT count(*) FROM extraction WHERE extractor = 'model'")
        #expect(attempts >= 4, "one request per page section")
        #expect(try scratch.count("SELECT count(*) FROM extraction WHERE extractor = 'model' AND status = 'failed'") == attempts,
                "\(scenario): every attempt recorded as failed")
        #expect(try scratch.count("SELECT count(*) FROM extraction WHERE status = 'failed' AND (error IS NULL OR error = '')") == 0)
        #expect(try scratch.count("SELECT count(*) FROM fact WHERE extractor LIKE '%model%'") == 0, "\(scenario): nothing from the model stored")
        #expect(try scratch.count("SELECT count(*) FROM fact WHERE extractor = 'rules' AND status = 'verified'") > 40)
    }
}

/// Shutdown while documents wait for a slow model: requests are cancelled, chartex exits at
/// once, and the documents go back to the queue (finished later by another worker).
@Suite struct ModelShutdownTests {
    @Test func sigtermCancelsModelRequestsAndRequeues() throws {
        let server = try FakeModelServer(["--latency", "60", "--slots", "4"])
        let scratch = try Scratch()
        let worker = try launch(["ingest", "--db", scratch.db, "--model-url", server.endpoint, "--extractor", "hybrid",
                                 "Samples/med-list-fax.pdf"])
        // The page is read and stored; its requests are with the (60 s) model.
        #expect(waitUntil(timeout: 60) { (try? scratch.count("SELECT count(*) FROM page")) == 1 })
        Thread.sleep(forTimeInterval: 1)
        let stopped = Date()
        kill(worker.processIdentifier, SIGTERM)
        worker.waitUntilExit()
        #expect(Date().timeIntervalSince(stopped) < 15, "did not wait for the model's 60 s")
        #expect(worker.terminationStatus == 0)
        #expect(try scratch.count("SELECT count(*) FROM job WHERE state = 'pending' AND leaseOwner IS NULL") == 1)
        #expect(try scratch.count("SELECT count(*) FROM fact") == 0)
        #expect(try scratch.count("SELECT count(*) FROM page") == 1, "the page read stays")
    }
}

/// `chartex ask` with a model configured, against the fake server (the protocol, and the guard
/// that keeps an unsupported answer out).
@Suite struct AskWithModelProtocolTests {
    @Test func anAnswerThatCitesNothingIsNotUsed() async throws {
        let scratch = try Scratch()
        #expect(try chartex(["ingest", "--db", scratch.db, "--extractor", "rules", "Samples/packet-nguyen.pdf"]).status == 0)
        let server = try FakeModelServer()
        // The fake model answers "x", citing nothing, without the facts' 6.82: the facts' answer stands, with a note.
        let result = try chartex(["ask", "--db", scratch.db, "--json", "--model-url", server.endpoint, "What is his latest TSH?"])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try JSONValue(parsing: Data(result.stdout.utf8))
        #expect(answer["answer"]?.stringValue?.contains("6.82") == true)
        #expect(answer["composer"] == "rules")
        #expect(answer["note"]?.stringValue?.contains("differs from the chart's facts") == true)
        #expect((answer["citations"]?.arrayValue?.count ?? 0) >= 1)

        // Describing a page: a vision model gets the page image and its answer cites the page.
        let vision = try FakeModelServer(["--vision"])
        let described = try chartex(["ask", "--db", scratch.db, "--json", "--model-url", vision.endpoint,
                                     "--document", "packet-nguyen.pdf", "--page", "1", "Describe this page"])
        #expect(described.status == 0, "\(described.stderr)")
        let request = try #require(try await vision.requests().last)
        let parts = request["body"]?["messages"]?.arrayValue?.first?["content"]?.arrayValue ?? []
        #expect(parts.contains { $0["type"] == "image_url" }, "the page image was sent")
        let page = try JSONValue(parsing: Data(described.stdout.utf8))
        #expect(page["citations"]?.arrayValue?.first?["page"] == 1)

        // No model configured: says so, exits 69.
        let none = try chartex(["ask", "--db", scratch.db, "--document", "packet-nguyen.pdf", "--page", "1", "Describe this page"])
        #expect(none.status == 69)
        #expect(none.stderr.contains("needs a vision model"))
    }
}

/// The real llama-server with the local model that scripts/setup-model.sh installs.
@Suite(.serialized) struct ModelIntegrationTests {
    func endpoint() async throws -> String { try await SharedLocalModel.instance.endpoint() }

    @Test func constrainedOutputValidates() async throws {
        let client = ModelClient(configuration: ModelConfiguration(endpoint: try await endpoint()), endpoint: try await endpoint())
        let schema: JSONValue = [
            "type": "object", "additionalProperties": false, "required": ["name", "dose", "unit", "frequency"],
            "properties": ["name": ["type": "string"], "dose": ["type": "number"], "unit": ["type": "string"],
                           "frequency": ["type": "string"]],
        ]
        let filled = try await client.fill(ModelPrompt(text: """
            Extract the medication from this line as JSON with name, dose, unit and frequency.
            Metformin 500 mg PO BID
            """), schema: schema)
        await client.shutdown()
        #expect(JSONSchemaValidator(schema: schema).isValid(filled.value))
        #expect(filled.value["name"]?.stringValue?.lowercased().contains("metformin") == true)
        #expect(filled.value["dose"] == 500)
    }

    @Test func aSamplePageGivesGroundedFacts() async throws {
        let result = try chartex(["extract", "--extractor", "model", "--model-url", try await endpoint(), "Samples/med-list-fax.pdf"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = try result.stdout.split(separator: "\n").map { try JSONValue(parsing: Data($0.utf8)) }
        let verified = facts.filter { $0["status"] == "verified" }
        #expect(verified.count >= 5, "\(facts.count) facts, \(verified.count) verified")
        #expect(verified.contains { $0["group"] == "medications" && $0["field"] == "name" })
        let page = try chartex(["ocr", "Samples/med-list-fax.pdf"]).stdout
        let folded = Self.fold(page)
        for fact in verified {
            #expect(fact["bbox"]?.arrayValue?.count == 4, "a verified fact has its box")
            let raw = fact["raw"]?.stringValue ?? ""
            // Dates are grounded by their value (03/11/2026 on the page, 2026-03-11 from the model): GrounderTests.
            if !["date", "birthDate", "endDate", "onset"].contains(fact["field"]?.stringValue ?? "") {
                #expect(folded.contains(Self.fold(raw)), "verified \(raw) is on the page")
            }
            #expect(fact["grounded"] == true)
        }
        for fact in facts where fact["grounded"] == false {
            #expect(fact["status"] == "needs_review")
        }
    }

    @Test func anImageSentToATextOnlyModelFallsBackToText() async throws {
        let endpoint = try await endpoint()
        let document = try PDFDocument(url: packageRoot.appendingPathComponent("Samples/referral-rotated.pdf"))
        let png = try document.page(1).pngData(maxPixels: 896)
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let schema: JSONValue = ["type": "object", "required": ["title"], "properties": ["title": ["type": "string"]]]
        let prompt = ModelPrompt(text: "What is the title of this page? JSON with title.", images: [ModelImage(data: png)])

        var forced = ModelConfiguration(endpoint: endpoint)
        forced.vision = .on
        let strict = ModelClient(configuration: forced, endpoint: endpoint)
        do {
            _ = try await strict.fill(prompt, schema: schema)
            Issue.record("the text-only server took an image")
        } catch let error as ModelError {
            guard case .visionUnsupported = error else { Issue.record("unexpected \(error)"); return }
        }
        await strict.shutdown()

        let client = ModelClient(configuration: ModelConfiguration(endpoint: endpoint), endpoint: endpoint)
        #expect(await client.canSendImages() == false, "/props says the model has no vision")
        let filled = try await client.fill(prompt, schema: schema)
        await client.shutdown()
        #expect(!filled.reply.sentImages)
    }

    @Test func modelCheckReportsTheServer() async throws {
        let result = try chartex(["model", "check", "--json", "--model-url", try await endpoint()])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try JSONValue(parsing: Data(result.stdout.utf8))
        #expect(report["reachable"] == true)
        #expect(report["vision"] == false)
        #expect(report["dialectWorks"] == true)
        let down = try chartex(["model", "check", "--model-url", "http://127.0.0.1:9"])
        #expect(down.status == 69)
    }

    /// Hybrid on a sample with the local model started by chartex itself: F1 at least the
    /// rules', no verified model value absent from its page, and the server gone afterwards.
    /// (One page: the 0.5B model on 2 cores needs about a minute a page; on all of Samples/ the
    /// main job's --model-all measures the same.)
    @Test func hybridIsAtLeastAsGoodAsTheRulesAndGrounded() throws {
        let files = ["Samples/med-list-fax.pdf"]
        let hybrid = try Scratch(), rules = try Scratch()
        let before = Self.llamaServers()
        let run = try chartex(["ingest", "--db", hybrid.db, "--local-model", "--extractor", "hybrid"] + files)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Self.llamaServers() == before, "the llama-server chartex started is stopped when it exits")
        #expect(try hybrid.count("SELECT count(*) FROM extraction WHERE extractor = 'model' AND status = 'succeeded'") >= 2)
        #expect(try hybrid.count("SELECT count(*) FROM fact WHERE extractor = 'rules+model'") >= 5, "the model agrees with the rules somewhere")
        #expect(try chartex(["ingest", "--db", rules.db, "--extractor", "rules"] + files).status == 0)

        func score(_ scratch: borrowing Scratch) throws -> (f1: Double, output: String, status: Int32) {
            let export = scratch.folder.appendingPathComponent("export.json").path
            #expect(try chartex(["export", "--db", scratch.db, "--format", "json", "--out", export]).status == 0)
            let (status, text) = try python(["scripts/evaluate_facts.py", "--export", export, "--check-grounding",
                                             "--files", files.map { ($0 as NSString).lastPathComponent }.joined(separator: ",")])
            let line = text.split(separator: "\n").first { $0.hasPrefix("all fields") } ?? ""
            return (Double(line.split(separator: " ").last ?? "") ?? 0, text, status)
        }
        let h = try score(hybrid), r = try score(rules)
        #expect(h.status == 0, "\(h.output)")
        #expect(h.output.contains("verified facts whose value is not on their page: 0"))
        #expect(r.f1 > 0.8)
        #expect(h.f1 >= r.f1, "hybrid \(h.f1) vs rules \(r.f1)\n\(h.output)")
    }

    @Test func askComposesACitedAnswerOrKeepsTheRetrievalOne() async throws {
        let scratch = try Scratch()
        #expect(try chartex(["ingest", "--db", scratch.db, "--extractor", "rules", "Samples/packet-nguyen.pdf"]).status == 0)
        let url = try await endpoint()
        let result = try chartex(["ask", "--db", scratch.db, "--json", "--model-url", url, "What is his latest TSH?"])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try JSONValue(parsing: Data(result.stdout.utf8))
        #expect(answer["answer"]?.stringValue?.contains("6.82") == true, "\(result.stdout)")
        #expect((answer["citations"]?.arrayValue?.count ?? 0) >= 1)
        #expect(answer["composer"] == "model" || answer["note"] != nil, "either the model composed it or we say why not")

        let missing = try chartex(["ask", "--db", scratch.db, "--json", "--model-url", url, "What is his blood type?"])
        #expect(try JSONValue(parsing: Data(missing.stdout.utf8))["answer"] == "not stated")

        // A text-only model cannot describe a page image: said clearly, exit 69.
        let page = try chartex(["ask", "--db", scratch.db, "--model-url", url, "--document", "packet-nguyen.pdf", "--page", "1",
                                "Describe this page"])
        #expect(page.status == 69)
        #expect(page.stderr.contains("cannot take images"))
    }

    static func fold(_ text: String) -> String {
        let lowered = text.lowercased().replacingOccurrences(of: "rn", with: "m")
        return String(lowered.compactMap { ch -> Character? in
            guard ch.isLetter || ch.isNumber else { return nil }
            switch ch {
            case "o": return "0"
            case "l", "i": return "1"
            case "s": return "5"
            case "b": return "8"
            default: return ch
            }
        })
    }

    /// llama-server processes running now.
    static func llamaServers() -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.filter { pid in
            guard Int(pid) != nil, let cmd = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: cmd.prefix(4096), as: UTF8.self).split(separator: "\0").first?.hasSuffix("llama-server") == true
        }.count
    }
}

/// One llama-server for the model suites, started on first use (its watchdog stops it when
/// the test process ends). An actor, so that no test thread blocks waiting for it.
actor SharedLocalModel {
    static let instance = SharedLocalModel()
    private var server: LocalModelServer?

    func endpoint() async throws -> String {
        if let server { return server.endpoint }
        guard let local = LocalModelServer.defaultConfiguration() else {
            throw ModelError.configuration("no local model installed: run scripts/setup-model.sh")
        }
        let server = LocalModelServer(configuration: local)
        try await server.start()
        self.server = server
        return server.endpoint
    }
}
