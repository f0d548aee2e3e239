import ArgumentParser
import Foundation
import ChartReading
import Worker

extension Chartex {
    /// `chartex worker`: drain the durable queue.
    struct RunWorker: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "worker",
            abstract: "Process queued documents; with --follow, keep waiting for more.",
            discussion: """
                SIGINT or SIGTERM: the page being read is finished and committed, the rest of the \
                document goes back to the queue, and the worker exits 0. Jobs held by a worker that \
                died are taken over when their lease runs out (at once when it ran on this host).
                """)

        @Flag(help: "Keep running and wait for new jobs.")
        var follow = false

        @OptionGroup var database: DatabaseArguments
        @OptionGroup var reading: ReadingArguments
        @OptionGroup var worker: WorkerArguments

        func run() throws {
            try Chartex.run {
                let outcomes = try worker.drain(try database.open(), reading: reading, follow: follow)
                let summary = IngestSummary(queued: 0, alreadyImported: 0, outcomes: outcomes, problems: [])
                print("processed \(outcomes.count) documents: completed \(summary.completed), partial \(summary.partial), failed \(summary.failed)")
            }
        }
    }
}
