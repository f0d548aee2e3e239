/// The groups of a chart's facts: the top-level properties of a document in
/// Schemas/chart-defs.schema.json (`#/$defs/document`). The raw value is the stored `groupName`.
public enum FactGroup: String, Sendable, Codable, CaseIterable, Hashable, Comparable {
    case patient, encounters, problems, medications, allergies, vitals, labs, immunizations

    /// The field that names an item (its other fields are about it); nil for the patient and
    /// the encounters, whose fields stand on their own.
    public var namingField: String? {
        switch self {
        case .labs, .medications, .problems, .vitals: "name"
        case .immunizations: "vaccine"
        case .allergies: "substance"
        case .patient, .encounters: nil
        }
    }

    /// Alphabetical by name, as the stores order them.
    public static func < (a: FactGroup, b: FactGroup) -> Bool { a.rawValue < b.rawValue }
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
