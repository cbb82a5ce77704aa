internal import FlintCore

/// What a reload would change, and whether it may: the project as loaded from disk, checked
/// against what the running daemon cannot change without a restart.
public struct ReloadPlan {
    /// What a reload that changed no definition says: a handler's own files are not compared,
    /// but every warm instance starts again from them all the same.
    public static let unchangedSummary = "no function.yaml, trigger or topic changed; warm instances start again from the current files"

    /// `flint: reloaded: ...`'s text for `changes`.
    public static func summary(of changes: [String]) -> String {
        changes.isEmpty ? unchangedSummary : changes.joined(separator: ", ")
    }

    /// The project to run: functions, triggers and topics as on disk; every other flint.yaml
    /// setting as the daemon started with (listen, data, buckets, concurrency, user... shape what
    /// lives as long as the daemon).
    let project: Project
    /// flint.yaml settings that changed on disk but wait for the next start.
    let deferredSettings: [String]
    /// One line per function, trigger or flint.yaml topic added, removed or changed.
    let changes: [String]
    /// Names of the functions added or changed, sorted.
    let addedOrChangedFunctions: [String]
    /// Names of the triggers added or changed.
    let addedOrChangedTriggers: Set<String>

    init(current: Project, loaded: Project) {
        var config = current.config
        config.functions = loaded.config.functions
        config.triggers = loaded.config.triggers
        config.topics = loaded.config.topics
        project = Project(root: current.root, config: config, functions: loaded.functions, triggers: loaded.triggers)
        deferredSettings = Self.deferred(current.config, loaded.config)
        let functions = Self.differences(current.functions, loaded.functions)
        let triggers = Self.differences(
            Dictionary(current.triggers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first }),
            Dictionary(loaded.triggers.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        )
        let topics = Self.differences(current.config.topics, loaded.config.topics)
        changes = functions.map { "function \($0.name) \($0.change.rawValue)" } + triggers.map { "trigger \($0.name) \($0.change.rawValue)" }
            + topics.map { "topic \($0.name) \($0.change.rawValue)" }
        addedOrChangedFunctions = functions.filter { $0.change != .removed }.map(\.name)
        addedOrChangedTriggers = Set(triggers.filter { $0.change != .removed }.map(\.name))
    }

    private enum Change: String {
        case added, removed, changed
    }

    /// What differs between two versions of named things, by name.
    private static func differences<Value: Equatable>(_ current: [String: Value], _ loaded: [String: Value]) -> [(name: String, change: Change)] {
        Set(current.keys).union(loaded.keys).sorted().compactMap { name in
            switch (current[name], loaded[name]) {
            case (nil, _?): (name, .added)
            case (_?, nil): (name, .removed)
            case let (before?, after?) where before != after: (name, .changed)
            default: nil
            }
        }
    }

    private static func deferred(_ running: FlintConfig, _ loaded: FlintConfig) -> [String] {
        var keys: [String] = []
        if running.listen != loaded.listen { keys.append("listen") }
        if running.buckets != loaded.buckets { keys.append("buckets") }
        if running.data != loaded.data { keys.append("data") }
        if running.bus != loaded.bus { keys.append("bus") }
        if running.ledger != loaded.ledger { keys.append("ledger") }
        if running.concurrency != loaded.concurrency { keys.append("concurrency") }
        if running.user != loaded.user { keys.append("user") }
        if running.pricing != loaded.pricing { keys.append("pricing") }
        if running.drainTimeout != loaded.drainTimeout { keys.append("drain_timeout") }
        var normalized = running
        normalized.functions = loaded.functions
        normalized.triggers = loaded.triggers
        normalized.topics = loaded.topics
        if keys.isEmpty, normalized != loaded { keys.append("other settings") }
        return keys
    }
}
