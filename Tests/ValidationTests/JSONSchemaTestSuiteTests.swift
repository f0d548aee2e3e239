import Foundation
import Testing
import Validation

/// The official JSON-Schema-Test-Suite (draft 2020-12, the keywords Chartex uses), from
/// ../shared/testdata/json-schema-test-suite/draft2020-12 (MIT; see its SOURCE file).
let suiteFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("shared/testdata/json-schema-test-suite/draft2020-12")

struct SuiteGroup: Decodable {
    var description: String
    var schema: JSONValue
    var tests: [SuiteCase]
}

struct SuiteCase: Decodable {
    var description: String
    var data: JSONValue
    var valid: Bool
}

/// Keywords of draft 2020-12 this validator does not implement: a case that needs one is
/// skipped and listed, never counted as passed.
let unsupported: Set<String> = [
    "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "unevaluatedItems", "unevaluatedProperties", "contains",
    "minContains", "maxContains", "dependentSchemas", "dependentRequired", "if", "then", "else", "propertyNames",
    "$vocabulary",
]

/// Why a schema cannot be checked here, or nil.
func skipReason(_ schema: JSONValue) -> String? {
    switch schema {
    case .object(let members):
        for key in members.keys where unsupported.contains(key) { return "uses \(key)" }
        if case .string(let ref)? = members["$ref"], ref.hasPrefix("http://localhost") || ref.hasPrefix("https://json-schema.org") {
            return "needs the remote document \(ref)"
        }
        for (key, value) in members {
            switch key {
            case "properties", "patternProperties", "$defs":
                if case .object(let children) = value {
                    for child in children.values { if let reason = skipReason(child) { return reason } }
                }
            case "allOf", "anyOf", "oneOf", "prefixItems":
                if case .array(let children) = value {
                    for child in children { if let reason = skipReason(child) { return reason } }
                }
            case "items", "additionalProperties", "not":
                if let reason = skipReason(value) { return reason }
            default:
                break
            }
        }
        return nil
    default:
        return nil
    }
}

@Suite struct JSONSchemaTestSuiteTests {
    static let files = ((try? FileManager.default.contentsOfDirectory(atPath: suiteFolder.path)) ?? [])
        .filter { $0.hasSuffix(".json") }.sorted()

    @Test func theSuiteIsThere() {
        #expect(Self.files.count >= 25, "expected the suite at \(suiteFolder.path)")
    }

    @Test(arguments: files)
    func passesTheOfficialSuite(file: String) throws {
        let groups = try JSONDecoder().decode([SuiteGroup].self, from: Data(contentsOf: suiteFolder.appendingPathComponent(file)))
        var passed = 0
        var skipped: [String] = []
        for group in groups {
            if let reason = skipReason(group.schema) {
                skipped.append("\(file): \(group.description) (\(group.tests.count) cases): \(reason)")
                continue
            }
            let validator = JSONSchemaValidator(schema: group.schema)
            for test in group.tests {
                let violations = validator.validate(test.data)
                #expect(violations.isEmpty == test.valid,
                        "\(file): \(group.description): \(test.description): \(violations.map(\.description))")
                if violations.isEmpty == test.valid { passed += 1 }
            }
        }
        print("\(file): \(passed) cases passed, \(skipped.count) groups skipped")
        for line in skipped { print("  skipped \(line)") }
        #expect(passed > 0 || file == "defs.json")
    }

    @Test func violationsCarryJSONPointers() throws {
        let schema = try JSONValue(parsing: Data("""
            {"type": "object", "required": ["labs"], "properties": {"labs": {"type": "array", "items": {
              "type": "object", "required": ["name"], "additionalProperties": false,
              "properties": {"name": {"type": "string"}, "flag": {"enum": ["H", "L"]}}}}}}
            """.utf8))
        let instance = try JSONValue(parsing: Data(#"{"labs": [{"name": "TSH", "flag": "H"}, {"flag": "X", "unit": "mg"}]}"#.utf8))
        let violations = JSONSchemaValidator(schema: schema).validate(instance)
        #expect(Set(violations.map(\.instancePath)) == ["/labs/1", "/labs/1/flag"])
        #expect(violations.contains { $0.schemaPath == "/properties/labs/items/required" })
        #expect(violations.contains { $0.message.contains("\"unit\" is not allowed") })
    }
}

/// Chartex's own schemas: every document-type schema resolves its shared definitions, and
/// each sample's expected facts validate against the generic document schema.
@Suite struct ChartSchemaTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func load(_ name: String) throws -> JSONValue {
        try JSONValue(parsing: Data(contentsOf: Self.repository.appendingPathComponent("Schemas/\(name)")))
    }

    @Test(arguments: ["progress-note", "discharge-summary", "lab-report", "medication-list", "referral-letter",
                      "immunization-record", "face-sheet"])
    func documentSchemasComposeTheSharedDefinitions(type: String) throws {
        let defs = try load("chart-defs.schema.json")
        let validator = JSONSchemaValidator(schema: try load("\(type).schema.json"), referencing: [defs])
        #expect(validator.isValid(try JSONValue(parsing: Data(#"{"patient": {"name": "Test, Pat", "mrn": "000-TEST"}}"#.utf8))))
        let bad = validator.validate(try JSONValue(parsing: Data(#"{"patient": {"nme": "typo"}}"#.utf8)))
        #expect(bad.contains { $0.instancePath == "/patient" && $0.message.contains("\"nme\" is not allowed") })
    }

    @Test func samplesExpectedFactsFitTheVocabulary() throws {
        let defs = try load("chart-defs.schema.json")
        let document = JSONSchemaValidator(schema: .object(["$ref": .string("https://chartex.invalid/schemas/chart-defs.schema.json#/$defs/document")]),
                                           referencing: [defs])
        let samples = Self.repository.appendingPathComponent("Samples")
        for file in try FileManager.default.contentsOfDirectory(atPath: samples.path) where file.hasSuffix(".expected.json") {
            let truth = try JSONValue(parsing: Data(contentsOf: samples.appendingPathComponent(file)))
            guard case .object(var facts)? = truth["facts"] else { Issue.record("\(file) has no facts"); continue }
            // Dates in the expected facts are already ISO: they are strings, so they fit `date`.
            facts = facts.filter { $0.value != .array([]) }
            let violations = document.validate(.object(facts))
            #expect(violations.isEmpty, "\(file): \(violations.prefix(3).map(\.description))")
        }
    }
}
