// Finite scalar quantisation, computed in fp32 step by step as training/vtok_model/fsq.py does:
//   half_l = (L-1)*(1-eps)/2, offset = 0.5 if L even else 0, shift = atanh(offset/half_l)
//   bounded = tanh(z + shift)*half_l - offset; continuous = bounded / floor(L/2)
//   code = round_half_even(bounded) + floor(L/2), clamped to [0, L-1]; token = sum code_i * prod_{j<i} L_j

import Foundation

struct FSQ {
    let levels: [Int]           // (C,)
    let halfL: [Float]          // (C,)
    let offset: [Float]         // (C,)
    let shift: [Float]          // (C,)
    let halfWidth: [Float]      // (C,) floor(L/2)
    let basis: [Int]            // (C,) prod_{j<i} L_j

    init(levels: [Int], eps: Double) {
        self.levels = levels
        let oneMinusEps = Float(1 - eps)
        halfL = levels.map { (Float($0) - 1) * oneMinusEps / 2 }
        offset = levels.map { $0 % 2 == 0 ? 0.5 : 0 }
        shift = zip(offset, halfL).map { atanhf($0 / $1) }
        halfWidth = levels.map { Float($0 / 2) }
        var b = [1]
        for l in levels.dropLast() { b.append(b[b.count - 1] * l) }
        basis = b
    }

    /// z (n, C) pre-bound -> tokens (n,) and, if asked, continuous latents (n, C).
    func quantize(_ z: UnsafePointer<Float>, positions n: Int, tokens: UnsafeMutablePointer<UInt16>,
                  continuous: UnsafeMutablePointer<Float>?) {
        let c = levels.count
        for p in 0..<n {
            var token = 0
            for i in 0..<c {
                // tanh bounds any finite or infinite z; a NaN (from damaged input or weights) becomes 0, the
                // middle code, rather than a trap in Int(_:).
                var bounded = tanhf(z[p * c + i] + shift[i]) * halfL[i] - offset[i]
                if bounded.isNaN { bounded = 0 }
                continuous?[p * c + i] = bounded / halfWidth[i]
                let level = min(max(bounded.rounded(.toNearestOrEven) + halfWidth[i], 0), Float(levels[i] - 1))
                let code = Int(level)
                token += code * basis[i]
            }
            tokens[p] = UInt16(truncatingIfNeeded: token)
        }
    }

    /// tokens (n,) -> normalised quantised latents (n, C): (code - floor(L/2)) / floor(L/2).
    func dequantize(_ tokens: UnsafePointer<UInt16>, positions n: Int, into out: UnsafeMutablePointer<Float>) {
        let c = levels.count
        for p in 0..<n {
            let t = Int(tokens[p])
            for i in 0..<c {
                let code = (t / basis[i]) % levels[i]
                out[p * c + i] = (Float(code) - halfWidth[i]) / halfWidth[i]
            }
        }
    }
}
