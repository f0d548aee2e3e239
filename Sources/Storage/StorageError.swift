/// Why a store operation failed.
public enum StorageError: Error, Sendable, CustomStringConvertible {
    case cannotCreate(path: String, reason: String)
    case migrationsMissing
    case documentNotFound(reference: String)
    case ambiguousDocument(reference: String, candidates: [String])
    case readOnlyViolation(message: String)
    case factNotFound(id: Int64)
    case sqlFailed(message: String)
    /// The database server cannot be reached (or the connection was lost).
    case unavailable(location: String, reason: String)

    /// The store could not be reached: worth waiting for, unlike a refused statement.
    public var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .cannotCreate(let path, let reason): "cannot create the database \(path): \(reason)"
        case .migrationsMissing: "the Migrations folder is missing from the Chartex installation"
        case .documentNotFound(let reference): "no document matches '\(reference)' (give an id, a sha256 prefix or a file name)"
        case .ambiguousDocument(let reference, let candidates):
            "'\(reference)' matches several documents: \(candidates.joined(separator: ", "))"
        case .readOnlyViolation(let message): "refused: the sql command is read-only (\(message))"
        case .factNotFound(let id): "no fact \(id) in the store"
        case .sqlFailed(let message): "sql: \(message)"
        case .unavailable(let location, let reason): "\(location) is unavailable: \(reason)"
        }
    }
}
