// OpenBLAS starts worker threads when it loads, and each spins for about 0.1 s before it sleeps; the engine
// runs every sgemm on the caller's thread, so loading a model stops them (Gemm.useCallerThreadOnly).
import Glibc
import XCTest
@testable import VtokEngine

final class OpenBLASThreadsTests: XCTestCase {
    func testLoadingAModelStopsOpenBLASsWorkers() throws {
        guard let library = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD) else {
            throw XCTSkip("libopenblas.so.0 is not this process's OpenBLAS")
        }
        defer { dlclose(library) }
        guard dlsym(library, "blas_thread_shutdown_") != nil,
              let avail = dlsym(library, "blas_server_avail")?.assumingMemoryBound(to: Int32.self) else {
            throw XCTSkip("a serial or OpenMP OpenBLAS: no thread pool to stop")
        }
        _ = try Fixtures.tinyModel()
        XCTAssertEqual(avail.pointee, 0, "OpenBLAS's thread pool is still up")
        // sgemm still works, on this thread: (1x2) * (2x1).
        let a: [Float] = [1, 2], b: [Float] = [3, 4]
        var c: [Float] = [0]
        Gemm.run(.openblas, m: 1, n: 1, k: 2, a: a, b: b, c: &c, beta: 0)
        XCTAssertEqual(c, [11])
        XCTAssertEqual(avail.pointee, 0)
    }
}
