// A session's workers, on Dispatch's pool (concurrentPerform): up to ComputeOptions.threads at once, the count
// each session was created with. Convolutions run single-threaded inside oneDNN or OpenBLAS; the engine splits
// each conv into bands of image rows and hands bands to workers dynamically, so a core stolen by another
// process only slows its share. Work is divided by index only: results never depend on the thread count or on scheduling.

import Dispatch
import Synchronization

enum Parallel {
    /// Runs body(i) for i in 0..<n, in up to `threads` contiguous chunks.
    static func forEach(_ n: Int, threads: Int, _ body: (Int) -> Void) {
        let parts = min(threads, n)
        if parts <= 1 || n < 8 {
            for i in 0..<n { body(i) }
            return
        }
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let lo = n * part / parts, hi = n * (part + 1) / parts
                for i in lo..<hi { box.value(i) }
            }
        }
    }

    /// Runs body(i, worker) for i in 0..<n on `workers` threads that take the next index as they finish one.
    /// worker is in 0..<workers and owns per-worker scratch memory.
    static func forEachDynamic(_ n: Int, workers: Int, _ body: (_ index: Int, _ worker: Int) -> Void) {
        let workers = min(workers, n)
        if workers <= 1 {
            for i in 0..<n { body(i, 0) }
            return
        }
        let next = Counter()
        withoutActuallyEscaping(body) { body in
            let box = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                while true {
                    let i = next.value.add(1, ordering: .relaxed).oldValue
                    if i >= n { break }
                    box.value(i, worker)
                }
            }
        }
    }
}

final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

/// Carries a non-Sendable closure into concurrentPerform; safe because the chunks touch disjoint memory.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
