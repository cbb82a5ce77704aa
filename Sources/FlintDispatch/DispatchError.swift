/// Why the dispatcher did not run an invocation.
public struct DispatchError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case unknownFunction(String)
        case overloaded(String, limit: Int)
        case shuttingDown
        case callerGone(String)
    }

    private let code: Code

    /// No function has this name.
    public static func unknownFunction(_ name: String) -> Self { .init(code: .unknownFunction(name)) }
    /// The function is at its concurrency limit and its wait queue is full.
    public static func overloaded(_ name: String, limit: Int) -> Self { .init(code: .overloaded(name, limit: limit)) }
    /// The daemon is stopping and takes no new work.
    public static let shuttingDown = Self(code: .shuttingDown)
    /// The caller went away (or its task was cancelled) while its call waited for a slot; the
    /// call was not run.
    public static func callerGone(_ name: String) -> Self { .init(code: .callerGone(name)) }

    public var isUnknownFunction: Bool { if case .unknownFunction = code { true } else { false } }
    public var isOverloaded: Bool { if case .overloaded = code { true } else { false } }
    public var isShuttingDown: Bool { code == .shuttingDown }

    public var description: String {
        switch code {
        case .unknownFunction(let name):
            "function \"\(name)\" does not exist (flint ls lists the functions)"
        case .overloaded(let name, let limit):
            "function \"\(name)\" is at its concurrency limit of \(limit) and its queue is full; retry later or raise concurrency in its function.yaml"
        case .shuttingDown:
            "Flint is shutting down and accepts no new invocations; retry once it is back"
        case .callerGone(let name):
            "the caller of function \"\(name)\" went away while its call waited for a free slot; it was not run"
        }
    }
}
