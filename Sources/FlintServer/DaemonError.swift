/// Why the daemon could not start or keep running.
public struct DaemonError: Error, Sendable, CustomStringConvertible {
    public let description: String

    static func startup(_ message: String) -> DaemonError { DaemonError(description: message) }
}
