// Encoder identity: what makes a stream's tokens. Two weights files with the same identity write the same
// tokens for the same frames, so any decoder trained on one encoder's tokens can read every stream that encoder
// wrote (docs/model.md, "Encoder identity"). training/vtok_model/weights.py `encoder_identity` computes the same bytes:
//
//   "vtok-encoder/1\n"
//   "levels 8,8,8,5,5,5\n" "temporal_factor 4\n" "spatial_factor 8\n"
//   "fsq_eps <f32 bits, little-endian, hex>\n" "norm_eps <same>\n"
//   one line per encoder op: kind and fields in config order, e.g. "conv enc.conv_in 192 64 1 3\n"
//   then per encoder tensor, in name-table order: "<engine name>\n" + its f32 values little-endian
//
// SHA-256 of that is `encoderSHA256`; export writes it as metadata `vtok_encoder_sha256`, checked at load.

import VtokChecksum

extension VtokModel {
    static func encoderIdentity(_ cfg: ModelConfig, file: SafeTensors) throws(WeightsError) -> [UInt8] {
        var text = "vtok-encoder/1\n"
        text += "levels \(cfg.fsqLevels.map(String.init).joined(separator: ","))\n"
        text += "temporal_factor \(cfg.temporalFactor)\nspatial_factor \(cfg.spatialFactor)\n"
        text += "fsq_eps \(f32Hex(Float(cfg.fsqEps)))\nnorm_eps \(f32Hex(Float(cfg.normEps)))\n"
        var names: [String] = []
        for op in cfg.encoder {
            text += line(op) + "\n"
            switch op {
            case let .conv(name, _, _, _, _): names += ["\(name).weight", "\(name).bias"]
            case let .res(name, _, _):
                for sub in ["1", "2"] {
                    names += ["\(name).norm\(sub).weight", "\(name).conv\(sub).weight", "\(name).conv\(sub).bias"]
                }
            case let .norm(name, _): names.append("\(name).weight")
            default: break
            }
        }
        var hasher = SHA256.Hasher()
        hasher.update(Array(text.utf8))
        for name in names {
            hasher.update(Array("\(name)\n".utf8))
            guard let e = file.entries[name] else { throw .missingTensor(name) }
            if e.dtype == "F32" {
                // Stored little-endian f32: the file's bytes are the identity's bytes, hashed in place.
                file.bytes.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[e.begin..<e.end])) }
            } else {
                let le = try file.floats(name).map { $0.bitPattern.littleEndian }   // (count,) widened
                le.withUnsafeBytes { hasher.update($0) }
            }
        }
        return hasher.finalize()
    }

    private static func f32Hex(_ v: Float) -> String {
        withUnsafeBytes(of: v.bitPattern.littleEndian) { $0.map { hexByte($0) }.joined() }
    }

    private static func hexByte(_ b: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
    }

    private static func line(_ op: Op) -> String {
        switch op {
        case let .patchify(t, s): return "patchify \(t) \(s)"
        case let .conv(name, cin, cout, kt, ks): return "conv \(name) \(cin) \(cout) \(kt) \(ks)"
        case let .res(name, c, kt): return "res \(name) \(c) \(kt)"
        case let .s2d(f): return "s2d \(f)"
        case let .d2s(f): return "d2s \(f)"
        case let .d2t(f): return "d2t \(f)"
        case let .norm(name, c): return "norm \(name) \(c)"
        case .silu: return "silu"
        case let .unpatchify(t, s): return "unpatchify \(t) \(s)"
        }
    }

    /// 32 raw bytes from 64 hex digits, or nil.
    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count == 64 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for i in stride(from: 0, to: 64, by: 2) {
            guard let hi = nibble(chars[i]), let lo = nibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// Whether this model's decoder reads tokens written under `header` identities: the stream's encoder
    /// identity when it has one (version 1.1), else the weights file it names (version 1.0): this file, or one
    /// this file declares it reads (`vtok_reads_weights_sha256`). An all-zero identity is unknown: true.
    public func decodes(encoderSHA256: [UInt8]?, weightsSHA256: [UInt8]) -> Bool {
        if let e = encoderSHA256, e.contains(where: { $0 != 0 }) { return e == self.encoderSHA256 }
        if !weightsSHA256.contains(where: { $0 != 0 }) { return true }
        return weightsSHA256 == sha256 || readsWeightsSHA256.contains(weightsSHA256)
    }
}
