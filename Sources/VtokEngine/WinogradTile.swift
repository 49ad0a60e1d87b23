// The two Winograd rules a 3x3 convolution can run (Lavin & Gray, arXiv 1509.09308): F(m x m, 3x3) makes an
// m x m output tile from an (m+2) x (m+2) input patch with (m+2)^2 multiplies per input channel instead of 9 m^2.
//
//   rule       patch   multiplies per output   transform points
//   F(2x2)     4x4     4    (2.25x fewer)      0, 1, -1
//   F(4x4)     6x6     2.25 (4x fewer)         0, 1, -1, 2, -2 (larger constants: about 10x the rounding of F(2x2),
//                                              still far inside the parity tolerances in fp32)
//
// Y = A^T [(G g G^T) . (B^T d B)] A. Each 1D transform here runs along a channel vector (channels-last data), so
// its loop vectorises; a 2D transform applies it to the columns and then the rows of a patch.

/// The output tile of a Winograd convolution.
public enum WinogradTile: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// F(2x2, 3x3).
    case f2x2 = 2
    /// F(4x4, 3x3).
    case f4x4 = 4

    /// Output tile side m.
    public var m: Int { rawValue }
    /// Input patch side m + 2 (the number of transform points).
    var alpha: Int { rawValue + 2 }

    public var description: String { "F(\(m)x\(m),3x3)" }

    /// G (alpha, 3), the kernel transform, in double precision (used once, at load).
    var g: [[Double]] {
        switch self {
        case .f2x2:
            return [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        case .f4x4:
            return [[1.0 / 4, 0, 0],
                    [-1.0 / 6, -1.0 / 6, -1.0 / 6],
                    [-1.0 / 6, 1.0 / 6, -1.0 / 6],
                    [1.0 / 24, 1.0 / 12, 1.0 / 6],
                    [1.0 / 24, -1.0 / 12, 1.0 / 6],
                    [0, 0, 1]]
        }
    }

    /// dst[i][c] = (B^T s)[i][c] for i < alpha, c < count: s and dst are alpha vectors each.
    /// F(2x2): B^T = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]].
    /// F(4x4): B^T = [[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0], [0, -2, -1, 2, 1, 0],
    ///                [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]].
    @inline(__always)
    func inputTransform(_ s: UnsafePointer<UnsafePointer<Float>>, _ dst: UnsafePointer<UnsafeMutablePointer<Float>>,
                        count: Int) {
        switch self {
        case .f2x2:
            let d0 = s[0], d1 = s[1], d2 = s[2], d3 = s[3]
            let o0 = dst[0], o1 = dst[1], o2 = dst[2], o3 = dst[3]
            for c in 0..<count {
                o0[c] = d0[c] - d2[c]
                o1[c] = d1[c] + d2[c]
                o2[c] = d2[c] - d1[c]
                o3[c] = d1[c] - d3[c]
            }
        case .f4x4:
            let d0 = s[0], d1 = s[1], d2 = s[2], d3 = s[3], d4 = s[4], d5 = s[5]
            let o0 = dst[0], o1 = dst[1], o2 = dst[2], o3 = dst[3], o4 = dst[4], o5 = dst[5]
            for c in 0..<count {
                let a = d4[c] - 4 * d2[c]            // shared by rows 1, 2
                let b = d3[c] - 4 * d1[c]
                let e = d4[c] - d2[c]                // shared by rows 3, 4
                let f = 2 * (d3[c] - d1[c])
                o0[c] = 4 * d0[c] - 5 * d2[c] + d4[c]
                o1[c] = a + b
                o2[c] = a - b
                o3[c] = e + f
                o4[c] = e - f
                o5[c] = 4 * d1[c] - 5 * d3[c] + d5[c]
            }
        }
    }

    /// dst[i][c] = (A^T s)[i][c] for i < m: s holds alpha vectors, dst m.
    /// F(2x2): A^T = [[1, 1, 1, 0], [0, 1, -1, -1]].
    /// F(4x4): A^T = [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]].
    @inline(__always)
    func outputTransform(_ s: UnsafePointer<UnsafePointer<Float>>, _ dst: UnsafePointer<UnsafeMutablePointer<Float>>,
                         count: Int) {
        switch self {
        case .f2x2:
            let m0 = s[0], m1 = s[1], m2 = s[2], m3 = s[3]
            let o0 = dst[0], o1 = dst[1]
            for c in 0..<count {
                o0[c] = m0[c] + m1[c] + m2[c]
                o1[c] = m1[c] - m2[c] - m3[c]
            }
        case .f4x4:
            let m0 = s[0], m1 = s[1], m2 = s[2], m3 = s[3], m4 = s[4], m5 = s[5]
            let o0 = dst[0], o1 = dst[1], o2 = dst[2], o3 = dst[3]
            for c in 0..<count {
                let p = m1[c] + m2[c], q = m1[c] - m2[c]
                let r = m3[c] + m4[c], t = m3[c] - m4[c]
                o0[c] = m0[c] + p + r
                o1[c] = q + 2 * t
                o2[c] = p + 4 * r
                o3[c] = q + 8 * t + m5[c]
            }
        }
    }
}
