/// One problem in a project's configuration: where it is, which key, what is wrong and what is allowed.
///
/// Its description is what `flint validate` and `flint up` print, one per line:
/// `samples/echo/function.yaml:4: timeout: "30 parsecs" is not a duration (use 500ms, 30s, 5m, 7d)`.
public struct ConfigIssue: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file (as shown to the user, relative to the project's root) and 1-based line.
    public var location: SourceLocation
    /// The key the issue is about, as a path: `timeout`, `command[0]`, `env.QUALITY`; nil for the
    /// file or document as a whole.
    public var key: String?
    /// What is wrong, and what is allowed instead.
    public var message: String

    /// Creates an issue.
    public init(location: SourceLocation, key: String?, message: String) {
        self.location = location
        self.key = key
        self.message = message
    }

    /// `file:line: key: message`, or `file:line: message` when there is no key.
    public var description: String {
        if let key {
            return "\(location): \(key): \(message)"
        }
        return "\(location): \(message)"
    }
}

/// A project, or one of its files, could not be loaded; `issues` holds every problem found, not
/// just the first.
public struct ProjectLoadError: Error, Sendable, CustomStringConvertible {
    /// Every problem found, ordered by file and line.
    public var issues: [ConfigIssue]

    /// Creates an error from issues, which it orders by file and line.
    public init(issues: [ConfigIssue]) {
        self.issues = issues.sortedByLocation()
    }

    /// One issue per line.
    public var description: String {
        issues.map(\.description).joined(separator: "\n")
    }
}

extension Array where Element == ConfigIssue {
    /// Ordered by file, then line; issues at the same place keep the order they were found in.
    func sortedByLocation() -> [ConfigIssue] {
        enumerated()
            .sorted { lhs, rhs in
                let (l, r) = (lhs.element.location, rhs.element.location)
                if l.file != r.file { return l.file < r.file }
                if l.line != r.line { return l.line < r.line }
                return lhs.offset < rhs.offset
            }
            .map(\.element)
    }
}
