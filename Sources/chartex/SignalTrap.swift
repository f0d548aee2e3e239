import Dispatch
import Foundation
import Worker

/// Turns SIGINT and SIGTERM into a `StopFlag`: the worker finishes the page it is on, hands
/// the rest of the document back to the queue and exits cleanly. A second signal exits at
/// once (what is committed stays committed; the document resumes after the lease expires).
final class SignalTrap {
    let flag = StopFlag()
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [flag] in
                if flag.isSet {
                    // A second signal: stop now. Committed pages stay; the job's lease runs out.
                    FileHandle.standardError.write(Data("\nchartex: stopped\n".utf8))
                    exit(128 + signalNumber)
                }
                flag.set()
                FileHandle.standardError.write(Data("\nchartex: stopping after the current page (signal again to stop now)…\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }
}
