/// The groups of a chart's facts: the top-level properties of a document in
/// Schemas/chart-defs.schema.json (`#/$defs/document`). The raw value is the stored `groupName`.
public enum FactGroup: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    case patient, encounters, problems, medications, allergies, vitals, labs, immunizations

    /// The field that names an item (its other fields are about it); nil for the patient and
    /// the encounters, whose fields stand on their own.
    public var namingField: FactField? {
        switch self {
        case .labs, .medications, .problems, .vitals: .name
        case .immunizations: .vaccine
        case .allergies: .substance
        case .patient, .encounters: nil
        }
    }

    /// The fields an item of the group can hold, as its definition in
    /// Schemas/chart-defs.schema.json lists them.
    public var fields: [FactField] {
        switch self {
        case .patient: [.name, .birthDate, .sex, .mrn]
        case .encounters: [.date, .endDate, .type, .provider, .facility, .specialty, .reason, .referredTo, .diagnosis,
                           .disposition]
        case .problems: [.name, .status, .onset]
        case .medications: [.name, .dose, .unit, .route, .frequency, .prn, .status]
        case .allergies: [.substance, .reaction, .severity, .noKnownAllergies]
        case .vitals: [.name, .value, .unit, .date]
        case .labs: [.name, .value, .unit, .referenceRange, .flag, .date]
        case .immunizations: [.vaccine, .date]
        }
    }

    /// Alphabetical by name, as the stores order them.
    public static func < (a: FactGroup, b: FactGroup) -> Bool { a.rawValue < b.rawValue }
}

/// A field of a fact's item: the properties of the item definitions in
/// Schemas/chart-defs.schema.json (`FactGroup.fields` says which group holds which). The raw
/// value is the stored field name (`fieldPath`) and the JSON key.
public enum FactField: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    // patient
    case name, birthDate, sex, mrn
    // encounters
    case date, endDate, type, provider, facility, specialty, reason, referredTo, diagnosis, disposition
    // problems, medications
    case status, onset, dose, unit, route, frequency, prn
    // allergies
    case substance, reaction, severity, noKnownAllergies
    // vitals, labs, immunizations
    case value, referenceRange, flag, vaccine

    /// Alphabetical by name, as the exports order them.
    public static func < (a: FactField, b: FactField) -> Bool { a.rawValue < b.rawValue }
}

/// Whether a fact's value can be used as it is. The raw value is the stored `status`.
public enum FactStatus: String, Sendable, Codable, CaseIterable, Hashable {
    /// Tied to the page by an unambiguous structure and passing its type's checks.
    case verified
    /// Read, but a person should look (the reason says why).
    case needsReview = "needs_review"
    /// Set aside: by a reviewer, or as a reading that failed its schema.
    case rejected
}
