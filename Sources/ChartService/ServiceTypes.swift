import ChartModel
import Foundation
import SemanticIndex
import Storage

/// Why a service operation failed. Each kind is one class of failure for both front ends: the
/// CLI's exit code (sysexits.h) and the API's HTTP status.
public struct ServiceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// A request that makes no sense (a missing value, a bad parameter): exit 64, HTTP 400.
        case invalid
        /// The input could not be read or the value is not valid: exit 65, HTTP 422.
        case inputFailed
        /// No such document, page or fact: exit 66, HTTP 404.
        case notFound
        /// An upload of a type chartex does not read: exit 65, HTTP 415.
        case unsupported
        /// Something this needs is not there (the embedding model, a vision model, the source file): exit 69, HTTP 503.
        case unavailable
        /// A bug or a broken store: exit 70, HTTP 500.
        case internalError

        public var exitCode: Int32 {
            switch self {
            case .invalid: 64
            case .inputFailed, .unsupported: 65
            case .notFound: 66
            case .unavailable: 69
            case .internalError: 70
            }
        }

        public var httpStatus: Int {
            switch self {
            case .invalid: 400
            case .inputFailed: 422
            case .notFound: 404
            case .unsupported: 415
            case .unavailable: 503
            case .internalError: 500
            }
        }
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// One page of a document as listed.
public struct PageSummary: Codable, Sendable {
    public var number: Int
    public var status: String
    public var error: String?
    public var source: String?
    public var meanConfidence: Double?
    public var rotation: Int?
    public var skew: Double?
    public var blank: Bool
    public var blankReason: String?
    public var words: Int
    public var documentType: String?
    public var segment: Int?
    public var patientMismatch: String?
    public var width: Double?
    public var height: Double?
    public var text: String?
}

/// A document with its pages, its facts counted by group and status, and its near-duplicate pages.
public struct DocumentView: Encodable, Sendable {
    public var document: DocumentRecord
    public var pages: [PageSummary]
    /// group → status → count
    public var facts: [String: [String: Int]]
    public var nearDuplicates: [NearDuplicates.Match]
}

/// One page in full: text, lines and words with boxes in page points (origin top left).
public struct PageView: Codable, Sendable {
    public struct Line: Codable, Sendable {
        public var text: String
        public var bbox: BoundingBox
        public var conf: Double
    }

    public struct Word: Codable, Sendable {
        public var text: String
        public var bbox: BoundingBox
        public var conf: Double
    }

    public var documentId: Int64
    public var number: Int
    public var status: String
    public var error: String?
    public var width: Double?
    public var height: Double?
    public var source: String?
    public var rotation: Int?
    public var meanConfidence: Double?
    public var blank: Bool
    public var blankReason: String?
    public var documentType: String?
    public var patientMismatch: String?
    public var text: String
    public var lines: [Line]
    public var words: [Word]
}

/// A fact waiting for review, with the field's other readings.
public struct ReviewItem: Encodable, Sendable {
    public var fact: FactRecord
    public var fileName: String
    public var otherReadings: [FactRecord]
}
