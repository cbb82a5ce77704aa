/// One topic's settings: an entry of `topics` in `flint.yaml`. A topic that is not listed there
/// has the defaults.
public struct TopicSettings: Sendable, Hashable, Codable {
    /// What the topic's message bodies are.
    public var format: TopicFormat

    public init(format: TopicFormat = TopicSettings.defaultFormat) {
        self.format = format
    }

    public static let defaultFormat: TopicFormat = .text
}

/// What a topic's message bodies are.
public enum TopicFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// Any text.
    case text
    /// A JSON document each.
    case json
}
