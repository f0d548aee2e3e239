import Validation

/// A generation budget derived from a schema: enough tokens for every field of every item an
/// array may hold, so a valid answer is never cut, and small enough that a runaway generation
/// stops early.
public enum TokenBudget {
    /// Items assumed for an array with no `maxItems`.
    public static let assumedItems = 12

    public static func estimate(_ schema: JSONValue) -> Int {
        max(64, Int(Double(tokens(schema, depth: 0)) * 1.3) + 32)
    }

    static func tokens(_ schema: JSONValue, depth: Int) -> Int {
        guard depth < 8, case .object(let s) = schema else { return 8 }
        let types: [String]
        switch s["type"] {
        case .string(let t)?: types = [t]
        case .array(let list)?: types = list.compactMap(\.stringValue)
        default: types = s["properties"] != nil ? ["object"] : s["items"] != nil ? ["array"] : ["string"]
        }
        if types.contains("object") {
            guard case .object(let properties)? = s["properties"] else { return 8 }
            // Key, quotes, colon and comma: about 4 tokens a property.
            return 2 + properties.values.reduce(0) { $0 + 4 + tokens($1, depth: depth + 1) }
        }
        if types.contains("array") {
            let count = s["maxItems"]?.intValue ?? assumedItems
            return 2 + count * (1 + tokens(s["items"] ?? [:], depth: depth + 1))
        }
        if types.contains("string") {
            if case .array(let values)? = s["enum"] { return values.map { ($0.stringValue?.count ?? 4) / 3 + 2 }.max() ?? 4 }
            return min(64, (s["maxLength"]?.intValue ?? 36) / 3 + 2)
        }
        return 6
    }
}
