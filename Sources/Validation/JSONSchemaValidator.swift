import Foundation

/// One way an instance fails its schema.
public struct SchemaViolation: Sendable, Hashable, CustomStringConvertible {
    /// JSON Pointer to the failing value in the instance ("" is the whole instance).
    public var instancePath: String
    /// JSON Pointer to the keyword in the schema.
    public var schemaPath: String
    public var message: String

    public var description: String { "\(instancePath.isEmpty ? "/" : instancePath): \(message)" }

    public init(instancePath: String, schemaPath: String, message: String) {
        self.instancePath = instancePath
        self.schemaPath = schemaPath
        self.message = message
    }
}

/// A JSON Schema (draft 2020-12) validator for the keywords Chartex's schemas use:
/// type, properties, patternProperties, required, additionalProperties, items, prefixItems,
/// enum, const, pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf,
/// minLength, maxLength, minItems, maxItems, uniqueItems, anyOf, oneOf, allOf, not, $ref
/// (JSON Pointers, $id-relative URIs and $anchor within the schema) and $defs. `format` is an
/// annotation only, as the specification's default says. Boolean schemas are supported.
///
/// Not supported (their keywords are ignored): $dynamicRef, unevaluated*, contains,
/// dependent*, if/then/else, propertyNames, and $ref to documents outside the schema.
public struct JSONSchemaValidator: Sendable {
    public let schema: JSONValue
    private let resources: [String: JSONValue]
    private let rootBase: String

    /// Keywords this validator understands (everything else is ignored).
    public static let supportedKeywords: Set<String> = [
        "type", "properties", "patternProperties", "required", "additionalProperties", "items", "prefixItems",
        "enum", "const", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "anyOf", "oneOf", "allOf", "not",
        "$ref", "$defs", "$id", "$anchor", "$schema", "$comment", "title", "description", "default", "examples",
        "format", "deprecated", "readOnly", "writeOnly",
    ]

    /// - Parameters:
    ///   - schema: the schema to validate against.
    ///   - others: schemas (each with an `$id`) that `schema` may `$ref` by URI, such as the
    ///     shared `chart-defs.schema.json`.
    public init(schema: JSONValue, referencing others: [JSONValue] = []) {
        self.schema = schema
        let base = Self.resolve(schema["$id"].flatMap(Self.string) ?? "", against: "urn:chartex:schema")
        rootBase = Self.stripFragment(base)
        var resources: [String: JSONValue] = [:]
        for other in others {
            if let id = other["$id"].flatMap(Self.string) { Self.index(other, base: Self.stripFragment(id), into: &resources) }
        }
        Self.index(schema, base: rootBase, into: &resources)
        self.resources = resources
    }

    /// Parses a schema from JSON text.
    public init(json: Data) throws {
        self.init(schema: try JSONValue(parsing: json))
    }

    /// Every violation of the schema by `instance` (empty when it is valid).
    public func validate(_ instance: JSONValue) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(instance, against: schema, base: rootBase, path: "", schemaPath: "", depth: 0, into: &violations)
        return violations
    }

    public func isValid(_ instance: JSONValue) -> Bool { validate(instance).isEmpty }

    // MARK: - Resources and references

    private static func string(_ value: JSONValue) -> String? {
        if case .string(let s) = value { return s }
        return nil
    }

    private static func stripFragment(_ uri: String) -> String {
        uri.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
    }

    /// Resolves a URI reference against a base (RFC 3986, enough for schema ids).
    static func resolve(_ reference: String, against base: String) -> String {
        if reference.isEmpty { return base }
        if reference.hasPrefix("#") { return stripFragment(base) + reference }
        if reference.contains(":") && !reference.hasPrefix("/") { return reference }  // absolute
        if let baseURL = URL(string: stripFragment(base)), baseURL.scheme != "urn",
           let resolved = URL(string: reference, relativeTo: baseURL)?.absoluteString {
            return resolved
        }
        // urn: bases cannot resolve relative references: key them under the base.
        return stripFragment(base) + "/" + reference
    }

    /// Records every schema resource ($id) and anchor ($anchor) under its absolute URI.
    private static func index(_ schema: JSONValue, base: String, into resources: inout [String: JSONValue]) {
        switch schema {
        case .object(let members):
            var base = base
            if let id = members["$id"].flatMap(string) {
                base = stripFragment(resolve(id, against: base))
                resources[base] = schema
            } else if resources[base] == nil {
                resources[base] = schema
            }
            if let anchor = members["$anchor"].flatMap(string) {
                resources[base + "#" + anchor] = schema
            }
            for (key, value) in members where key != "enum" && key != "const" {
                index(value, base: base, into: &resources)
            }
        case .array(let items):
            for item in items { index(item, base: base, into: &resources) }
        default:
            break
        }
    }

    private func lookUp(_ reference: String, base: String) -> (schema: JSONValue, base: String)? {
        let uri = Self.resolve(reference, against: base)
        if let anchored = resources[uri] { return (anchored, Self.stripFragment(uri)) }
        let parts = uri.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let document = parts[0]
        guard let resource = resources[document] else { return nil }
        let fragment = parts.count > 1 ? parts[1] : ""
        guard let target = resource.value(at: fragment) else { return nil }
        // The target may sit inside a nested resource with its own $id: find its base.
        var targetBase = document
        var walked = resource
        for raw in fragment.split(separator: "/") {
            let token = (String(raw).removingPercentEncoding ?? String(raw))
                .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch walked {
            case .object(let m): walked = m[token] ?? .null
            case .array(let a): walked = Int(token).flatMap { a.indices.contains($0) ? a[$0] : nil } ?? .null
            default: walked = .null
            }
            if let id = walked["$id"].flatMap(Self.string) {
                targetBase = Self.stripFragment(Self.resolve(id, against: targetBase))
            }
        }
        return (target, targetBase)
    }

    // MARK: - Validation

    /// `idApplied`: `base` already accounts for this schema's own `$id` (after a `$ref` jump).
    private func check(_ instance: JSONValue, against schema: JSONValue, base: String, path: String, schemaPath: String,
                       depth: Int, idApplied: Bool = false, into violations: inout [SchemaViolation]) {
        func fail(_ keyword: String, _ message: String) {
            violations.append(SchemaViolation(instancePath: path, schemaPath: schemaPath + "/" + keyword, message: message))
        }
        guard depth < 200 else { return fail("$ref", "schema recursion too deep") }
        switch schema {
        case .bool(true): return
        case .bool(false): return fail("", "no value is allowed here")
        case .object: break
        default: return
        }
        var base = base
        if !idApplied, let id = schema["$id"].flatMap(Self.string) {
            base = Self.stripFragment(Self.resolve(id, against: base))
        }

        if let ref = schema["$ref"].flatMap(Self.string) {
            if let (target, targetBase) = lookUp(ref, base: base) {
                check(instance, against: target, base: targetBase, path: path, schemaPath: schemaPath + "/$ref",
                      depth: depth + 1, idApplied: true, into: &violations)
            } else {
                fail("$ref", "cannot resolve \(ref)")
            }
        }

        if let type = schema["type"] {
            let allowed: [String]
            switch type {
            case .string(let t): allowed = [t]
            case .array(let ts): allowed = ts.compactMap(Self.string)
            default: allowed = []
            }
            let matches = allowed.contains { t in
                t == instance.typeName || (t == "integer" && instance.isInteger)
            }
            if !matches { fail("type", "expected \(allowed.joined(separator: " or ")), found \(instance.typeName)") }
        }
        if let options = schema["enum"], case .array(let values) = options, !values.contains(instance) {
            fail("enum", "must be one of \(values.count) allowed values")
        }
        if let constant = schema["const"], constant != instance {
            fail("const", "must equal the constant value")
        }

        for keyword in ["allOf", "anyOf", "oneOf"] {
            guard case .array(let subschemas)? = schema[keyword] else { continue }
            var passing = 0
            var nested: [SchemaViolation] = []
            for (i, subschema) in subschemas.enumerated() {
                var errors: [SchemaViolation] = []
                check(instance, against: subschema, base: base, path: path, schemaPath: "\(schemaPath)/\(keyword)/\(i)",
                      depth: depth + 1, into: &errors)
                if errors.isEmpty { passing += 1 } else { nested += errors }
            }
            switch keyword {
            case "allOf": violations += nested
            case "anyOf": if passing == 0 { fail(keyword, "matches none of the alternatives"); violations += nested }
            default: if passing != 1 { fail(keyword, "must match exactly one alternative, matches \(passing)") }
            }
        }
        if let negated = schema["not"] {
            var errors: [SchemaViolation] = []
            check(instance, against: negated, base: base, path: path, schemaPath: schemaPath + "/not", depth: depth + 1, into: &errors)
            if errors.isEmpty { fail("not", "must not match the schema") }
        }

        switch instance {
        case .number(let n):
            func bound(_ keyword: String) -> Double? {
                if case .number(let b)? = schema[keyword] { return b }
                return nil
            }
            if let b = bound("minimum"), n < b { fail("minimum", "must be ≥ \(b)") }
            if let b = bound("maximum"), n > b { fail("maximum", "must be ≤ \(b)") }
            if let b = bound("exclusiveMinimum"), n <= b { fail("exclusiveMinimum", "must be > \(b)") }
            if let b = bound("exclusiveMaximum"), n >= b { fail("exclusiveMaximum", "must be < \(b)") }
            if let m = bound("multipleOf"), m > 0 {
                let quotient = n / m
                if !quotient.isFinite || abs(quotient - quotient.rounded()) > 1e-9 * max(1, abs(quotient)) {
                    fail("multipleOf", "must be a multiple of \(m)")
                }
            }
        case .string(let s):
            let length = s.unicodeScalars.count
            if case .number(let m)? = schema["minLength"], Double(length) < m { fail("minLength", "must have at least \(Int(m)) characters") }
            if case .number(let m)? = schema["maxLength"], Double(length) > m { fail("maxLength", "must have at most \(Int(m)) characters") }
            if case .string(let pattern)? = schema["pattern"] {
                if let regex = try? NSRegularExpression(pattern: pattern) {
                    let range = NSRange(s.startIndex..., in: s)
                    if regex.firstMatch(in: s, range: range) == nil { fail("pattern", "must match \(pattern)") }
                } else {
                    fail("pattern", "invalid pattern \(pattern)")
                }
            }
        case .array(let items):
            if case .number(let m)? = schema["minItems"], Double(items.count) < m { fail("minItems", "must have at least \(Int(m)) items") }
            if case .number(let m)? = schema["maxItems"], Double(items.count) > m { fail("maxItems", "must have at most \(Int(m)) items") }
            if case .bool(true)? = schema["uniqueItems"], Set(items).count != items.count { fail("uniqueItems", "items must be unique") }
            var prefix = 0
            if case .array(let prefixSchemas)? = schema["prefixItems"] {
                prefix = prefixSchemas.count
                for (i, (item, itemSchema)) in zip(items, prefixSchemas).enumerated() {
                    check(item, against: itemSchema, base: base, path: "\(path)/\(i)", schemaPath: "\(schemaPath)/prefixItems/\(i)",
                          depth: depth + 1, into: &violations)
                }
            }
            if let itemSchema = schema["items"] {
                for (i, item) in items.enumerated().dropFirst(prefix) {
                    check(item, against: itemSchema, base: base, path: "\(path)/\(i)", schemaPath: "\(schemaPath)/items",
                          depth: depth + 1, into: &violations)
                }
            }
        case .object(let members):
            if case .array(let required)? = schema["required"] {
                for case .string(let name) in required where members[name] == nil {
                    fail("required", "missing required property \"\(name)\"")
                }
            }
            var properties: [String: JSONValue] = [:]
            if case .object(let p)? = schema["properties"] { properties = p }
            var patterns: [(NSRegularExpression, String, JSONValue)] = []
            if case .object(let p)? = schema["patternProperties"] {
                patterns = p.compactMap { key, value in (try? NSRegularExpression(pattern: key)).map { ($0, key, value) } }
            }
            for (name, value) in members.sorted(by: { $0.key < $1.key }) {
                let childPath = path + "/" + name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
                var matched = false
                if let propertySchema = properties[name] {
                    matched = true
                    check(value, against: propertySchema, base: base, path: childPath, schemaPath: "\(schemaPath)/properties/\(name)",
                          depth: depth + 1, into: &violations)
                }
                for (regex, key, patternSchema) in patterns
                where regex.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil {
                    matched = true
                    check(value, against: patternSchema, base: base, path: childPath, schemaPath: "\(schemaPath)/patternProperties/\(key)",
                          depth: depth + 1, into: &violations)
                }
                if !matched, let additional = schema["additionalProperties"] {
                    if case .bool(false) = additional {
                        fail("additionalProperties", "property \"\(name)\" is not allowed")
                    } else {
                        check(value, against: additional, base: base, path: childPath,
                              schemaPath: "\(schemaPath)/additionalProperties", depth: depth + 1, into: &violations)
                    }
                }
            }
        default:
            break
        }
    }
}
