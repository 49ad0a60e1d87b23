// Pure data movement between layouts, all channels-last. Channel orders follow layers.py exactly:
//   patchify    channel = ((c*t + dt)*s + dy)*s + dx     (c = RGB channel, dt = frame within the group)
//   s2d         channel = (c*f + dy)*f + dx
//   d2s, unpatchify: the exact inverses.
//   d2t         step dt takes channel c*f + dt

enum Rearrange {
    /// Scatters one RGB frame (H, W, 3) uint8 into slot dt of a patchified group (H/s, W/s, 3*t*s*s),
    /// mapping v -> v / 127.5 - 1.
    static func patchifyFrame(_ rgb: UnsafeBufferPointer<UInt8>, height: Int, width: Int, t: Int, s: Int, dt: Int,
                              into out: UnsafeMutablePointer<Float>) {
        let pw = width / s, ch = 3 * t * s * s
        for y in 0..<height {
            let py = y / s, dy = y % s
            for x in 0..<width {
                let px = x / s, dx = x % s
                let src = (y * width + x) * 3
                let dst = out + (py * pw + px) * ch + dy * s + dx
                for c in 0..<3 {
                    dst[(c * t + dt) * s * s] = Float(rgb[src + c]) / 127.5 - 1
                }
            }
        }
    }

    /// Copies group slot `from` to slot `to` in a patchified group (h, w, 3*t*s*s): used to replicate frames.
    static func copySlot(_ buf: UnsafeMutablePointer<Float>, positions n: Int, t: Int, s: Int, from: Int, to: Int) {
        let ch = 3 * t * s * s, block = s * s
        for p in 0..<n {
            let row = buf + p * ch
            for c in 0..<3 { (row + (c * t + to) * block).update(from: row + (c * t + from) * block, count: block) }
        }
    }

    /// (h, w, c) -> (h/f, w/f, c*f*f).
    static func spaceToDepth(_ x: Frame, f: Int, into out: Frame) {
        let oh = x.h / f, ow = x.w / f, c = x.c, oc = c * f * f
        for oy in 0..<oh {
            for ox in 0..<ow {
                let dst = out.data + (oy * ow + ox) * oc
                for dy in 0..<f {
                    for dx in 0..<f {
                        let src = x.data + ((oy * f + dy) * x.w + ox * f + dx) * c
                        let base = dy * f + dx
                        for ci in 0..<c { dst[ci * f * f + base] = src[ci] }
                    }
                }
            }
        }
    }

    /// (h, w, c*f*f) -> (h*f, w*f, c).
    static func depthToSpace(_ x: Frame, f: Int, into out: Frame) {
        let c = x.c / (f * f), ow = x.w * f
        for y in 0..<x.h {
            for xx in 0..<x.w {
                let src = x.data + (y * x.w + xx) * x.c
                for dy in 0..<f {
                    for dx in 0..<f {
                        let dst = out.data + ((y * f + dy) * ow + xx * f + dx) * c
                        let base = dy * f + dx
                        for ci in 0..<c { dst[ci] = src[ci * f * f + base] }
                    }
                }
            }
        }
    }

    /// Time step dt of a depth-to-time by f: (h, w, c*f) -> (h, w, c), out[c] = x[c*f + dt].
    static func depthToTime(_ x: Frame, f: Int, dt: Int, into out: Frame) {
        let c = out.c
        for p in 0..<(x.h * x.w) {
            let src = x.data + p * x.c + dt, dst = out.data + p * c
            for ci in 0..<c { dst[ci] = src[ci * f] }
        }
    }

    /// Slot dt of an unpatchified group: (h, w, 3*t*s*s) -> one frame (h*s, w*s, 3), both as floats in [-1, 1]
    /// units (unclamped) if `floats` is given and as uint8 = clamp(round((y + 1) * 127.5), 0, 255).
    static func unpatchifyFrame(_ x: Frame, t: Int, s: Int, dt: Int,
                                rgb: UnsafeMutablePointer<UInt8>, floats: UnsafeMutablePointer<Float>?) {
        let width = x.w * s
        for py in 0..<x.h {
            for px in 0..<x.w {
                let src = x.data + (py * x.w + px) * x.c
                for dy in 0..<s {
                    for dx in 0..<s {
                        let o = ((py * s + dy) * width + px * s + dx) * 3
                        for c in 0..<3 {
                            let v = src[((c * t + dt) * s + dy) * s + dx]
                            floats?[o + c] = v
                            rgb[o + c] = toByte(v)
                        }
                    }
                }
            }
        }
    }

    @inline(__always) static func toByte(_ v: Float) -> UInt8 {
        let q = ((v + 1) * 127.5).rounded(.toNearestOrEven)
        return q >= 255 ? 255 : (q > 0 ? UInt8(q) : 0)   // also maps NaN to 0
    }
}
