internal import Yams

extension TopicSettings {
    /// Every key a topic's settings may have.
    static let keys = ["format"]

    /// `topics` in `flint.yaml`: topic name → settings. Entries with issues are reported and left
    /// out; nil when the key is absent or not a mapping.
    static func parseTopics(_ map: inout YAMLMapping) -> [String: TopicSettings]? {
        let settingsHint = "a mapping such as {format: json}"
        let parsed = map.mapping("topics", hint: "a mapping of topic name to settings, e.g. images: {format: json}") { topics in
            var result: [String: TopicSettings] = [:]
            for (name, value) in topics.allEntries() {
                let nameProblem = TopicName.problem(name.value)
                if let nameProblem { topics.report(nameProblem, at: name) }
                let settings = topics.mapping(of: value, hint: settingsHint) { entry -> TopicSettings? in
                    let issuesBefore = entry.issues.count
                    let format = entry.value(
                        "format", hint: ScalarConversion.choices(TopicFormat.self), ScalarConversion.oneOf(TopicFormat.self)
                    )
                    entry.reportUnreadKeys(notAKeyOf: "a topic", keys: keys)
                    guard entry.issues.count == issuesBefore else { return nil }
                    return TopicSettings(format: format?.value ?? defaultFormat)
                }
                guard nameProblem == nil, let settings = settings?.value else { continue }
                result[name.value] = settings
            }
            return result
        }
        return parsed?.value
    }
}
