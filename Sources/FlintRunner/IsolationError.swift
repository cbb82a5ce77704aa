/// Why handlers cannot be isolated as the project asks: reported by `flint up`, which then does
/// not start rather than run a function with less isolation than it asked for.
public struct IsolationError: Error, Hashable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    public static func unknownUser(_ name: String) -> IsolationError {
        IsolationError("flint.yaml: user: there is no user \"\(name)\" on this machine (see /etc/passwd); name an existing unprivileged account, or write user: root to run handlers as root")
    }

    static func noNobody() -> IsolationError {
        IsolationError("Flint runs as root, so handlers run as the unprivileged user nobody, but this machine has no such user; set user: in flint.yaml to an unprivileged account (or user: root to run handlers as root)")
    }

    static func needsRoot(_ name: String, daemon: HandlerUser) -> IsolationError {
        IsolationError("flint.yaml: user: \(name): only root can run handlers as another user, and Flint runs as \(daemon); remove the key (handlers then run as \(daemon.name)) or start Flint as root")
    }

    static func refused(_ reasons: [String]) -> IsolationError {
        IsolationError(reasons.joined(separator: "\n"))
    }
}
