// Typed errors for the engine: one enum per stage. Loading a weights file can fail in many named ways
// (WeightsError); creating a session can fail if the compute library refuses a convolution, and running one
// only on caller input (EngineError). Nothing here crashes on data that came from outside.

/// Why a weights file (or its bytes) could not be loaded.
public enum WeightsError: Error, Equatable, Sendable {
    /// The file could not be opened or read.
    case cannotRead(path: String)
    /// The file is larger than any weights file could be (VtokModel.maxFileBytes): refused from its size before
    /// any read, or, for a pipe or device, once that much has been read.
    case tooLarge(bytes: Int, limit: Int)
    /// Fewer bytes than the format needs at this point (8-byte length prefix, header, or tensor data).
    case truncated(needed: Int, available: Int)
    /// The JSON header is not valid JSON or does not have the safetensors structure.
    case badHeader(String)
    /// A tensor's data_offsets lie outside the data section, are reversed, overlap another tensor or do not
    /// match its dtype and shape.
    case badOffsets(tensor: String)
    /// The file is valid safetensors but `__metadata__.format` is not "vtok-weights".
    case notVtokFile
    /// `vtok_config` is missing or cannot be parsed.
    case badConfig(String)
    /// The config has a version this engine does not implement.
    case unsupportedConfigVersion(Int)
    /// The config names an op kind this engine does not implement.
    case unknownOp(String)
    /// The op list is well-formed JSON but not a valid graph (channel mismatch, misplaced patchify, ...).
    case invalidGraph(String)
    /// A tensor the config needs is absent.
    case missingTensor(String)
    /// The file holds a tensor the config does not use.
    case unexpectedTensor(String)
    /// A tensor has a shape other than the config implies.
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    /// A tensor has a dtype the engine does not load (F32, F16 and BF16 are supported).
    case unsupportedDType(tensor: String, dtype: String)
    /// A tensor holds a NaN or an infinity (at flat `index`): the weights are damaged.
    case nonFiniteValue(tensor: String, index: Int)
}

/// Why a session rejected its input.
public enum EngineError: Error, Equatable, Sendable {
    /// Width and height must be positive multiples of the model's spatial factor.
    case badFrameSize(width: Int, height: Int, multiple: Int)
    /// A pushed buffer does not have the length the session's frame or latent size implies.
    case wrongInputLength(expected: Int, found: Int)
    /// A token index is not below the model's vocabulary size.
    case tokenOutOfRange(UInt16)
    /// push after finish(): call reset() to start a new stream.
    case streamFinished
    /// The compute library (oneDNN) refused to set up a convolution for this model and frame size.
    case backendFailed(String)
}
