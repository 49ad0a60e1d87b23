// A loaded tokeniser: config, weights in engine layout, and the file's identity. Immutable after init and
// shared by any number of EncoderSession/DecoderSession instances.

import Foundation
import VtokChecksum

public final class VtokModel: @unchecked Sendable {   // immutable after init
    public let config: ModelConfig
    /// SHA-256 of the weights file's bytes (computed in the background at load; the first read waits for it).
    public var sha256: [UInt8] { fileHash.value }
    private let fileHash: BackgroundValue<[UInt8]>
    /// The weights file's metadata (format, vtok_config, weights_layout, release info).
    public let metadata: [String: String]
    /// The encoder identity (VtokModel+Identity.swift): the same for every file whose encoder makes the same tokens.
    public let encoderSHA256: [UInt8]
    /// Weights files (sha256) whose version-1.0 streams this file's decoder reads: metadata
    /// `vtok_reads_weights_sha256`, files with the same encoder identity.
    public let readsWeightsSHA256: Set<[UInt8]>

    let patchify: (t: Int, s: Int)
    let unpatchify: (t: Int, s: Int)
    /// Decoder steps per latent: the product of its d2t factors (1 for a version-1 decoder). Each step ends
    /// in unpatchify, so a latent yields timeSteps * unpatchify.t = temporalFactor frames.
    let decoderTimeSteps: Int
    let encoderLayers: [LayerWeights]    // encoder ops after patchify
    /// The encoder's first conv split by frame slot (FrameSlots.swift), if its first op is a conv with kt 1.
    let encoderFrameSlots: FrameSlots?
    let decoderLayers: [LayerWeights]    // decoder ops before unpatchify
    /// The Winograd kernels of both networks' 3x3 layers, made on first use and shared by the sessions.
    let winogradWeights = WinogradWeights()

    /// The model's name from its config (e.g. "vtok-4x8x8").
    public var name: String { config.name }
    /// sha256 as lower-case hex.
    public var sha256Hex: String { SHA256.hex(sha256) }
    /// encoderSHA256 as lower-case hex.
    public var encoderSHA256Hex: String { SHA256.hex(encoderSHA256) }

    /// The largest weights file loaded (2 GiB; the released ones are 24-32 MB): a bigger `--model` is the wrong
    /// file, refused before memory is spent on it.
    public static let maxFileBytes = 2 << 30

    public convenience init(path: String) throws(WeightsError) {
        switch Self.readFile(path) {
        case .bytes(let bytes): try self.init(bytes: bytes)
        case .unreadable: throw .cannotRead(path: path)
        case .tooLarge(let n): throw .tooLarge(bytes: n, limit: Self.maxFileBytes)
        }
    }

    /// What reading a weights file gave. (The reader does not throw: Swift 6.3's release builds corrupted the
    /// typed error of a `throws(WeightsError)` function around a raw-memory copy, found while writing this.)
    private enum FileRead {
        case bytes([UInt8])
        case unreadable
        case tooLarge(Int)              // at least this many bytes
    }

    /// The whole file, read straight into one array (no Data to copy from); a pipe or a device is read in
    /// pieces, up to maxFileBytes.
    private static func readFile(_ path: String) -> FileRead {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .unreadable }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return .unreadable }
        guard (st.st_mode & S_IFMT) == S_IFREG else { return readStream(fd) }
        let size = Int(st.st_size)
        guard size <= maxFileBytes else { return .tooLarge(size) }
        var failed = false
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buf, count in
            count = 0
            while count < size {
                let n = read(fd, buf.baseAddress! + count, size - count)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }                 // an error, or the file shrank while being read
                count += n
            }
            failed = count != size
        }
        return failed ? .unreadable : .bytes(bytes)
    }

    private static func readStream(_ fd: Int32) -> FileRead {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return .unreadable }
            if n == 0 { return .bytes(out) }
            if out.count + n > maxFileBytes { return .tooLarge(out.count + n) }
            out += chunk[0..<n]
        }
    }

    public init(bytes: [UInt8]) throws(WeightsError) {
        let fileHash = BackgroundValue { SHA256.hash(bytes) }      // on the other core while the rest loads
        Gemm.useCallerThreadOnly()                                  // and OpenBLAS's spinning workers off it
        let file = try SafeTensors(bytes: bytes)
        guard file.metadata["format"] == "vtok-weights" else { throw .notVtokFile }
        guard let json = file.metadata["vtok_config"] else { throw .badConfig("vtok_config missing from metadata") }
        let config = try ModelConfig(json: json)
        let (p, enc, dec, u, steps) = try Self.checkGraph(config)

        var reader = WeightReader(file: file)
        var names = Set<String>()
        for op in config.encoder + config.decoder {
            switch op {
            case let .conv(name, _, _, _, _), let .res(name, _, _), let .norm(name, _):
                guard names.insert(name).inserted else { throw .invalidGraph("op name \(name) used twice") }
            default: break
            }
        }
        var encoderLayers: [LayerWeights] = []
        for op in enc { if let l = try reader.layer(op) { encoderLayers.append(l) } }
        var decoderLayers: [LayerWeights] = []
        for op in dec { if let l = try reader.layer(op) { decoderLayers.append(l) } }
        if let extra = file.entries.keys.sorted().first(where: { !reader.used.contains($0) }) {
            throw .unexpectedTensor(extra)
        }
        let identity = try Self.encoderIdentity(config, file: file)
        if let declared = file.metadata["vtok_encoder_sha256"], Self.bytes(hex: declared) != identity {
            throw .badConfig("vtok_encoder_sha256 does not match the encoder's tensors (damaged or edited file)")
        }
        var reads = Set<[UInt8]>()
        for hex in (file.metadata["vtok_reads_weights_sha256"] ?? "").split(separator: ",") {
            guard let b = Self.bytes(hex: String(hex)) else { throw .badConfig("vtok_reads_weights_sha256: not sha256 hex") }
            reads.insert(b)
        }
        self.encoderSHA256 = identity
        self.readsWeightsSHA256 = reads
        self.config = config
        self.metadata = file.metadata
        self.fileHash = fileHash
        self.patchify = p
        self.unpatchify = u
        self.decoderTimeSteps = steps
        self.encoderLayers = encoderLayers
        self.encoderFrameSlots = FrameSlots(encoderLayers, t: p.t, s: p.s)
        self.decoderLayers = decoderLayers
    }

    /// Checks that the op lists form a valid graph: encoder = patchify, ops -> latentChannels at 1/spatialFactor;
    /// decoder = ops from latentChannels at 1/spatialFactor, then unpatchify back to RGB at full size.
    private static func checkGraph(_ cfg: ModelConfig) throws(WeightsError)
        -> ((t: Int, s: Int), ArraySlice<Op>, ArraySlice<Op>, (t: Int, s: Int), Int) {
        guard case let .patchify(pt, ps)? = cfg.encoder.first else {
            throw .invalidGraph("encoder must start with patchify")
        }
        guard case let .unpatchify(ut, us)? = cfg.decoder.last else {
            throw .invalidGraph("decoder must end with unpatchify")
        }
        guard pt == cfg.temporalFactor else { throw .invalidGraph("patchify t must equal temporal_factor") }
        let enc = cfg.encoder.dropFirst()
        let dec = cfg.decoder.dropLast()
        var c = 3 * pt * ps * ps, scale = ps               // channels, and input pixels per activation pixel
        var steps = 1                                      // time steps per latent
        try walk(enc, &c, &scale, &steps, "encoder")
        guard steps == 1 else { throw .invalidGraph("encoder: d2t is a decoder op") }
        guard c == cfg.latentChannels, scale == cfg.spatialFactor else {
            throw .invalidGraph("encoder ends with \(c) channels at 1/\(scale); expected \(cfg.latentChannels) at 1/\(cfg.spatialFactor)")
        }
        c = cfg.latentChannels; scale = cfg.spatialFactor
        try walk(dec, &c, &scale, &steps, "decoder")
        guard c == 3 * ut * us * us, scale == us else {
            throw .invalidGraph("decoder ends with \(c) channels at 1/\(scale); unpatchify needs \(3 * ut * us * us) at 1/\(us)")
        }
        guard steps * ut == cfg.temporalFactor else {
            throw .invalidGraph("decoder yields \(steps * ut) frames per latent; temporal_factor is \(cfg.temporalFactor)")
        }
        return ((pt, ps), enc, dec, (ut, us), steps)
    }

    private static func walk(_ ops: ArraySlice<Op>, _ c: inout Int, _ scale: inout Int, _ steps: inout Int,
                             _ side: String) throws(WeightsError) {
        for op in ops {
            switch op {
            case .patchify, .unpatchify:
                throw .invalidGraph("\(side): patchify/unpatchify only at the ends")
            case let .conv(name, cin, cout, kt, ks):
                guard cin == c else { throw .invalidGraph("\(name): cin \(cin) but input has \(c) channels") }
                guard ks % 2 == 1, kt <= 64, ks <= 31 else { throw .invalidGraph("\(name): kernel must be odd and small") }
                c = cout
            case let .res(name, rc, kt):
                guard rc == c, kt <= 64 else { throw .invalidGraph("\(name): c \(rc) but input has \(c) channels") }
            case let .norm(name, nc):
                guard nc == c else { throw .invalidGraph("\(name): c \(nc) but input has \(c) channels") }
            case .silu: break
            case let .s2d(f):
                c *= f * f; scale *= f
            case let .d2s(f):
                guard c % (f * f) == 0, scale % f == 0 else { throw .invalidGraph("\(side): d2s by \(f) does not fit") }
                c /= f * f; scale /= f
            case let .d2t(f):
                guard c % f == 0, steps <= 256 else { throw .invalidGraph("\(side): d2t by \(f) does not fit") }
                c /= f; steps *= f
            }
            guard c <= 1 << 16, scale <= 1 << 12 else { throw .invalidGraph("\(side): implausible sizes") }
        }
    }
}
