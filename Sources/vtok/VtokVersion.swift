// The version printed by `vtok --version`.
enum VtokVersion {
    static let string = "0.1.0"
}
