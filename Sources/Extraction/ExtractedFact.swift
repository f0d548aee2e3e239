import ChartModel

/// One value a extractor read, with its evidence on the page.
public struct ExtractedFact: Sendable, Hashable {
    public var group: FactGroup
    /// Which item of the group (0 for the patient).
    public var item: Int
    /// The field within the item: name, value, unit, date…
    public var field: FactField
    /// The value as printed.
    public var raw: String
    /// The normalised value (ISO date, canonical unit, H/L…).
    public var value: String
    public var page: Int
    /// Union of the boxes of the words the value was read from.
    public var bbox: BoundingBox?
    /// The line the value came from.
    public var sourceText: String
    /// Mean OCR confidence of those words, 0–100.
    public var ocrConfidence: Double
    /// verified or needs_review.
    public var status: FactStatus
    /// Why the fact needs review, when it does.
    public var reviewReason: String?

    public init(group: FactGroup, item: Int, field: FactField, raw: String, value: String, page: Int, bbox: BoundingBox?,
                sourceText: String, ocrConfidence: Double, status: FactStatus = .verified, reviewReason: String? = nil) {
        self.group = group
        self.item = item
        self.field = field
        self.raw = raw
        self.value = value
        self.page = page
        self.bbox = bbox
        self.sourceText = sourceText
        self.ocrConfidence = ocrConfidence
        self.status = status
        self.reviewReason = reviewReason
    }
}
