import ChartModel
import Foundation
import Validation

/// The JSON Schemas in `Schemas/`, shipped as a resource, and the validation of extracted
/// items against them.
public enum ChartSchemas {
    /// The shared vocabulary (`chart-defs.schema.json`).
    public static func definitions() throws -> JSONValue {
        guard let folder = Bundle.module.url(forResource: "Schemas", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: "Schemas"])
        }
        return try JSONValue(parsing: Data(contentsOf: folder.appendingPathComponent("chart-defs.schema.json")))
    }

    static let itemDefinitions = [
        "patient": "patient", "encounters": "encounter", "problems": "problem", "medications": "medication",
        "allergies": "allergy", "vitals": "vital", "labs": "lab", "immunizations": "immunization",
    ]

    /// Validates every extracted item against its definition. Returns the violations of each
    /// invalid item, keyed by group and item.
    public static func validate(_ facts: [ExtractedFact], definitions: JSONValue) -> [String: [SchemaViolation]] {
        var items: [String: [String: JSONValue]] = [:]
        for fact in facts {
            items["\(fact.group)#\(fact.item)", default: [:]][fact.field.rawValue] = jsonValue(field: fact.field, fact.value)
        }
        var problems: [String: [SchemaViolation]] = [:]
        // One validator per definition, built once for the document.
        let validators = itemDefinitions.mapValues { definition in
            JSONSchemaValidator(
                schema: .object(["$ref": .string("https://chartex.invalid/schemas/chart-defs.schema.json#/$defs/\(definition)")]),
                referencing: [definitions])
        }
        for (key, fields) in items {
            let group = String(key.split(separator: "#")[0])
            guard let validator = validators[group] else {
                problems[key] = [SchemaViolation(instancePath: "", schemaPath: "", message: "unknown group \(group)")]
                continue
            }
            let violations = validator.validate(.object(fields))
            if !violations.isEmpty { problems[key] = violations }
        }
        return problems
    }

    /// The JSON type a field's value has in the schemas.
    static func jsonValue(field: FactField, _ value: String) -> JSONValue {
        if field == .noKnownAllergies { return .bool(value == "true") }
        if [.dose, .value].contains(field), let number = Double(value) { return .number(number) }
        return .string(value)
    }
}
