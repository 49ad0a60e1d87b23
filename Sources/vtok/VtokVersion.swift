// The version of vtok: the one place it is written. python/pyproject.toml carries the same number (the Python
// stream reader ships with it); Tests/VtokCLITests/UserFacingTests.swift checks that they agree.
import Foundation
import VtokEngine
import VtokMedia

enum VtokVersion {
    static let string = "0.3.0"

    /// `vtok --version`: vtok, the model it would load, and the libraries it runs on.
    static func long() -> String {
        var lines = ["vtok \(string)"]
        switch DefaultModel.resolve(explicit: nil) {
        case .success(let path):
            if let model = try? VtokModel(path: path) {
                lines.append("model \(model.name) (sha256 \(model.sha256Hex.prefix(16))..., \(path))")
            } else {
                lines.append("model: '\(path)' cannot be loaded")
            }
        case .failure(let error):
            lines.append("model: \(error.description)")
        }
        lines.append(MediaVersions.ffmpeg)
        lines.append(Compute.oneDNNVersion)
        lines.append(Compute.openBLASVersion)
        return lines.joined(separator: "\n")
    }
}
