// A safetensors reader over an in-memory byte array. Format: an 8-byte little-endian header length n, n bytes
// of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian tensor data; offsets are relative to the start of the data section.
// Every field is checked: a damaged file gives a WeightsError, never a crash.

import Foundation

/// One tensor's entry in the header.
struct TensorEntry: Sendable {
    let dtype: String
    let shape: [Int]
    let begin: Int      // absolute byte offset in the file
    let end: Int        // absolute, exclusive
    var count: Int { shape.reduce(1, *) }
}

struct SafeTensors {
    let bytes: [UInt8]
    let metadata: [String: String]
    let entries: [String: TensorEntry]

    static let maxHeaderLength = 64 << 20

    static func elementSize(_ dtype: String) -> Int? {
        switch dtype {
        case "F64", "I64", "U64": return 8
        case "F32", "I32", "U32": return 4
        case "F16", "BF16", "I16", "U16": return 2
        case "I8", "U8", "BOOL": return 1
        default: return nil
        }
    }

    init(bytes: [UInt8]) throws(WeightsError) {
        guard bytes.count >= 8 else { throw .truncated(needed: 8, available: bytes.count) }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(Self.maxHeaderLength) else { throw .badHeader("header length \(n) is implausible") }
        let headerEnd = 8 + Int(n)
        guard headerEnd <= bytes.count else { throw .truncated(needed: headerEnd, available: bytes.count) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(bytes[8..<headerEnd]), options: [])
        } catch {
            throw .badHeader("header is not valid JSON")
        }
        guard let root = json as? [String: Any] else { throw .badHeader("header is not a JSON object") }

        var metadata: [String: String] = [:]
        var entries: [String: TensorEntry] = [:]
        for (name, value) in root {
            if name == "__metadata__" {
                guard let meta = value as? [String: Any] else { throw .badHeader("__metadata__ is not an object") }
                for (k, v) in meta {
                    guard let s = v as? String else { throw .badHeader("__metadata__.\(k) is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let obj = value as? [String: Any], let dtype = obj["dtype"] as? String,
                  let shapeAny = obj["shape"] as? [Any], let offAny = obj["data_offsets"] as? [Any]
            else { throw .badHeader("tensor \(name) lacks dtype, shape or data_offsets") }
            let shape = try Self.ints(shapeAny, name)
            let offsets = try Self.ints(offAny, name)
            guard offsets.count == 2, shape.allSatisfy({ $0 >= 0 && $0 < 1 << 31 }) else {
                throw .badHeader("tensor \(name) has a malformed shape or data_offsets")
            }
            guard offsets[0] >= 0, offsets[0] <= offsets[1], offsets[1] <= bytes.count - headerEnd else {
                throw .badOffsets(tensor: name)
            }
            var count = 1
            for d in shape {
                let (p, overflow) = count.multipliedReportingOverflow(by: d)
                guard !overflow, p < 1 << 40 else { throw .badHeader("tensor \(name) is implausibly large") }
                count = p
            }
            if let size = Self.elementSize(dtype), offsets[1] - offsets[0] != count * size {
                throw .badOffsets(tensor: name)
            }
            entries[name] = TensorEntry(dtype: dtype, shape: shape,
                                        begin: headerEnd + offsets[0], end: headerEnd + offsets[1])
        }
        // No two tensors may share bytes.
        let sorted = entries.sorted { $0.value.begin < $1.value.begin }
        for i in sorted.indices.dropFirst() where sorted[i].value.begin < sorted[i - 1].value.end {
            throw .badOffsets(tensor: sorted[i].key)
        }
        self.bytes = bytes
        self.metadata = metadata
        self.entries = entries
    }

    private static func ints(_ values: [Any], _ name: String) throws(WeightsError) -> [Int] {
        var out: [Int] = []
        for v in values {
            // JSONSerialization gives NSNumber; reject fractions and huge values.
            guard let d = v as? Double, d == d.rounded(), abs(d) < 9e15 else {
                throw .badHeader("tensor \(name) has a non-integer shape or offset")
            }
            out.append(Int(d))
        }
        return out
    }

    /// The tensor's values as Float32 (F32 as is; F16 and BF16 widened). Other dtypes are an error.
    func floats(_ name: String) throws(WeightsError) -> [Float] {
        guard let e = entries[name] else { throw .missingTensor(name) }
        var out = [Float](repeating: 0, count: e.count)
        bytes.withUnsafeBytes { raw in
            switch e.dtype {
            case "F32":
                for i in 0..<e.count {
                    out[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: e.begin + 4 * i, as: UInt32.self)))
                }
            case "BF16":
                for i in 0..<e.count {
                    let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: e.begin + 2 * i, as: UInt16.self))
                    out[i] = Float(bitPattern: UInt32(h) << 16)
                }
            case "F16":
                for i in 0..<e.count {
                    let h = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: e.begin + 2 * i, as: UInt16.self))
                    out[i] = Self.halfToFloat(h)
                }
            default:
                break
            }
        }
        guard ["F32", "BF16", "F16"].contains(e.dtype) else { throw .unsupportedDType(tensor: name, dtype: e.dtype) }
        return out
    }

    /// Raw bytes of a U8 tensor.
    func uint8s(_ name: String) throws(WeightsError) -> [UInt8] {
        guard let e = entries[name] else { throw .missingTensor(name) }
        guard e.dtype == "U8" else { throw .unsupportedDType(tensor: name, dtype: e.dtype) }
        return Array(bytes[e.begin..<e.end])
    }

    /// Values of an I32 tensor.
    func int32s(_ name: String) throws(WeightsError) -> [Int32] {
        guard let e = entries[name] else { throw .missingTensor(name) }
        guard e.dtype == "I32" else { throw .unsupportedDType(tensor: name, dtype: e.dtype) }
        return bytes.withUnsafeBytes { raw in
            (0..<e.count).map { Int32(littleEndian: raw.loadUnaligned(fromByteOffset: e.begin + 4 * $0, as: Int32.self)) }
        }
    }

    /// IEEE 754 binary16 -> binary32, including subnormals, infinities and NaN.
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1f)
        let mant = UInt32(h & 0x3ff)
        if exp == 0 {
            let v = Float(mant) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (mant << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (mant << 13))
    }
}
