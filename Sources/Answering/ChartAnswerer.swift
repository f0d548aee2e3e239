import ChartModel
import Foundation

/// One stored field of one item, with where it came from: the input to question answering.
public struct ChartFact: Sendable, Hashable {
    public var documentId: Int64
    public var fileName: String
    /// The document's date (its latest encounter date, ISO), used to decide which document is
    /// the latest when facts conflict.
    public var documentDate: String?
    public var group: FactGroup
    public var item: Int
    public var field: FactField
    public var value: String
    public var page: Int?
    public var evidence: String?
    public var status: FactStatus

    public init(documentId: Int64, fileName: String, documentDate: String?, group: FactGroup, item: Int, field: FactField,
                value: String, page: Int?, evidence: String?, status: FactStatus) {
        self.documentId = documentId
        self.fileName = fileName
        self.documentDate = documentDate
        self.group = group
        self.item = item
        self.field = field
        self.value = value
        self.page = page
        self.evidence = evidence
        self.status = status
    }
}

/// Where an answer comes from.
public struct Citation: Sendable, Hashable, Codable {
    public var documentId: Int64
    public var document: String
    public var page: Int?
    public var snippet: String

    public init(documentId: Int64, document: String, page: Int?, snippet: String) {
        self.documentId = documentId
        self.document = document
        self.page = page
        self.snippet = snippet
    }
}

/// A text hit from full-text search, for questions the facts do not cover.
public struct TextHit: Sendable {
    public var documentId: Int64
    public var document: String
    public var page: Int
    public var snippet: String

    public init(documentId: Int64, document: String, page: Int, snippet: String) {
        self.documentId = documentId
        self.document = document
        self.page = page
        self.snippet = snippet
    }
}

/// The model's reply to a composing request.
public struct ModelReplySummary: Sendable, Codable, Equatable {
    public var answer: String
    /// Source numbers (1-based) it cited.
    public var citations: [Int]
    public var seconds: Double

    public init(answer: String, citations: [Int], seconds: Double) {
        self.answer = answer
        self.citations = citations
        self.seconds = seconds
    }
}

/// An answer with its sources. `answer` is "not stated" when the chart does not say.
public struct ChartAnswer: Sendable, Codable {
    public var question: String
    public var answer: String
    /// What the question was understood as (dob, allergy, medications, lab, …, search).
    public var intent: String
    public var citations: [Citation]
    /// Set when documents disagree; the latest document's value is the answer.
    public var conflict: String?
    /// Who wrote the answer: "rules" (facts and retrieval) or "model" (composed from them).
    public var composer: String?
    /// The model's confidence, 0–1, when it composed the answer.
    public var confidence: Double?
    /// Why the model's answer was not used, when it was not.
    public var note: String?
    /// What the model replied (schema-valid: its answer and the sources it cited), whether or
    /// not it was used; nil when no model was asked or it gave no valid reply.
    public var modelReply: ModelReplySummary?

    public static let notStated = "not stated"

    public init(question: String, answer: String, intent: String, citations: [Citation], conflict: String? = nil,
                composer: String? = nil, confidence: Double? = nil, note: String? = nil) {
        self.question = question
        self.answer = answer
        self.intent = intent
        self.citations = citations
        self.conflict = conflict
        self.composer = composer
        self.confidence = confidence
        self.note = note
    }
}
