import Dispatch
import Foundation
import Worker

/// Turns SIGINT and SIGTERM into a `StopFlag`: the worker finishes the page it is on, hands
/// the rest of the document back to the queue and exits cleanly.
final class SignalTrap {
    let flag = StopFlag()
    private var sources: [any DispatchSourceSignal] = []

    init() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [flag] in
                flag.set()
                FileHandle.standardError.write(Data("\nchartex: stopping after the current page…\n".utf8))
            }
            source.resume()
            sources.append(source)
        }
    }
}
