// vtok_encoder_*: frames (n, H, W, 3) uint8 in, tokens (l, H/S, W/S) uint16 out, through one EncoderSession.
// Every argument and the output capacity are checked before the first frame is consumed, so a failed push leaves
// the session as it was.

import VtokEngine

typealias EncoderHandle = SessionHandle<EncoderSession>

extension SessionHandle where Session == EncoderSession {
    /// Latents completed by `n` more frames: frame 0 makes latent 0, then one per T frames.
    func latentsFor(_ n: Int) -> Int {
        guard !finished else { return 0 }
        func latents(_ frames: Int) -> Int { frames == 0 ? 0 : 1 + (frames - 1) / t }
        let before = session.framesIn
        let (after, overflow) = before.addingReportingOverflow(n)
        return overflow ? Int.max : latents(after) - latents(before)
    }

    /// Copies `latents` into the caller's arrays; never past `capacity`.
    func write(_ latents: [EncodedLatent], tokens: UnsafeMutablePointer<UInt16>?, capacity: Int, at offset: Int,
               frameCounts: UnsafeMutablePointer<Int32>?) throws(CError) -> Int {
        // Checked before: only an engine whose time contract changed under this file (latentsFor) gets here.
        guard offset + latents.count <= capacity, latents.isEmpty || tokens != nil,
              latents.allSatisfy({ $0.tokens.count == gridCount }) else {
            throw CError(.buffer, "token buffer too small for \(offset + latents.count) latents (capacity \(capacity))")
        }
        for (i, l) in latents.enumerated() {
            guard let tokens else { break }
            l.tokens.withUnsafeBufferPointer { src in
                guard let base = src.baseAddress else { return }
                (tokens + (offset + i) * gridCount).update(from: base, count: gridCount)
            }
            frameCounts?[offset + i] = Int32(clamping: l.frameCount)
        }
        return latents.count
    }
}

@_cdecl("vtok_encoder_create")
public func vtok_encoder_create(_ model: OpaquePointer?, _ width: Int32, _ height: Int32, _ backend: Int32,
                                _ threads: Int32, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status { () throws(CError) in
        guard let out else { throw CError(.argument, "vtok_encoder_create: out is NULL") }
        out.pointee = nil
        guard let m = ModelHandle.from(model) else { throw CError(.argument, "vtok_encoder_create: model is NULL") }
        let compute = try SessionCompute(backend: backend, threads: threads)
        let (w, h) = (Int(width), Int(height))
        let session = try compute.apply { (options) throws(EngineError) in
            try EncoderSession(model: m.model, width: w, height: h, compute: options)
        }
        out.pointee = EncoderHandle(session, model: m.model, width: w, height: h).retainedPointer()
    }
}

@_cdecl("vtok_encoder_free")
public func vtok_encoder_free(_ encoder: OpaquePointer?) { EncoderHandle.release(encoder) }

@_cdecl("vtok_encoder_latents_for")
public func vtok_encoder_latents_for(_ encoder: OpaquePointer?, _ n: Int64) -> Int64 {
    guard let e = try? EncoderHandle.from(encoder), n >= 0, let frames = Int(exactly: n) else { return -1 }
    return Int64(e.latentsFor(frames))
}

@_cdecl("vtok_encoder_push")
public func vtok_encoder_push(_ encoder: OpaquePointer?, _ frames: UnsafePointer<UInt8>?, _ nFrames: Int64,
                              _ tokens: UnsafeMutablePointer<UInt16>?, _ capacity: Int64,
                              _ nLatents: UnsafeMutablePointer<Int64>?,
                              _ frameCounts: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(CError) in
        guard let nLatents else { throw CError(.argument, "vtok_encoder_push: n_latents is NULL") }
        nLatents.pointee = 0
        let e = try EncoderHandle.from(encoder)
        let n = try Count.nonNegative(nFrames, "n_frames")
        let cap = try Count.nonNegative(capacity, "capacity")
        try e.exclusive { () throws(CError) in
            guard !e.finished else { throw CError(.finished, "push after finish: reset the session first") }
            guard n > 0 else { return }
            guard let frames else { throw CError(.argument, "vtok_encoder_push: frames is NULL") }
            _ = try Count.product(n, e.frameBytes, "n_frames * frame size")   // so every frame offset fits
            let need = e.latentsFor(n)
            guard need <= cap, need == 0 || tokens != nil else {
                throw CError(.buffer, "\(n) frames complete \(need) latents; the token buffer holds \(cap)")
            }
            var written = 0
            for i in 0..<n {
                let frame = UnsafeBufferPointer(start: frames + i * e.frameBytes, count: e.frameBytes)
                let out: [EncodedLatent]
                do throws(EngineError) { out = try e.session.push(frame: frame) } catch { throw CError(error) }
                written += try e.write(out, tokens: tokens, capacity: cap, at: written, frameCounts: frameCounts)
                nLatents.pointee = Int64(written)
            }
        }
    }
}

@_cdecl("vtok_encoder_finish")
public func vtok_encoder_finish(_ encoder: OpaquePointer?, _ tokens: UnsafeMutablePointer<UInt16>?, _ capacity: Int64,
                                _ nLatents: UnsafeMutablePointer<Int64>?,
                                _ frameCounts: UnsafeMutablePointer<Int32>?) -> Int32 {
    status { () throws(CError) in
        guard let nLatents else { throw CError(.argument, "vtok_encoder_finish: n_latents is NULL") }
        nLatents.pointee = 0
        let e = try EncoderHandle.from(encoder)
        let cap = try Count.nonNegative(capacity, "capacity")
        try e.exclusive { () throws(CError) in
            guard !e.finished else { return }
            let frames = e.session.framesIn
            let partial = frames > 0 && (frames - 1) % e.t != 0      // a last group short of T frames
            guard !partial || (cap >= 1 && tokens != nil) else { throw CError(.buffer, "finish needs room for 1 latent") }
            e.finished = true
            let out = e.session.finish()
            nLatents.pointee = Int64(try e.write(out, tokens: tokens, capacity: cap, at: 0, frameCounts: frameCounts))
        }
    }
}

@_cdecl("vtok_encoder_reset")
public func vtok_encoder_reset(_ encoder: OpaquePointer?) -> Int32 {
    status { () throws(CError) in
        let e = try EncoderHandle.from(encoder)
        try e.exclusive { () throws(CError) in
            e.session.reset()
            e.finished = false
        }
    }
}

@_cdecl("vtok_encoder_frames_in")
public func vtok_encoder_frames_in(_ encoder: OpaquePointer?) -> Int64 {
    guard let e = try? EncoderHandle.from(encoder) else { return -1 }
    return Int64(e.session.framesIn)
}

@_cdecl("vtok_encoder_latents_out")
public func vtok_encoder_latents_out(_ encoder: OpaquePointer?) -> Int64 {
    guard let e = try? EncoderHandle.from(encoder) else { return -1 }
    return Int64(e.session.latentsOut)
}
