// One JSON style for every command: snake_case keys (the callers' job), sorted, pretty, "24/1" not "24\/1",
// floats rounded to what they mean, and never a value JSONSerialization refuses (NaN and infinity are null).
import Foundation

enum JSONOutput {
    /// Significant digits kept for floats.
    static let significantDigits = 9

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
        // Nine significant digits: arithmetic noise goes (2.7499999999999996 -> 2.75), exact values stay
        // (0.001484375), and no figure vtok measures has more meaning than that.
        return Double(String(format: "%.\(significantDigits)g", x)) ?? x
    }
}
