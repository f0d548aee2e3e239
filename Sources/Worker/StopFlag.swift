import Foundation

/// A flag set from a signal handler and read by the worker between pages.
public final class StopFlag: @unchecked Sendable {
    // @unchecked: `stopped` is only touched under `lock`.
    private let lock = NSLock()
    private var stopped = false

    public init() {}

    public func set() {
        lock.lock()
        stopped = true
        lock.unlock()
    }

    public var isSet: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }
}
