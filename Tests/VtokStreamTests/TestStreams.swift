// Shared test content: the reference streams of docs/token-stream.md §9 and a reader driver.
@testable import VtokStream

/// What reading produced: an event, or an error `next()` threw.
enum Outcome: Equatable {
    case event(StreamEvent)
    case thrown(StreamError)
}

/// Reads `bytes` fed in chunks of `chunk` bytes (or the sizes `sizes` cycles through), then finishes.
func readAll(_ bytes: [UInt8], chunk: Int = Int.max, sizes: [Int] = []) -> (outcomes: [Outcome], final: StreamError?) {
    var r = StreamReader()
    var out: [Outcome] = []
    var i = 0, k = 0
    func drain(_ r: inout StreamReader) {
        while true {
            do {
                guard let e = try r.next() else { return }
                out.append(.event(e))
            } catch {
                out.append(.thrown(error))
            }
        }
    }
    while i < bytes.count {
        let n = sizes.isEmpty ? chunk : sizes[k % sizes.count]
        k += 1
        let j = min(bytes.count, i + max(1, min(n, bytes.count)))
        r.feed(bytes[i..<j])
        i = j
        drain(&r)
    }
    drain(&r)
    return (out, r.finish())
}

extension Array where Element == Outcome {
    var tokenFrames: [TokenFrame] {
        compactMap { if case .event(.tokens(let f)) = $0 { return f } else { return nil } }
    }
    var headers: [StreamHeader] {
        compactMap { if case .event(.header(let h)) = $0 { return h } else { return nil } }
    }
}

/// The reference streams of §9, written call by call so tests can cut them at packet boundaries.
enum Reference {
    /// `(1009*l + 97*y + 13*x) % 64000` over an h x w grid, row-major.
    static func tokens(latent l: Int, h: Int, w: Int) -> [UInt16] {
        var t: [UInt16] = []
        for y in 0..<h { for x in 0..<w { t.append(UInt16((1009 * l + 97 * y + 13 * x) % 64000)) } }
        return t
    }

    /// `10*l + y + x/4 + ch/64 - 3` over (h, w, c), channels-last. Exact in f32.
    static func latents(latent l: Int, h: Int, w: Int, c: Int) -> [Float] {
        var v: [Float] = []
        for y in 0..<h { for x in 0..<w { for ch in 0..<c {
            v.append(Float(10 * l + y) + Float(x) / 4 + Float(ch) / 64 - 3)
        } } }
        return v
    }

    static func header(model: String = "vtok-test", h: Int, w: Int, source: StreamHeader.Size,
                       rate: StreamHeader.Rational = .init(30000, 1001), base: StreamHeader.Rational = .init(1, 90000),
                       id: UInt8, flags: StreamHeader.Flags = []) -> StreamHeader {
        StreamHeader(modelName: model, weightsSHA256: (0..<32).map(UInt8.init), levels: [8, 8, 8, 5, 5, 5],
                     temporalFactor: 4, spatialFactor: 8, latentHeight: h, latentWidth: w, sourceSize: source,
                     frameRate: rate, timeBase: base, streamID: (0..<16).map { id &+ UInt8($0) }, flags: flags)
    }

    /// Splits frame pts into latent groups: [first], then groups of 4, the last possibly shorter.
    static func groups(_ pts: [Int64]) -> [[Int64]] {
        var g: [[Int64]] = [[pts[0]]]
        var i = 1
        while i < pts.count { g.append(Array(pts[i..<min(i + 4, pts.count)])); i += 4 }
        return g
    }

    /// basic.vtok, as the list of byte chunks each writer call returned.
    static func basicChunks() throws -> [[UInt8]] {
        let hd = header(h: 4, w: 6, source: .init(width: 640, height: 360), id: 0xA0)
        var w = try StreamWriter(header: hd, headerRepeatInterval: 2)
        var out = [w.begin()]
        let pts = (0..<11).map { Int64(3003 * $0 + $0 * $0) }
        for (l, g) in groups(pts).enumerated() {
            out.append(try w.tokensPacket(pts: g, tokens: tokens(latent: l, h: 4, w: 6)))
        }
        out.append(w.endPacket(reason: .endOfInput, message: "ok"))
        return out
    }

    /// latents.vtok.
    static func latentsStream() throws -> [UInt8] {
        let hd = header(model: "vtok-test-latents", h: 2, w: 3, source: .init(width: 640, height: 360), id: 0xB0,
                        flags: .continuousLatents)
        var w = try StreamWriter(header: hd, headerRepeatInterval: 0)
        var out = w.begin()
        let pts = (0..<5).map { Int64(1000 + 3003 * $0) }
        for (l, g) in groups(pts).enumerated() {
            out += try w.tokensPacket(pts: g, tokens: tokens(latent: l, h: 2, w: 3),
                                      latents: latents(latent: l, h: 2, w: 3, c: 6))
        }
        out += w.endPacket(reason: .limitExceeded, message: "frame limit 5 reached")
        return out
    }

    /// segments.vtok.
    static func segmentsStream() throws -> [UInt8] {
        let rate = StreamHeader.Rational(25, 1), base = StreamHeader.Rational(1, 1000)
        let h0 = header(h: 2, w: 2, source: .init(width: 160, height: 120), rate: rate, base: base, id: 0xC0)
        let h1 = header(h: 3, w: 2, source: .init(width: 200, height: 300), rate: rate, base: base, id: 0xC0)
        var w = try StreamWriter(header: h0, headerRepeatInterval: 1)
        var out = w.begin()
        out += try w.tokensPacket(pts: [0], tokens: tokens(latent: 0, h: 2, w: 2))
        out += try w.tokensPacket(pts: [40, 80], tokens: tokens(latent: 1, h: 2, w: 2))
        out += try w.newSegment(h1)
        out += try w.tokensPacket(pts: [120], tokens: tokens(latent: 0, h: 3, w: 2))
        out += try w.extensionPacket(type: PacketType(rawValue: 64), payload: [0xDE, 0xAD, 0xBE, 0xEF])
        out += try w.tokensPacket(pts: [160, 200, 240, 280], tokens: tokens(latent: 1, h: 3, w: 2),
                                  flags: .discontinuity)
        out += w.endPacket(reason: .shutdown, message: "arrêt — shutdown")
        return out
    }

    static func basic() throws -> [UInt8] { try basicChunks().flatMap { $0 } }

    /// damaged.vtok: ASCII `garbage`, then basic.vtok with bit 4 of the byte at offset 5 of the second
    /// TOKENS packet's tokens flipped, and the last 5 bytes (of END) cut off.
    static func damaged() throws -> [UInt8] {
        let chunks = try basicChunks()
        var bytes = Array(chunks.joined())
        bytes[chunks[0].count + chunks[1].count + 32 + 16 + 8 * 4 + 5] ^= 0x10
        return Array("garbage".utf8) + bytes.dropLast(5)
    }
}
