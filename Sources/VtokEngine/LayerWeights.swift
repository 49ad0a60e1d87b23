// Engine-side weights of one op, in the layouts the kernels use. Layout conversion happened at export
// (training/export.py); loading only checks shapes and widens to Float32.
//
// Name table (engine tensor name, from the config op name N; see export.py):
//   conv N:  N.weight (kt, ks, ks, cin, cout), N.bias (cout)
//   res  N:  N.norm1.weight (c), N.conv1.weight (kt, 3, 3, c, c), N.conv1.bias (c),
//            N.norm2.weight (c), N.conv2.weight (1, 3, 3, c, c), N.conv2.bias (c)
//   norm N:  N.weight (c)

/// A causal conv's parameters. weight is (kt, ks, ks, cin, cout) = row-major (K, cout) with K = kt*ks*ks*cin,
/// so a conv is im2col rows (dt, dy, dx, ci) times this matrix.
struct ConvWeights {
    let cin: Int
    let cout: Int
    let kt: Int
    let ks: Int
    let weight: FloatBuffer     // (kt, ks, ks, cin, cout) == (K, cout) row-major
    let bias: FloatBuffer       // (cout,)
    var k: Int { kt * ks * ks * cin }
}

/// One op of the encoder or decoder with its weights, as the session graph consumes it.
enum LayerWeights {
    case conv(ConvWeights)
    case res(norm1: FloatBuffer, conv1: ConvWeights, norm2: FloatBuffer, conv2: ConvWeights)  // norms (c,)
    case norm(FloatBuffer)                                                                     // (c,)
    case silu
    case s2d(f: Int)
    case d2s(f: Int)
    case d2t(f: Int)
}

/// Pulls the tensors an op list needs out of a file, checking names and shapes.
struct WeightReader {
    let file: SafeTensors
    private(set) var used: Set<String> = []

    init(file: SafeTensors) { self.file = file }

    mutating func tensor(_ name: String, _ shape: [Int]) throws(WeightsError) -> FloatBuffer {
        guard let e = file.entries[name] else { throw .missingTensor(name) }
        guard e.shape == shape else { throw .wrongShape(tensor: name, expected: shape, found: e.shape) }
        used.insert(name)
        let values = try file.floats(name)
        // A flipped exponent bit or a diverged export: NaN and infinities would reach FSQ; refuse them here.
        if let i = values.firstIndex(where: { !$0.isFinite }) { throw .nonFiniteValue(tensor: name, index: i) }
        return FloatBuffer(values)
    }

    mutating func conv(_ name: String, cin: Int, cout: Int, kt: Int, ks: Int) throws(WeightsError) -> ConvWeights {
        ConvWeights(cin: cin, cout: cout, kt: kt, ks: ks,
                    weight: try tensor("\(name).weight", [kt, ks, ks, cin, cout]),
                    bias: try tensor("\(name).bias", [cout]))
    }

    mutating func layer(_ op: Op) throws(WeightsError) -> LayerWeights? {
        switch op {
        case let .conv(name, cin, cout, kt, ks):
            return .conv(try conv(name, cin: cin, cout: cout, kt: kt, ks: ks))
        case let .res(name, c, kt):
            return .res(norm1: try tensor("\(name).norm1.weight", [c]),
                        conv1: try conv("\(name).conv1", cin: c, cout: c, kt: kt, ks: 3),
                        norm2: try tensor("\(name).norm2.weight", [c]),
                        conv2: try conv("\(name).conv2", cin: c, cout: c, kt: 1, ks: 3))
        case let .norm(name, c): return .norm(try tensor("\(name).weight", [c]))
        case .silu: return .silu
        case let .s2d(f): return .s2d(f: f)
        case let .d2s(f): return .d2s(f: f)
        case let .d2t(f): return .d2t(f: f)
        case .patchify, .unpatchify: return nil
        }
    }
}
