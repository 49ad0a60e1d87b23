// The versions of the compute libraries this process loaded, for `vtok --version` and bug reports.
import COneDNN
import COpenBLAS

extension Compute {
    /// "oneDNN 2.6.3".
    public static var oneDNNVersion: String { "oneDNN \(OneDNN.version)" }

    /// OpenBLAS's own build line, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64".
    public static var openBLASVersion: String {
        guard let p = openblas_get_config() else { return "OpenBLAS (unknown version)" }
        return String(cString: p).trimmingCharacters(in: " ")
    }
}

private extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}
