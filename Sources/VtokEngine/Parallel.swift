// Splits memory-bound loops (im2col, norms) over a few threads; GEMMs are threaded by OpenBLAS itself.
// Work is divided by index only, so results never depend on the thread count.

import Dispatch

enum Parallel {
    /// Runs body(i) for i in 0..<n, in up to `Blas.threads` contiguous chunks.
    static func forEach(_ n: Int, _ body: (Int) -> Void) {
        let parts = min(Blas.threads, n)
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
}

/// Carries a non-Sendable closure into concurrentPerform; safe because the chunks touch disjoint memory.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
