import Foundation
@testable import ModelClient
import TestSupport
import Testing
import Validation

/// The client against scripts/fake_model_server.py: each fault is retried or ends as a failed
/// attempt with a clear error — never as data.
@Suite struct ModelClientFaultTests {
    static let schema: JSONValue = [
        "type": "object", "additionalProperties": false, "required": ["medications"],
        "properties": ["medications": ["type": "array", "items": [
            "type": "object", "required": ["name"], "additionalProperties": false,
            "properties": ["name": ["type": "string"], "dose": ["type": ["number", "string"]]]]]],
    ]

    func client(_ server: FakeModelServer, _ configure: (inout ModelConfiguration) -> Void = { _ in }) -> ModelClient {
        var configuration = ModelConfiguration(endpoint: server.endpoint)
        configuration.backoffSeconds = 0.01
        configuration.requestTimeout = 10
        configure(&configuration)
        return ModelClient(configuration: configuration, endpoint: server.endpoint)
    }

    func prompt(_ scenario: String) -> ModelPrompt {
        ModelPrompt(text: "SCENARIO:\(scenario)\nExtract the medications.\n<page>\nMetformin 500 mg PO BID\n</page>")
    }

    /// Several servers (issue 16): requests go to the least busy one.
    @Test func requestsAreSpreadOverSeveralServers() async throws {
        let first = try FakeModelServer(["--latency", "0.5", "--slots", "8"])
        let second = try FakeModelServer(["--latency", "0.5", "--slots", "8"])
        var configuration = ModelConfiguration(endpoint: "\(first.endpoint),\(second.endpoint)/")
        configuration.concurrency = 4
        try configuration.check()
        let client = ModelClient(configuration: configuration, endpoint: configuration.endpoint!)
        #expect(client.balancer.urls == [first.endpoint, second.endpoint])
        let file = try JSONDecoder().decode(ModelConfiguration.self,
                                            from: Data(#"{"endpoint": "http://a:1", "endpoints": ["http://b:2"]}"#.utf8))
        #expect(file.endpoint == "http://a:1,http://b:2")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 { group.addTask { _ = try await client.fill(prompt("ok"), schema: Self.schema) } }
            try await group.waitForAll()
        }
        await client.shutdown()
        let (a, b) = (try await first.requests().count, try await second.requests().count)
        #expect(a + b == 8)
        #expect(a >= 3 && b >= 3, "least outstanding should split 8 requests about evenly, got \(a) and \(b)")
    }

    /// A server that fails (500s, or nothing listening) is skipped: every request is answered
    /// by the one that works, and the failing one is not asked again until its wait is over.
    @Test(arguments: ["500", "refused"]) func aFailingServerIsSkipped(_ fault: String) async throws {
        let good = try FakeModelServer()
        let bad = fault == "500" ? try FakeModelServer(["--scenario", "500-always"]) : nil
        let badURL = bad?.endpoint ?? "http://127.0.0.1:1"
        var configuration = ModelConfiguration(endpoint: "\(badURL),\(good.endpoint)")
        configuration.backoffSeconds = 0.01
        configuration.connectTimeout = 2  // a refused connection is retried until then
        configuration.retries = 5  // a loaded machine may time a request out now and then
        let client = ModelClient(configuration: configuration, endpoint: configuration.endpoint!)
        let unnamed = ModelPrompt(text: "Extract the medications.\n<page>\nMetformin 500 mg PO BID\n</page>")
        let started = Date()
        for _ in 0..<10 {
            let filled = try await client.fill(unnamed, schema: Self.schema)
            #expect(filled.value["medications"] != nil)
        }
        await client.shutdown()
        #expect(try await good.requests().count == 10)
        // Asked again only when its wait is over (1 s, then 2, 4… up to 30): about log2 of the
        // seconds the requests took, however slow this machine is (the exact schedule is
        // `balancerSkipsAFailedServerForAWhile`).
        let seconds = Date().timeIntervalSince(started)
        let bound = 2 + Int(log2(1 + seconds)) + Int(seconds / 30)
        if let bad { #expect(try await bad.requests().count <= bound, "\(seconds) s") }
    }

    /// The balancer's schedule, on its own clock: a failed server waits 1 s, then 2 s after a
    /// second failure, needs a health check when its wait is over, and a success clears it.
    @Test func balancerSkipsAFailedServerForAWhile() {
        let balancer = EndpointBalancer(urls: ["http://a", "http://b"])
        let t0 = Date(timeIntervalSince1970: 1_000)
        let first = balancer.acquire(now: t0)
        #expect(first.url == "http://a" && !first.needsCheck)
        #expect(balancer.acquire(now: t0).url == "http://b")  // a is busy: the least outstanding
        balancer.release(first, failed: true, now: t0)
        #expect(balancer.acquire(now: t0.addingTimeInterval(0.5)).url == "http://b")  // a waits 1 s
        let retried = balancer.acquire(now: t0.addingTimeInterval(1.1))
        #expect(retried.url == "http://a" && retried.needsCheck)
        balancer.release(retried, failed: true, now: t0.addingTimeInterval(1.1))
        #expect(balancer.acquire(now: t0.addingTimeInterval(2.5)).url == "http://b")  // now 2 s
        let back = balancer.acquire(now: t0.addingTimeInterval(3.2))
        #expect(back.url == "http://a" && back.needsCheck)
        balancer.release(back, failed: false, now: t0.addingTimeInterval(3.2))
        #expect(!balancer.acquire(now: t0.addingTimeInterval(3.3)).needsCheck)
        // A server that passes its health check but fails the request waits longer each time:
        // 1 s, 2 s, 4 s (the other server, busier, gets the requests meanwhile).
        let flaky = EndpointBalancer(urls: ["http://c", "http://d"])
        // Requests in flight: c 3, d 2 (ties go to the first); then c's next request fails.
        for _ in 0..<5 { _ = flaky.acquire(now: t0.addingTimeInterval(-1)) }
        var failedAt = t0
        var choice = EndpointBalancer.Choice(index: 0, url: "http://c", needsCheck: false)
        for wait in [1.0, 2.0, 4.0] {
            flaky.release(choice, failed: true, now: failedAt)
            #expect(flaky.acquire(now: failedAt.addingTimeInterval(wait - 0.01)).url == "http://d", "within \(wait) s")
            choice = flaky.acquire(now: failedAt.addingTimeInterval(wait))
            #expect(choice.url == "http://c" && choice.needsCheck, "after \(wait) s")
            flaky.markUp(choice)
            failedAt = failedAt.addingTimeInterval(wait)
        }
        #expect(balancer.outstanding == [1, 3])
    }

    @Test func a500IsRetried() async throws {
        let server = try FakeModelServer()
        let client = client(server)
        let filled = try await client.fill(prompt("500-once:a"), schema: Self.schema)
        await client.shutdown()
        #expect(filled.reply.attempts == 2)
        #expect(filled.value["medications"] != nil)
    }

    @Test func persistent500sEndAsAnErrorAfterTheRetries() async throws {
        let server = try FakeModelServer()
        let client = client(server) { $0.retries = 2 }
        await #expect(throws: ModelError.http(status: 500, message: "internal server error (injected)", retryAfter: nil)) {
            try await client.fill(prompt("500-always:b"), schema: Self.schema)
        }
        await client.shutdown()
        #expect(try await server.requests().count == 3)
    }

    @Test func retryAfterIsHonoured() async throws {
        let server = try FakeModelServer()
        // Backoff alone would wait ~10 ms: waiting a second means Retry-After: 1 was read.
        let client = client(server)
        let started = Date()
        let filled = try await client.fill(prompt("429-once:c"), schema: Self.schema)
        await client.shutdown()
        #expect(filled.reply.attempts == 2)
        #expect(Date().timeIntervalSince(started) >= 0.9)
    }

    @Test func aTimeoutIsRetriedThenReported() async throws {
        let server = try FakeModelServer(["--slow", "3"])
        let client = client(server) {
            $0.requestTimeout = 0.5
            $0.retries = 1
        }
        await #expect(throws: ModelError.timeout(seconds: 0.5)) {
            try await client.fill(prompt("slow:d"), schema: Self.schema)
        }
        await client.shutdown()
        #expect(try await server.requests().count == 2)
    }

    @Test func aSlowFirstReplyIsRetriedAndSucceeds() async throws {
        let server = try FakeModelServer(["--slow", "3"])
        let client = client(server) { $0.requestTimeout = 0.5 }
        let filled = try await client.fill(prompt("slow-once:e"), schema: Self.schema)
        await client.shutdown()
        #expect(filled.reply.attempts == 2)
    }

    @Test func truncatedJSONGetsOneRepairThenFails() async throws {
        let server = try FakeModelServer()
        let client = client(server)
        do {
            _ = try await client.fill(prompt("truncated:f"), schema: Self.schema)
            Issue.record("truncated JSON was accepted")
        } catch let error as ModelError {
            guard case .schemaViolations(let problems) = error else { Issue.record("unexpected \(error)"); return }
            #expect(problems.joined().contains("token limit"))
        }
        await client.shutdown()
        let requests = try await server.requests()
        #expect(requests.count == 2, "the first answer and one repair")
    }

    @Test func invalidJSONGetsOneRepairThenFails() async throws {
        let server = try FakeModelServer()
        let client = client(server)
        await #expect(throws: ModelError.self) { try await client.fill(prompt("invalid:g"), schema: Self.schema) }
        await client.shutdown()
        #expect(try await server.requests().count == 2)
    }

    @Test func aSchemaViolationIsSentBackOnceWithItsErrors() async throws {
        let server = try FakeModelServer()
        let client = client(server)
        do {
            _ = try await client.fill(prompt("violates:h"), schema: Self.schema)
            Issue.record("JSON that violates the schema was accepted")
        } catch let error as ModelError {
            guard case .schemaViolations(let problems) = error else { Issue.record("unexpected \(error)"); return }
            #expect(!problems.isEmpty)
        }
        await client.shutdown()
        let requests = try await server.requests()
        #expect(requests.count == 2)
        let repair = requests.last?["body"]?["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
        #expect(repair.contains("rejected because"))
        #expect(repair.contains("medications"), "the repair names the missing property")
    }

    @Test func aRepairThatWorksIsKept() async throws {
        let server = try FakeModelServer()
        let client = client(server)
        let filled = try await client.fill(prompt("repairable:i"), schema: Self.schema)
        await client.shutdown()
        #expect(filled.repaired)
    }

    @Test func anOversizedReplyIsRefusedNotRetried() async throws {
        let server = try FakeModelServer()
        let client = client(server) { $0.maxResponseBytes = 1 << 20 }
        await #expect(throws: ModelError.responseTooLarge(limit: 1 << 20)) {
            try await client.fill(prompt("oversized:j"), schema: Self.schema)
        }
        await client.shutdown()
        #expect(try await server.requests().count == 1)
    }

    @Test func aDroppedConnectionIsRetried() async throws {
        let server = try FakeModelServer()
        let client = client(server) { $0.retries = 1 }
        await #expect(throws: ModelError.self) { try await client.fill(prompt("drop:k"), schema: Self.schema) }
        await client.shutdown()
        #expect(try await server.requests().count == 2)
    }

    @Test func medGemmaThinkingAndFencesAreStripped() async throws {
        let server = try FakeModelServer()
        let client = client(server)
        let filled = try await client.fill(prompt("medgemma:l"), schema: Self.schema)
        await client.shutdown()
        #expect(filled.reply.content.contains("<unused94>"))
        #expect(filled.value == ["medications": []])
        #expect(!filled.repaired)
    }

    @Test func anImageRefusedByATextOnlyModelFallsBackToText() async throws {
        let server = try FakeModelServer(["--no-props"])
        let client = client(server)
        var withImage = prompt("vision-refuse:m")
        withImage.images = [ModelImage(data: Data([0x89, 0x50, 0x4E, 0x47]))]
        let first = try await client.fill(withImage, schema: Self.schema)
        #expect(!first.reply.sentImages)
        // Known now: the next request goes out without the image at once.
        _ = try await client.fill(withImage, schema: Self.schema)
        await client.shutdown()
        let parts = try await server.requests().map { $0["body"]?["messages"]?.arrayValue?.first?["content"] }
        #expect(parts.count == 3)
        #expect(parts[0]?.arrayValue != nil, "the first request carried the image")
        #expect(parts[1]?.stringValue != nil && parts[2]?.stringValue != nil, "then text only")
    }

    @Test func requestsInFlightStayWithinTheLimit() async throws {
        let server = try FakeModelServer(["--latency", "0.3", "--slots", "8"])
        let client = client(server) { $0.concurrency = 2 }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<6 {
                group.addTask { _ = try await client.fill(self.prompt("ok:n\(index)"), schema: Self.schema) }
            }
            try await group.waitForAll()
        }
        await client.shutdown()
        #expect(try await server.maxInFlight() == 2)
    }

    @Test func cancellingTheTaskCancelsTheRequest() async throws {
        // The server would answer after 300 s and records when a client hangs up. A cancelled
        // request must hang up: no answer is awaited, whatever the machine's load (the wall
        // time is not the measure; the bound below only keeps a broken cancel from hanging).
        let server = try FakeModelServer(["--slow", "300"])
        let client = client(server) { $0.requestTimeout = 600 }
        let task = Task { try await client.fill(prompt("slow:o"), schema: Self.schema) }
        var arrived = false
        for _ in 0..<200 where !arrived {
            try await Task.sleep(nanoseconds: 100_000_000)
            arrived = try await !server.requests().isEmpty
        }
        #expect(arrived, "the request reached the server")
        let started = Date()
        task.cancel()
        let result = await task.result
        if case .success = result { Issue.record("a cancelled request succeeded") }
        #expect(Date().timeIntervalSince(started) < 150, "the cancelled request ended long before the server's answer")
        var disconnected: Double?
        for _ in 0..<100 where disconnected == nil {
            disconnected = try await server.requests().first?["disconnectedAfter"]?.numberValue
            if disconnected == nil { try await Task.sleep(nanoseconds: 100_000_000) }
        }
        #expect(disconnected != nil, "the server saw the client hang up")
        await client.shutdown()
    }
}

/// What goes over the wire, per dialect.
@Suite struct ModelRequestShapeTests {
    let schema: JSONValue = ["type": "object", "required": ["ok"], "properties": ["ok": ["type": "boolean"]]]

    func send(_ dialect: OutputDialect, apiKey: String? = nil) async throws -> JSONValue {
        let server = try FakeModelServer()
        var configuration = ModelConfiguration(endpoint: server.endpoint)
        configuration.dialect = dialect
        configuration.apiKey = apiKey
        configuration.model = "medgemma1.5"
        let client = ModelClient(configuration: configuration, endpoint: server.endpoint)
        _ = try await client.fill(ModelPrompt(text: "Say ok."), schema: schema)
        await client.shutdown()
        return try #require(try await server.requests().first)
    }

    @Test func jsonSchemaDialect() async throws {
        let request = try await send(.jsonSchema, apiKey: "sk-secret")
        #expect(request["path"] == "/v1/chat/completions")
        let body = try #require(request["body"])
        #expect(body["temperature"] == 0)
        #expect(body["model"] == "medgemma1.5")
        #expect(body["max_tokens"]?.intValue ?? 0 > 0)
        #expect(body["response_format"]?["type"] == "json_schema")
        #expect(body["response_format"]?["json_schema"]?["schema"] == schema)
        let messages = try #require(body["messages"]?.arrayValue)
        #expect(messages.count == 1 && messages[0]["role"] == "user", "no system turn: Gemma has none")
        #expect(request["authorization"] == "Bearer sk-secret")
    }

    @Test func jsonObjectDialect() async throws {
        let body = try #require(try await send(.jsonObject)["body"])
        #expect(body["response_format"]?["type"] == "json_object")
        #expect(body["response_format"]?["schema"] == schema)
    }

    @Test func ollamaDialect() async throws {
        let request = try await send(.ollama)
        #expect(request["path"] == "/api/chat")
        #expect(request["body"]?["format"] == schema)
        #expect(request["body"]?["options"]?["temperature"] == 0)
        #expect(request["body"]?["stream"] == false)
    }

    @Test func promptOnlyDialectPutsTheSchemaInThePrompt() async throws {
        let body = try #require(try await send(.none)["body"])
        #expect(body["response_format"] == nil)
        let text = body["messages"]?.arrayValue?.first?["content"]?.stringValue ?? ""
        #expect(text.contains("JSON Schema") && text.contains("\"ok\""))
    }
}
