import ChartModel
import Extraction
import Foundation
import Validation

/// Small schemas, one per page section, cut from `chart-defs.schema.json` with every `$ref`
/// inlined (servers turn them into grammars) and no `format` constraints (dates are asked for
/// as printed and normalised afterwards — see FINDINGS).
public struct SectionSchemas: Sendable {
    /// Section kind → (group in the output, definition).
    static let groups: [String: (group: FactGroup, definition: String)] = [
        "medications": (.medications, "medication"), "allergies": (.allergies, "allergy"),
        "vitals": (.vitals, "vital"), "labs": (.labs, "lab"), "problems": (.problems, "problem"),
        "immunizations": (.immunizations, "immunization"),
    ]

    public let schemas: [String: JSONValue]
    /// Field descriptions per section, for the prompt.
    public let fieldNotes: [String: String]

    public init(definitions: JSONValue) {
        let defs = definitions["$defs"] ?? [:]
        func inline(_ value: JSONValue, depth: Int = 0) -> JSONValue {
            switch value {
            case .object(var members):
                if case .string(let ref)? = members["$ref"], ref.hasPrefix("#/$defs/"), depth < 6,
                   let target = defs[String(ref.dropFirst(8))] {
                    members.removeValue(forKey: "$ref")
                    guard case .object(let resolved) = inline(target, depth: depth + 1) else { return .object(members) }
                    // The referring schema's own description wins.
                    return .object(resolved.merging(members) { _, own in own })
                }
                members.removeValue(forKey: "format")
                members.removeValue(forKey: "$comment")
                return .object(members.mapValues { inline($0, depth: depth) })
            case .array(let items):
                return .array(items.map { inline($0, depth: depth) })
            default:
                return value
            }
        }
        // The model never sets noKnownAllergies: "NKDA" as a substance says it.
        func item(_ name: String) -> JSONValue {
            var schema = inline(defs[name] ?? [:])
            if case .object(var members) = schema, case .object(var properties)? = members["properties"] {
                properties.removeValue(forKey: "noKnownAllergies")
                members["properties"] = .object(properties)
                members.removeValue(forKey: "description")
                schema = .object(members)
            }
            return schema
        }
        var schemas: [String: JSONValue] = [:]
        var notes: [String: String] = [:]
        for (kind, entry) in Self.groups {
            let items = item(entry.definition)
            schemas[kind] = ["type": "object", "additionalProperties": false, "required": [.string(entry.group.rawValue)],
                             "properties": [entry.group.rawValue: ["type": "array", "maxItems": 40, "items": items]]]
            notes[kind] = Self.notes(items, description: defs[entry.definition]?["description"]?.stringValue)
        }
        let patient = item("patient"), encounter = item("encounter")
        schemas["header"] = ["type": "object", "additionalProperties": false, "required": ["patient"],
                             "properties": ["patient": patient, "encounter": encounter]]
        notes["header"] = "patient: " + Self.notes(patient, description: nil) + "\nencounter (the visit, admission or report this page is about): "
            + Self.notes(encounter, description: nil)
        self.schemas = schemas
        self.fieldNotes = notes
    }

    /// The section's schema bounded by its text, so that the grammar the server builds from it
    /// cannot run away:
    /// - arrays hold at most one item per line of the section (`lines`);
    /// - strings are at most `longestLine` characters: every value is copied from one printed
    ///   line, so none is longer than the section's longest line. (A 0.5B model once repeated
    ///   "mg PO daily at 1700" in a dose until the 2048-token limit: 200 s on 2 cores.)
    /// The token budget (`TokenBudget`) follows from both.
    public func schema(for kind: String, lines: Int, longestLine: Int? = nil) -> JSONValue? {
        guard var schema = schemas[kind] else { return nil }
        if let group = Self.groups[kind]?.group.rawValue, case .object(var top) = schema,
           case .object(var properties)? = top["properties"], case .object(var array)? = properties[group] {
            array["maxItems"] = .number(Double(max(1, min(40, lines))))
            properties[group] = .object(array)
            top["properties"] = .object(properties)
            schema = .object(top)
        }
        if let longestLine { schema = Self.boundingStrings(schema, to: max(8, longestLine)) }
        return schema
    }

    /// `schema` with every string (without an `enum`) at most `limit` characters.
    static func boundingStrings(_ schema: JSONValue, to limit: Int) -> JSONValue {
        guard case .object(var members) = schema else { return schema }
        let types: [String] = switch members["type"] {
        case .string(let t)?: [t]
        case .array(let list)?: list.compactMap(\.stringValue)
        default: []
        }
        if types.contains("string"), members["enum"] == nil {
            let current = members["maxLength"]?.intValue ?? Int.max
            members["maxLength"] = .number(Double(min(current, limit)))
            if let minimum = members["minLength"]?.intValue, minimum > limit { members["minLength"] = .number(Double(limit)) }
        }
        if case .object(let properties)? = members["properties"] {
            members["properties"] = .object(properties.mapValues { boundingStrings($0, to: limit) })
        }
        if let items = members["items"] { members["items"] = boundingStrings(items, to: limit) }
        return .object(members)
    }

    /// The definition's description (it carries a worked example) and each key with a short
    /// gloss. Glosses are written "key (gloss)": small models copy "key: text" forms into values.
    static func notes(_ item: JSONValue, description: String?) -> String {
        guard case .object(let properties)? = item["properties"] else { return "" }
        var lines = description.map { [$0] } ?? []
        for key in properties.keys.sorted() {
            var gloss = properties[key]?["description"]?.stringValue ?? ""
            // Examples of values ("e.g. 'Gonzalez, Maria L.'") get copied into answers by small models.
            if let example = gloss.range(of: #",? (e\.g\.|for example)[^.]*"#, options: .regularExpression) {
                gloss.removeSubrange(example)
            }
            gloss = gloss.replacingOccurrences(of: ": ", with: " — ")
            lines.append(gloss.isEmpty ? "- \(key)" : "- \(key) (\(gloss))")
        }
        return lines.joined(separator: "\n")
    }
}
