// One JSON style for every command: snake_case keys (the callers' job), sorted, pretty, "24/1" not "24\/1",
// floats rounded to what they mean, and never a value JSONSerialization refuses (NaN and infinity are null).
import Foundation

enum JSONOutput {
    /// Significant decimals kept for floats.
    static let decimals = 4

    /// The text of `object` (a tree of dictionaries, arrays, strings, numbers, booleans and NSNull).
    static func render(_ object: Any) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: clean(object),
                                              options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    /// Rounds floats, turns NaN and infinity into null and anything JSON cannot hold into its description.
    static func clean(_ value: Any) -> Any {
        switch value {
        case let d as [String: Any]: return d.mapValues(clean)
        case let a as [Any]: return a.map(clean)
        case let x as Double: return round(x)
        case let x as Float: return round(Double(x))
        case is Int, is Int64, is Int32, is UInt64, is UInt32, is UInt16, is UInt8, is Bool, is String, is NSNull:
            return value
        case Optional<Any>.none: return NSNull()
        default: return "\(value)"
        }
    }

    static func round(_ x: Double) -> Any {
        guard x.isFinite else { return NSNull() }
        if x == x.rounded(), abs(x) < 1e15 { return x }
        // Round to `decimals` places after the point, or to `decimals` significant digits below 1.
        let magnitude = x == 0 ? 0 : Int(floor(log10(abs(x))))
        let places = max(decimals, decimals - 1 - magnitude)
        let text = String(format: "%.\(min(places, 12))f", x)
        return Double(text) ?? x
    }
}
