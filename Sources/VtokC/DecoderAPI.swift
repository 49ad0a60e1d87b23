// vtok_decoder_*: tokens (l, H/S, W/S) uint16 in, frames (n, H, W, 3) uint8 out, through one DecoderSession.
// All tokens and the output capacity are checked before the first latent is decoded; latents then go through
// the session one at a time, so memory stays at one latent's frames whatever l is.

import VtokEngine

typealias DecoderHandle = SessionHandle<DecoderSession>

extension SessionHandle where Session == DecoderSession {
    /// Frames yielded by `n` more latents: latent 0 gives 1, every later one T.
    func framesFor(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        let (full, overflow) = n.multipliedReportingOverflow(by: t)
        if overflow { return Int.max }
        return session.latentsIn == 0 ? full - (t - 1) : full
    }
}

@_cdecl("vtok_decoder_create")
public func vtok_decoder_create(_ model: OpaquePointer?, _ width: Int32, _ height: Int32, _ backend: Int32,
                                _ threads: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status { () throws(CError) in
        guard let out else { throw CError(.argument, "vtok_decoder_create: out is NULL") }
        out.pointee = nil
        guard let m = ModelHandle.from(model) else { throw CError(.argument, "vtok_decoder_create: model is NULL") }
        let compute = try SessionCompute(backend: backend, threads: threads)
        let (w, h) = (Int(width), Int(height))
        let session = try compute.apply { (options) throws(EngineError) in
            try DecoderSession(model: m.model, width: w, height: h, compute: options)
        }
        out.pointee = DecoderHandle(session, model: m.model, width: w, height: h).retainedPointer()
    }
}

@_cdecl("vtok_decoder_free")
public func vtok_decoder_free(_ decoder: OpaquePointer?) { DecoderHandle.release(decoder) }

@_cdecl("vtok_decoder_frames_for")
public func vtok_decoder_frames_for(_ decoder: OpaquePointer?, _ n: Int64) -> Int64 {
    guard let d = try? DecoderHandle.from(decoder), n >= 0, let latents = Int(exactly: n) else { return -1 }
    return Int64(d.framesFor(latents))
}

@_cdecl("vtok_decoder_push")
public func vtok_decoder_push(_ decoder: OpaquePointer?, _ tokens: UnsafePointer<UInt16>?, _ nLatents: Int64,
                              _ frames: UnsafeMutablePointer<UInt8>?, _ capacity: Int64,
                              _ nFrames: UnsafeMutablePointer<Int64>?) -> Int32 {
    status { () throws(CError) in
        guard let nFrames else { throw CError(.argument, "vtok_decoder_push: n_frames is NULL") }
        nFrames.pointee = 0
        let d = try DecoderHandle.from(decoder)
        let n = try Count.nonNegative(nLatents, "n_latents")
        let cap = try Count.nonNegative(capacity, "capacity")
        try d.exclusive { () throws(CError) in
            guard n > 0 else { return }
            guard let tokens else { throw CError(.argument, "vtok_decoder_push: tokens is NULL") }
            let count = try Count.product(n, d.gridCount, "n_latents * grid size")
            let need = d.framesFor(n)
            guard need <= cap, let frames else {
                throw CError(.buffer, "\(n) latents yield \(need) frames; the frame buffer holds \(cap)")
            }
            _ = try Count.product(need, d.frameBytes, "frames * frame size")
            let all = UnsafeBufferPointer(start: tokens, count: count)
            let vocab = d.session.model.config.vocabularySize
            if let bad = all.first(where: { Int($0) >= vocab }) {
                throw CError(.tokenRange, "token \(bad) is not below the vocabulary size \(vocab)")
            }
            var written = 0
            for k in 0..<n {
                let latent = Array(all[(k * d.gridCount)..<((k + 1) * d.gridCount)])
                let out: [DecodedFrame]
                do throws(EngineError) { out = try d.session.push(tokens: latent) } catch { throw CError(error) }
                guard written + out.count <= cap, out.allSatisfy({ $0.rgb.count == d.frameBytes }) else {
                    // Only if the engine's time contract changed under this file (framesFor): never drop frames.
                    throw CError(.buffer, "latent \(k) yielded \(out.count) frames, more than predicted")
                }
                for f in out {
                    f.rgb.withUnsafeBufferPointer { src in
                        guard let base = src.baseAddress else { return }
                        (frames + written * d.frameBytes).update(from: base, count: d.frameBytes)
                    }
                    written += 1
                }
                nFrames.pointee = Int64(written)
            }
        }
    }
}

@_cdecl("vtok_decoder_reset")
public func vtok_decoder_reset(_ decoder: OpaquePointer?) -> Int32 {
    status { () throws(CError) in
        let d = try DecoderHandle.from(decoder)
        try d.exclusive { () throws(CError) in d.session.reset() }
    }
}

@_cdecl("vtok_decoder_latents_in")
public func vtok_decoder_latents_in(_ decoder: OpaquePointer?) -> Int64 {
    guard let d = try? DecoderHandle.from(decoder) else { return -1 }
    return Int64(d.session.latentsIn)
}
