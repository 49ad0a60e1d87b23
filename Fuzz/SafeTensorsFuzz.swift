// libFuzzer target: loading a weights file (safetensors header, offsets, vtok_config, shapes, values) from any
// bytes. Built by scripts/fuzz.sh with the engine's loader sources. Only a WeightsError may come out.

@_cdecl("LLVMFuzzerTestOneInput")
public func safeTensorsFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let file = try? SafeTensors(bytes: bytes) {
        for name in file.entries.keys {
            _ = try? file.floats(name)
            _ = try? file.int32s(name)
            _ = try? file.uint8s(name)
        }
        if let json = file.metadata["vtok_config"] { _ = try? ModelConfig(json: json) }
    }
    if let model = try? VtokModel(bytes: bytes) {
        precondition(model.config.vocabularySize <= 65_536, "vocabulary over a u16")
    }
    return 0
}
