import ArgumentParser
import ChartServer
import ChartService
import Foundation
import ModelClient
import ServiceLifecycle
import Storage
import Worker

extension Chartex {
    /// `chartex serve`: the JSON API and the review page.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the JSON API (/api), the review page (/review) and /openapi.json over HTTP.",
            discussion: """
                Binds 127.0.0.1 by default. Every request except /healthz, /openapi.json and the review page's \
                assets needs `Authorization: Bearer TOKEN`; the token is generated on first start into \
                --token-file (mode 0600; lines `TOKEN` or `NAME TOKEN`, the name being who reviews are recorded \
                as). Open /review?token=TOKEN once in a browser: it sets a SameSite=Strict cookie. With --worker, \
                uploads (POST /api/documents) are read in this process. SIGINT or SIGTERM: requests in flight \
                finish, the worker finishes its page, and the server exits 0. Layout: docs/api.md.
                """)

        @Option(help: "The address to listen on.") var host = "127.0.0.1"
        @Option(help: "The port (0: any free port; the one taken is printed).") var port = 8080
        @Option(help: "The token file (default ~/.config/chartex/token).") var tokenFile: String?
        @Option(help: "The largest upload, in MB.") var maxUploadMb = 100
        @Option(help: "Where uploads are kept (default: chartex-uploads beside the database).") var uploadFolder: String?
        @Option(help: "Seconds a request may take before it is answered 503.") var requestTimeout: Double = 120
        @Flag(help: "Process queued documents (uploads) in this process too.") var worker = false
        @OptionGroup var database: DatabaseArguments
        @OptionGroup var reading: ReadingArguments
        @OptionGroup var workerOptions: WorkerArguments

        func run() throws {
            try Chartex.run {
                let store = try database.open()
                let tokens: TokenRing
                do {
                    tokens = try TokenRing.load(path: tokenFile ?? TokenRing.defaultPath)
                } catch {
                    throw CommandFailure(message: "\(error)", exitCode: ExitStatus.inputFailed)
                }
                // Beside the database file; for PostgreSQL, in the current folder (workers on other
                // hosts read uploads from the path queued, so give a shared folder there).
                let beside: URL = if case .sqlite(let path) = try database.location() {
                    URL(fileURLWithPath: path).deletingLastPathComponent()
                } else {
                    URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                }
                let folder = uploadFolder.map { URL(fileURLWithPath: $0) } ?? beside.appendingPathComponent("chartex-uploads")
                var options = ServerOptions(uploadFolder: folder)
                options.host = host
                options.port = port
                options.tokenFile = tokens.path
                options.maxUploadBytes = maxUploadMb << 20
                options.requestTimeout = requestTimeout
                // Answers are composed by the configured model, if any (the same one the worker uses).
                let configuration = try workerOptions.model.configuration()
                let session = configuration.isConfigured ? try ModelSession.open(configuration) : nil
                defer { session?.close() }
                options.model = session?.client
                var services: [any Service] = []
                if worker {
                    let arguments = Unchecked((workerOptions, self.reading))
                    services.append(WorkerService { stop in
                        let (workerArguments, reading) = arguments.value
                        // Drains the queue, builds the semantic index, waits for the next upload.
                        while !stop.isSet {
                            do {
                                _ = try workerArguments.drain(store, reading: reading, follow: false, stop: stop)
                            } catch {
                                FileHandle.standardError.write(Data("chartex: worker: \(error)\n".utf8))
                            }
                            for _ in 0..<10 where !stop.isSet { Thread.sleep(forTimeInterval: 0.2) }
                        }
                    })
                }
                let service = ChartService(store: store)
                let host = self.host, tokenPath = tokens.path, generated = tokens.generated
                let serverOptions = options, serverServices = services
                try blocking {
                    try await ChartServer.run(service: service, options: serverOptions, tokens: tokens, services: serverServices) { port in
                        var lines = ["chartex: listening on http://\(host):\(port) (the API under /api, the review page at /review)"]
                        lines.append("chartex: token file \(tokenPath)" + (generated ? " (new)" : ""))
                        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
                    }
                }
            }
        }
    }
}

/// Parsed arguments handed to the worker's thread, which alone uses them from then on.
struct Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A blocking loop (the worker) on a thread of its own, as a service: on graceful shutdown its
/// stop flag is set and the service ends when the loop returns.
struct WorkerService: Service {
    let body: @Sendable (StopFlag) -> Void

    init(_ body: @escaping @Sendable (StopFlag) -> Void) {
        self.body = body
    }

    func run() async throws {
        let stop = StopFlag()
        let body = self.body
        await withGracefulShutdownHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let thread = Thread {
                    body(stop)
                    continuation.resume()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}
