// The HEADER payload as bytes, both ways (docs/token-stream.md §4.1).

extension StreamHeader {
    /// The HEADER payload (§4.1), written as version `StreamFormat.versionMajor.versionMinor`.
    /// The caller has checked `violation() == nil`.
    func encodePayload() -> [UInt8] {
        var out = [UInt8]()
        let name = Array(modelName.utf8)
        out.reserveCapacity(StreamFormat.headerFixedSize + 2 * levels.count + name.count)
        out.append(contentsOf: StreamFormat.headerMagic)
        out.appendLE(StreamFormat.versionMajor)
        out.appendLE(StreamFormat.versionMinor)
        out.appendLE(flags.rawValue)
        out.appendLE(UInt32(segment))
        out.append(contentsOf: streamID)
        out.append(contentsOf: weightsSHA256)
        out.appendLE(UInt32(vocabularySize))
        out.appendLE(UInt16(temporalFactor))
        out.appendLE(UInt16(spatialFactor))
        out.appendLE(UInt16(latentHeight))
        out.appendLE(UInt16(latentWidth))
        out.appendLE(UInt32(sourceSize.width))
        out.appendLE(UInt32(sourceSize.height))
        out.appendLE(UInt32(modelSize.width))
        out.appendLE(UInt32(modelSize.height))
        out.appendLE(UInt32(frameRate.num))
        out.appendLE(UInt32(frameRate.den))
        out.appendLE(UInt32(timeBase.num))
        out.appendLE(UInt32(timeBase.den))
        out.append(UInt8(levels.count))
        out.append(UInt8(name.count))
        for l in levels { out.appendLE(UInt16(l)) }
        out.append(contentsOf: name)
        out.append(contentsOf: encoderSHA256 ?? [UInt8](repeating: 0, count: 32))      // 1.1
        return out
    }

    /// Reads a HEADER payload (§4.1, §6.3). Throws `unsupportedVersion` for another major version and
    /// `malformed` for anything else that breaks §4.1. From version 1.1, the 32 bytes after the model name are
    /// encoder_sha256 (absent in 1.0: nil); bytes after the fields of the version read are ignored (§7).
    static func decode(payload: ArraySlice<UInt8>) throws(StreamError) -> StreamHeader {
        let type = PacketType.header.rawValue
        var c = ByteCursor(payload, packetType: type)
        guard try c.readBytes(4, "magic") == StreamFormat.headerMagic else { throw c.fail("bad header magic") }
        let major = try c.read(UInt16.self, "version")
        let minor = try c.read(UInt16.self, "version")
        guard major == StreamFormat.versionMajor else { throw .unsupportedVersion(major: major, minor: minor) }
        let flags = Flags(rawValue: try c.read(UInt32.self, "header_flags"))
        let segment = Int(try c.read(UInt32.self, "segment"))
        let streamID = try c.readBytes(16, "stream_id")
        let sha = try c.readBytes(32, "weights_sha256")
        let vocabulary = Int(try c.read(UInt32.self, "vocabulary_size"))
        let temporal = Int(try c.read(UInt16.self, "temporal_factor"))
        let spatial = Int(try c.read(UInt16.self, "spatial_factor"))
        let h = Int(try c.read(UInt16.self, "latent_height"))
        let w = Int(try c.read(UInt16.self, "latent_width"))
        let source = Size(width: Int(try c.read(UInt32.self, "source_width")),
                          height: Int(try c.read(UInt32.self, "source_height")))
        let model = Size(width: Int(try c.read(UInt32.self, "model_width")),
                         height: Int(try c.read(UInt32.self, "model_height")))
        let rate = Rational(Int(try c.read(UInt32.self, "frame_rate")), Int(try c.read(UInt32.self, "frame_rate")))
        let base = Rational(Int(try c.read(UInt32.self, "time_base")), Int(try c.read(UInt32.self, "time_base")))
        let levelCount = Int(try c.read(UInt8.self, "level_count"))
        let nameLength = Int(try c.read(UInt8.self, "model_name_length"))
        let levels = try c.readArray(UInt16.self, levelCount, "levels").map(Int.init)
        let name = try c.readUTF8(nameLength, "model_name")
        // 1.1 defines encoder_sha256: a 1.1 header without it is malformed (§4), as the Python reader says too.
        var encoder: [UInt8]? = minor >= 1 ? try c.readBytes(32, "encoder_sha256") : nil
        if encoder?.contains(where: { $0 != 0 }) == false { encoder = nil }         // all zero: unknown

        var header = StreamHeader(
            modelName: name, weightsSHA256: sha, encoderSHA256: encoder, levels: levels, temporalFactor: temporal, spatialFactor: spatial,
            latentHeight: h, latentWidth: w, sourceSize: source, frameRate: rate, timeBase: base,
            streamID: streamID, flags: flags, segment: segment)
        header.versionMajor = major
        header.versionMinor = minor
        if let problem = header.violation() { throw c.fail(problem) }
        guard header.vocabularySize == vocabulary else {
            throw c.fail("vocabulary_size \(vocabulary) is not the product of the levels (\(header.vocabularySize))")
        }
        guard header.modelSize == model else {
            throw c.fail("model size \(model) is not the latent grid times the spatial factor (\(header.modelSize))")
        }
        return header
    }
}
