// A value computed once on another thread and waited for where it is first read. VtokModel hashes its whole
// weights file this way: the hash (24 MB, the largest single cost of starting `vtok`) runs on the second core
// while the weights are unpacked, a session is built and the input is opened, and only what reads the hash (a
// stream's header, `--version`) waits for it.

import Dispatch
import Foundation

final class BackgroundValue<Value: Sendable>: @unchecked Sendable {   // `value` and `lock` guard the state
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var computed: Value?          // written once by the worker, before `done` is signalled
    private var waited: Value?            // read under `lock` after the one wait

    init(_ work: @escaping @Sendable () -> Value) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.computed = work()
            self.done.signal()
        }
    }

    /// The value; the first caller waits for the worker, every later one reads it.
    var value: Value {
        lock.lock()
        defer { lock.unlock() }
        if let v = waited { return v }
        done.wait()
        waited = computed
        return waited!
    }
}
