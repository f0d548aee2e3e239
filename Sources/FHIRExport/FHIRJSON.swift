import Foundation

/// A JSON value as FHIR resources are written: encoded with sorted keys, so the same resource
/// is always the same bytes.
public indirect enum FHIRJSON: Encodable, Sendable, Equatable {
    case string(String)
    case decimal(Decimal)
    case integer(Int)
    case bool(Bool)
    case array([FHIRJSON])
    case object([String: FHIRJSON])

    /// An object from key–value pairs, leaving out nil values, empty arrays and empty objects.
    static func make(_ pairs: [(String, FHIRJSON?)]) -> FHIRJSON {
        var object: [String: FHIRJSON] = [:]
        for (key, value) in pairs {
            guard let value, !value.isEmpty else { continue }
            object[key] = value
        }
        return .object(object)
    }

    var isEmpty: Bool {
        switch self {
        case .array(let items): items.isEmpty
        case .object(let fields): fields.isEmpty
        case .string(let text): text.isEmpty
        default: false
        }
    }

    public subscript(key: String) -> FHIRJSON? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .string(let text):
            var container = encoder.singleValueContainer()
            try container.encode(text)
        case .decimal(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .integer(let number):
            var container = encoder.singleValueContainer()
            try container.encode(number)
        case .bool(let flag):
            var container = encoder.singleValueContainer()
            try container.encode(flag)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let fields):
            var container = encoder.container(keyedBy: Key.self)
            for (key, value) in fields { try container.encode(value, forKey: Key(key)) }
        }
    }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The bytes of the value: sorted keys, no escaped slashes.
    public func data(pretty: Bool = false) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted] : [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}

extension FHIRJSON: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
