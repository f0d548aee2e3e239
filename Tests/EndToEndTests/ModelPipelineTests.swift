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

    /// `--extractor model` alone: every verified value is on the page, and the model must have
    /// read most of the list's drugs (by name, against the generator's truth) — a model that
    /// reads nothing, or the wrong thing, fails here.
    @Test func aSamplePageGivesGroundedFacts() async throws {
        let result = try chartex(["extract", "--extractor", "model", "--model-url", try await endpoint(),
                                  "--model-timeout", String(await SharedLocalModel.instance.requestTimeout()),
                                  "Samples/med-list-fax.pdf"])
        #expect(result.status == 0, "\(result.stderr)")
        let facts = try result.stdout.split(separator: "\n").map { try JSONValue(parsing: Data($0.utf8)) }
        let verified = facts.filter { $0["status"] == "verified" }
        #expect(verified.count >= 5, "\(facts.count) facts, \(verified.count) verified")
        let names = Set(verified.filter { $0["group"] == "medications" && $0["field"] == "name" }
            .compactMap { $0["value"]?.stringValue?.lowercased() })
        let expected = try Self.expectedMedicationNames("med-list-fax")
        let found = expected.filter { drug in names.contains { $0.hasPrefix(drug) } }
        #expect(found.count * 2 >= expected.count, "the model read \(found) of \(expected); it gave \(names)")
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
        // A value not found on its page is never verified: held for review, or rejected with its
        // item when the item fails its schema (extract validates as ingest does).
        for fact in facts where fact["grounded"] == false {
            #expect(fact["status"] == "needs_review" || fact["status"] == "rejected", "\(fact)")
        }
    }

    /// The first word of each medication the generator put on a sample, lowercased.
    static func expectedMedicationNames(_ sample: String) throws -> [String] {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("Samples/\(sample).expected.json"))
        let medications = try JSONValue(parsing: data)["facts"]?["medications"]?.arrayValue ?? []
        return medications.compactMap { $0["name"]?.stringValue?.lowercased().split(separator: " ").first.map(String.init) }
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

    /// Hybrid with `--local-model` while the suites' server runs: chartex reuses that server
    /// (one per machine), every model request succeeds, the model agrees with the rules on named
    /// medications (`rules+model`), no verified value is missing from its page, and the server
    /// is still the only one afterwards.
    @Test func hybridReusesTheServerAndAgreesWithTheRulesOnNamedFields() async throws {
        _ = try await endpoint()
        let files = ["Samples/med-list-fax.pdf"]
        let hybrid = try Scratch()
        #expect(Self.llamaServers() == 1, "the suites' server")
        let timeout = await SharedLocalModel.instance.requestTimeout()
        let run = try chartex(["ingest", "--db", hybrid.db, "--local-model", "--extractor", "hybrid",
                               "--model-timeout", String(timeout)] + files)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("reused server"), "a second chartex reuses the running server: \(run.stderr)")
        #expect(Self.llamaServers() == 1, "no second llama-server")
        let failed = try hybrid.count("SELECT count(*) FROM extraction WHERE extractor = 'model' AND status = 'failed'")
        #expect(failed == 0, "no failed model request (timeout \(timeout) s): \(run.stderr)")
        #expect(try hybrid.count("SELECT count(*) FROM extraction WHERE extractor = 'model' AND status = 'succeeded'") >= 2)

        let agreed = try hybrid.strings("SELECT lower(coalesce(normalizedValue, rawValue)) FROM fact WHERE extractor = 'rules+model' AND groupName = 'medications' AND fieldPath = 'name'")
        let expected = try Self.expectedMedicationNames("med-list-fax")
        let named = expected.filter { drug in agreed.contains { $0.contains(drug) } }
        #expect(named.count >= 3, "rules and model agree on \(named) of \(expected)")

        let export = hybrid.folder.appendingPathComponent("export.json").path
        #expect(try chartex(["export", "--db", hybrid.db, "--format", "json", "--out", export]).status == 0)
        let (status, text) = try python(["scripts/evaluate_facts.py", "--export", export, "--check-grounding",
                                         "--files", "med-list-fax.pdf"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("verified facts whose value is not on their page: 0"), "\(text)")

        // The model that read the document is named: per request, in the export, in FHIR Provenance.
        let models = try hybrid.strings("SELECT DISTINCT model FROM extraction WHERE extractor = 'model' AND status = 'succeeded'")
        let model = try #require(models.first, "the model's name is recorded with its requests")
        #expect(!model.isEmpty && model != "default" && models.count == 1, "\(models)")
        let lines = try chartex(["export", "--db", hybrid.db, "--format", "ndjson"])
        #expect(lines.stdout.contains("\"models\":[\"\(model)\"]"))
        let fhir = try chartex(["export", "--db", hybrid.db, "--format", "fhir"])
        #expect(fhir.status == 0 && fhir.stdout.contains("chartex rules and model extractors (agreeing) (\(model))"),
                "\(fhir.stdout.prefix(400))")
    }

    /// `--local-model` with no server running starts one, and it is gone when chartex exits;
    /// two servers for one model never run at once.
    @Test func aLocalServerIsSharedAndStopsWithItsLastUser() async throws {
        guard var local = LocalModelServer.defaultConfiguration() else {
            throw ModelError.configuration("no local model installed: run scripts/setup-model.sh")
        }
        // An explicit binary makes this a setup of its own (not the suites' shared server).
        local.server = LocalModelServer.findServer(nil)
        local.threads = 1
        let before = Self.llamaServers()
        let first = LocalModelServer(configuration: local), second = LocalModelServer(configuration: local)
        try await first.start()
        try await second.start()
        #expect(!first.reused && second.reused && first.port == second.port)
        #expect(Self.llamaServers() == before + 1)
        let scratch = try Scratch()
        #expect(try chartex(["ingest", "--db", scratch.db, "--enqueue-only", "Samples/med-list-fax.pdf"]).status == 0)
        let status = try chartex(["status", "--db", scratch.db])
        #expect(status.stdout.contains("127.0.0.1:\(first.port), 1 thread, 2 chartex processes"), "\(status.stdout)")
        first.stop()
        #expect(await LocalModelServer.answers(port: second.port), "still serving its other user")
        second.stop()
        #expect(waitUntil(timeout: 10) { Self.llamaServers() == before }, "stopped with its last user")
    }

    @Test func askComposesACitedAnswerOrKeepsTheRetrievalOne() async throws {
        let scratch = try Scratch()
        #expect(try chartex(["ingest", "--db", scratch.db, "--extractor", "rules", "Samples/packet-nguyen.pdf"]).status == 0)
        let url = try await endpoint()
        let timeout = String(await SharedLocalModel.instance.requestTimeout())
        let result = try chartex(["ask", "--db", scratch.db, "--json", "--model-url", url, "--model-timeout", timeout,
                                  "What is his latest TSH?"])
        #expect(result.status == 0, "\(result.stderr)")
        let answer = try JSONValue(parsing: Data(result.stdout.utf8))
        #expect(answer["answer"]?.stringValue?.contains("6.82") == true, "\(result.stdout)")
        #expect((answer["citations"]?.arrayValue?.count ?? 0) >= 1)
        // The model's part: it replied with a valid answer citing at least one source. Used, its
        // answer keeps the facts' 6.82; not used, the note says which guard refused it.
        let reply = try #require(answer["modelReply"], "the model gave no valid reply: \(answer["note"] ?? "")")
        #expect(!(reply["citations"]?.arrayValue ?? []).isEmpty || answer["composer"] == "rules", "\(result.stdout)")
        if answer["composer"] == "model" {
            #expect(reply["answer"]?.stringValue?.contains("6.82") == true)
        } else {
            let note = answer["note"]?.stringValue ?? ""
            #expect(note.contains("differs from the chart's facts") || note.contains("cited no source") || note.contains("which its sources do not"),
                    "\(note)")
        }

        let missing = try chartex(["ask", "--db", scratch.db, "--json", "--model-url", url, "--model-timeout", timeout,
                                   "What is his blood type?"])
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

/// One llama-server for the model suites, started on first use (or reused: one per machine),
/// left when the test process ends (its watchdog stops it once no user is alive). An actor, so
/// that no test thread blocks waiting for it. Its generation speed is measured once, and the
/// tests' request timeouts are sized from it with a wide margin, so a busy machine slows them
/// without failing them.
actor SharedLocalModel {
    static let instance = SharedLocalModel()
    private var server: LocalModelServer?
    private var tokensPerSecond: Double?

    func endpoint() async throws -> String {
        if let server { return server.endpoint }
        guard let local = LocalModelServer.defaultConfiguration() else {
            throw ModelError.configuration("no local model installed: run scripts/setup-model.sh")
        }
        let server = LocalModelServer(configuration: local)
        try await server.start()
        self.server = server
        let client = ModelClient(configuration: ModelConfiguration(endpoint: server.endpoint), endpoint: server.endpoint)
        let started = Date()
        let reply = try? await client.complete(ModelPrompt(text: "Count from 1 to 40, separated by spaces."), schema: nil,
                                               maxTokens: 64)
        await client.shutdown()
        if let tokens = reply?.completionTokens, tokens > 0 {
            tokensPerSecond = reply?.generationSeconds.map { Double(tokens) / $0 } ?? Double(tokens) / Date().timeIntervalSince(started)
        }
        return server.endpoint
    }

    /// Seconds a request may take: 10× what the largest reply (2,048 tokens, the client's cap)
    /// takes at the measured speed — at least 300 s, at most 1,800 s.
    func requestTimeout() async -> Int {
        _ = try? await endpoint()
        let rate = tokensPerSecond ?? 4
        return Int(min(1800, max(300, 10 * 2048 / max(rate, 1))))
    }
}
