internal import FlintCore
internal import GRDB
#if canImport(Glibc)
internal import Glibc
#endif

/// Why the bus refused a request. Each description says what went wrong and what to do.
public enum BusError: Error, Sendable, Hashable, CustomStringConvertible {
    case unknownTopic(String, known: [String])
    case bodyTooLarge(topic: String, bytes: Int, limit: Int)
    case notJSON(topic: String)
    /// A NUL character, which SQLite's text values cannot hold.
    case nulCharacter(topic: String, field: String)
    /// Another program holds the database's write lock for longer than the busy timeout.
    case databaseLocked(path: String)
    case databaseReadOnly(path: String)
    case database(path: String, message: String)

    public var description: String {
        switch self {
        case .unknownTopic(let topic, _) where topic.hasPrefix(TopicName.reservedPrefix):
            // Only Flint publishes there: a trigger or function a reload has just removed, whose
            // previous configuration is still stopping.
            return "topic \"\(topic)\" is Flint's own, for a trigger or function the project no longer has; what the previous configuration still publishes there as it stops is not kept"
        case .unknownTopic(let topic, let known):
            let list = known.isEmpty ? "none is declared yet" : "known topics: " + known.joined(separator: ", ")
            return "unknown topic \"\(topic)\" (\(list)); declare it under topics: in flint.yaml or name it in a queue trigger"
        case .bodyTooLarge(let topic, let bytes, let limit):
            return "the message for topic \"\(topic)\" is \(bytes) bytes (its body and attributes); the limit is \(limit) bytes (1 MiB): put large data in a bucket and publish its key"
        case .notJSON(let topic):
            return "topic \"\(topic)\" takes JSON bodies (format: json in flint.yaml) and this body is not valid JSON"
        case .nulCharacter(let topic, let field):
            return "the \(field) of the message for topic \"\(topic)\" contains a NUL character (U+0000), which Flint cannot store; remove it or encode the data (e.g. base64)"
        case .databaseLocked(let path):
            return "\(path) is locked by another program for too long; close what holds it (an open sqlite3 transaction?) and try again"
        case .databaseReadOnly(let path):
            return "\(path) is read-only for this user; fix its permissions (and those of its directory, which holds the -wal file)"
        case .database(let path, let message):
            return "\(path): \(message)"
        }
    }

    /// Maps what SQLite said (opening the database included) into a message for people.
    public static func from(_ error: any Error, path: String) -> BusError {
        if let error = error as? BusError { return error }
        guard let error = error as? DatabaseError else { return .database(path: path, message: "\(error)") }
        switch error.resultCode {
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .databaseLocked(path: path)
        case .SQLITE_READONLY, .SQLITE_PERM: return .databaseReadOnly(path: path)
        // Not only a question of rights: a directory in the file's place, no descriptor left.
        case .SQLITE_CANTOPEN:
            return .database(path: path, message: "cannot be opened (\(error.message ?? "SQLite says no more")); check that it is a file "
                + "(not a directory) this user can read and write, in a directory it can write (which holds the -wal file), "
                + "and that Flint has file descriptors to spare (ulimit -n)")
        case .SQLITE_NOTADB:
            return .database(path: path, message: "is not a SQLite database; move it away (Flint then makes a new one) or set data: in flint.yaml to another directory")
        case .SQLITE_FULL:
            return .database(path: path, message: fullDisk)
        // A full disk, often: SQLite maps the -shm file, and a failure to extend it is an I/O error.
        case .SQLITE_IOERR where hasLessThanAMegabyteFree(besides: path):
            return .database(path: path, message: "\(error.message ?? "disk I/O error"): \(fullDisk)")
        default: return .database(path: path, message: error.message ?? "\(error)")
        }
    }

    private static let fullDisk = "the filesystem holding it is full, or the one of SQLite's temporary files (SQLITE_TMPDIR, else /var/tmp); free space there (Flint needs room for the database's -wal and -shm files beside it) and try again"

    /// Whether an unprivileged user may write less than 1 MiB more on the filesystem holding
    /// `path`'s directory. Compared in blocks: a filesystem may report counts whose product in
    /// bytes does not fit.
    private static func hasLessThanAMegabyteFree(besides path: String) -> Bool {
        let directory = path.contains("/") ? PathComponents.parent(of: path) : "."
        var status = statvfs()
        guard statvfs(directory.isEmpty ? "/" : directory, &status) == 0 else { return false }
        return UInt64(status.f_bavail) < UInt64(1 << 20) / max(UInt64(status.f_frsize), 1)
    }
}
