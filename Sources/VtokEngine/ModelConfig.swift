// The architecture config that travels inside the weights file (metadata `vtok_config`, versions 1 and 2); see
// training/vtok_model/config.py. The encoder and decoder are flat op lists; the engine builds its graph from
// them, never from hard-coded shapes.

import Foundation

/// One op of an encoder or decoder list. Tensors are (t, h, w, c) channels-last in the engine.
public enum Op: Equatable, Sendable {
    /// (4 frames, H, W, 3) -> (1, H/s, W/s, 3*t*s*s); channel = ((c*t + dt)*s + dy)*s + dx. Encoder's first op.
    case patchify(t: Int, s: Int)
    /// Causal conv with kernel (kt, ks, ks): kt-1 past frames (zeros at stream start), zero 'same' padding.
    case conv(name: String, cin: Int, cout: Int, kt: Int, ks: Int)
    /// x + conv2(silu(norm2(conv1(silu(norm1(x)))))), conv1 (kt,3,3), conv2 (1,3,3).
    case res(name: String, c: Int, kt: Int)
    /// (h, w, c) -> (h/f, w/f, c*f*f); out channel = (c*f + dy)*f + dx.
    case s2d(f: Int)
    /// Inverse of s2d: (h, w, c*f*f) -> (h*f, w*f, c).
    case d2s(f: Int)
    /// Depth to time (version 2, decoder only): one step (h, w, c*f) -> f steps (h, w, c), step dt taking
    /// channels c*f + dt. The ops after it run f times per step of the ops before it.
    case d2t(f: Int)
    /// RMS norm over channels at each position, with a per-channel weight.
    case norm(name: String, c: Int)
    case silu
    /// Inverse of patchify: (h, w, 3*t*s*s) -> (t frames, h*s, w*s, 3). Decoder's last op.
    case unpatchify(t: Int, s: Int)
}

/// The parsed `vtok_config`.
public struct ModelConfig: Equatable, Sendable {
    /// The versions this engine reads: 1 (the first decoder) and 2 (adds d2t).
    public static let supportedVersions = 1...2

    public let name: String
    public let version: Int
    public let fsqLevels: [Int]
    public let temporalFactor: Int
    public let spatialFactor: Int
    public let normEps: Double
    public let fsqEps: Double
    public let encoder: [Op]
    public let decoder: [Op]

    /// Number of latent channels (one per FSQ level).
    public var latentChannels: Int { fsqLevels.count }
    /// Number of distinct tokens, prod(fsqLevels).
    public var vocabularySize: Int { fsqLevels.reduce(1, *) }

    /// Parses the JSON text of `vtok_config`. Only structure is checked here; VtokModel checks the graph.
    public init(json text: String) throws(WeightsError) {
        let any: Any
        do {
            any = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [])
        } catch {
            throw .badConfig("vtok_config is not valid JSON")
        }
        guard let raw = any as? [String: Any] else { throw .badConfig("vtok_config is not a JSON object") }
        guard let version = Self.int(raw["version"]) else { throw .badConfig("version missing") }
        guard Self.supportedVersions.contains(version) else { throw .unsupportedConfigVersion(version) }
        if let fg = raw["first_group"] as? String, fg != "replicate" {
            throw .badConfig("first_group \(fg) is not defined")
        }
        if let cp = raw["causal_padding"] as? String, cp != "zeros" {
            throw .badConfig("causal_padding \(cp) is not defined")
        }
        if let pr = raw["pixel_range"] as? String, pr != "rgb_minus1_1" {
            throw .badConfig("pixel_range \(pr) is not defined")
        }
        guard let levelsAny = raw["fsq_levels"] as? [Any] else { throw .badConfig("fsq_levels missing") }
        let levels = levelsAny.compactMap(Self.int)
        // Each level 2...65535 and at most 16 of them, as a stream header carries them (docs/token-stream.md
        // §4.1); the product is checked as it grows, so no list of levels can overflow it.
        guard levels.count == levelsAny.count, (1...16).contains(levels.count),
              levels.allSatisfy({ (2...65_535).contains($0) }),
              levels.reduce(1, { $0 > 1 << 16 ? $0 : $0 * $1 }) <= 1 << 16
        else { throw .badConfig("fsq_levels must be 1 to 16 integers in 2...65535 with a product <= 65536") }
        guard let tf = Self.int(raw["temporal_factor"]), let sf = Self.int(raw["spatial_factor"]),
              (1...64).contains(tf), (1...256).contains(sf)
        else { throw .badConfig("temporal_factor or spatial_factor missing or out of range") }
        guard let normEps = raw["norm_eps"] as? Double, let fsqEps = raw["fsq_eps"] as? Double,
              normEps >= 0, fsqEps >= 0, fsqEps < 1
        else { throw .badConfig("norm_eps or fsq_eps missing or out of range") }
        guard let enc = raw["encoder"] as? [Any], let dec = raw["decoder"] as? [Any] else {
            throw .badConfig("encoder or decoder op list missing")
        }
        self.name = raw["name"] as? String ?? "unnamed"
        self.version = version
        self.fsqLevels = levels
        self.temporalFactor = tf
        self.spatialFactor = sf
        self.normEps = normEps
        self.fsqEps = fsqEps
        self.encoder = try Self.ops(enc)
        self.decoder = try Self.ops(dec)
        if version < 2, (encoder + decoder).contains(where: { if case .d2t = $0 { return true } else { return false } }) {
            throw .badConfig("op d2t needs config version 2")
        }
    }

    private static func int(_ v: Any?) -> Int? {
        guard let d = v as? Double, d == d.rounded(), abs(d) < 1e9 else { return nil }
        return Int(d)
    }

    private static func ops(_ list: [Any]) throws(WeightsError) -> [Op] {
        var out: [Op] = []
        for item in list {
            guard let o = item as? [String: Any], let kind = o["op"] as? String else {
                throw .badConfig("an op is not an object with an \"op\" field")
            }
            func n(_ key: String) throws(WeightsError) -> Int {
                guard let v = int(o[key]), v >= 1, v <= 1 << 16 else { throw .badConfig("op \(kind): bad \(key)") }
                return v
            }
            func name() throws(WeightsError) -> String {
                guard let s = o["name"] as? String, !s.isEmpty else { throw .badConfig("op \(kind): missing name") }
                return s
            }
            switch kind {
            case "patchify": out.append(.patchify(t: try n("t"), s: try n("s")))
            case "unpatchify": out.append(.unpatchify(t: try n("t"), s: try n("s")))
            case "conv":
                out.append(.conv(name: try name(), cin: try n("cin"), cout: try n("cout"), kt: try n("kt"), ks: try n("ks")))
            case "res": out.append(.res(name: try name(), c: try n("c"), kt: try n("kt")))
            case "s2d": out.append(.s2d(f: try n("f")))
            case "d2s": out.append(.d2s(f: try n("f")))
            case "d2t": out.append(.d2t(f: try n("f")))
            case "norm": out.append(.norm(name: try name(), c: try n("c")))
            case "silu": out.append(.silu)
            default: throw .unknownOp(kind)
            }
        }
        return out
    }
}
