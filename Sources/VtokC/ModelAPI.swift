// vtok_model_*: load a weights file and describe it. A handle is a retained ModelHandle; the C strings it hands
// out live as long as the handle.

import Glibc
import VtokEngine

final class ModelHandle {
    let model: VtokModel
    let name: UnsafeMutablePointer<CChar>
    let sha256: UnsafeMutablePointer<CChar>

    init(_ model: VtokModel) throws(CError) {
        guard let name = CString.make(model.name) else { throw CError(.argument, "out of memory") }
        guard let sha = CString.make(model.sha256Hex) else {
            free(name)
            throw CError(.argument, "out of memory")
        }
        self.model = model
        self.name = name
        self.sha256 = sha
    }

    deinit {
        free(name)
        free(sha256)
    }

    static func from(_ p: OpaquePointer?) -> ModelHandle? {
        guard let p else { return nil }
        return Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }
}

@_cdecl("vtok_version")
public func vtok_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(("1.0.0" as StaticString).utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("vtok_abi_version")
public func vtok_abi_version() -> Int32 { 1 }

@_cdecl("vtok_last_error")
public func vtok_last_error() -> UnsafePointer<CChar> { LastError.current }

@_cdecl("vtok_model_load")
public func vtok_model_load(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    status { () throws(CError) in
        guard let out else { throw CError(.argument, "vtok_model_load: out is NULL") }
        out.pointee = nil
        guard let path else { throw CError(.argument, "vtok_model_load: path is NULL") }
        let p = String(cString: path)
        let model: VtokModel
        do throws(WeightsError) { model = try VtokModel(path: p) } catch { throw CError(loading: p, error) }
        let handle = try ModelHandle(model)
        out.pointee = OpaquePointer(Unmanaged.passRetained(handle).toOpaque())
    }
}

@_cdecl("vtok_model_free")
public func vtok_model_free(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("vtok_model_name")
public func vtok_model_name(_ model: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let m = ModelHandle.from(model) else { return CString.empty }
    return UnsafePointer(m.name)
}

@_cdecl("vtok_model_sha256")
public func vtok_model_sha256(_ model: OpaquePointer?) -> UnsafePointer<CChar> {
    guard let m = ModelHandle.from(model) else { return CString.empty }
    return UnsafePointer(m.sha256)
}

@_cdecl("vtok_model_temporal_factor")
public func vtok_model_temporal_factor(_ model: OpaquePointer?) -> Int32 {
    guard let m = ModelHandle.from(model) else { return -1 }
    return Int32(clamping: m.model.config.temporalFactor)
}

@_cdecl("vtok_model_spatial_factor")
public func vtok_model_spatial_factor(_ model: OpaquePointer?) -> Int32 {
    guard let m = ModelHandle.from(model) else { return -1 }
    return Int32(clamping: m.model.config.spatialFactor)
}

@_cdecl("vtok_model_vocabulary_size")
public func vtok_model_vocabulary_size(_ model: OpaquePointer?) -> Int64 {
    guard let m = ModelHandle.from(model) else { return -1 }
    return Int64(clamping: m.model.config.vocabularySize)
}

@_cdecl("vtok_model_levels")
public func vtok_model_levels(_ model: OpaquePointer?, _ levels: UnsafeMutablePointer<Int32>?, _ capacity: Int32) -> Int32 {
    guard let m = ModelHandle.from(model) else { return -1 }
    let all = m.model.config.fsqLevels
    if let levels {
        for (i, l) in all.prefix(max(0, Int(capacity))).enumerated() { levels[i] = Int32(clamping: l) }
    }
    return Int32(clamping: all.count)
}
