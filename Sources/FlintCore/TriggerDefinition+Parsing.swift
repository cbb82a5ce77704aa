internal import Yams

extension TriggerDefinition {
    /// Parses and validates a trigger file, which may hold several documents separated by `---`;
    /// collects every issue of every document before throwing.
    ///
    /// - Parameters:
    ///   - yaml: The file's contents.
    ///   - file: The file's path as messages show it (`triggers/uploads.yaml`).
    ///   - baseName: The file's name without its extension; the first document's trigger is named
    ///     after it, the N-th's (N ≥ 2) `baseName#N`. Empty documents define no trigger.
    public static func parseAll(yaml: String, file: String, baseName: String) throws(ProjectLoadError) -> [TriggerDefinition] {
        let parsed = parseAllCollectingIssues(yaml: yaml, file: file, baseName: baseName)
        guard parsed.issues.isEmpty else { throw ProjectLoadError(issues: parsed.issues) }
        return parsed.triggers.compactMap(\.definition)
    }

    /// Parses a trigger file into as much as could be read, and the issues.
    static func parseAllCollectingIssues(yaml: String, file: String, baseName: String) -> (triggers: [ParsedTrigger], issues: [ConfigIssue]) {
        var (documents, issues) = YAMLDocuments.compose(yaml, file: file)
        var triggers: [ParsedTrigger] = []
        for (index, document) in documents.enumerated() where !document.isNull {
            let name = index == 0 ? baseName : "\(baseName)#\(index + 1)"
            guard var map = YAMLMapping.root(document, file: file, expected: "a mapping with source and function", issues: &issues) else {
                continue
            }
            let trigger = parseDocument(&map, name: name)
            issues += map.issues
            triggers.append(trigger)
        }
        return (triggers, issues)
    }

    private static func parseDocument(_ map: inout YAMLMapping, name: String) -> ParsedTrigger {
        let source = map.value(
            "source", required: true, hint: ScalarConversion.choices(TriggerKind.self), ScalarConversion.oneOf(TriggerKind.self)
        )
        let function = map.value(
            "function", required: true, hint: "the name of a function",
            ScalarConversion.identifier(maxLength: 64, rule: FunctionManifest.nameRule) { $0.isLowercaseASCIILetterOrDigit || $0 == "-" }
        )
        var parsed = ParsedTrigger(definition: nil, function: function, route: nil)
        guard let kind = source?.value else {
            // Without a valid source there is no telling which keys belong; report only the source.
            _ = map.unreadKeys()
            return parsed
        }
        let triggerSource: TriggerSource?
        switch kind {
        case .http:
            let http = TriggerSource.parseHTTP(&map)
            parsed.route = http
            triggerSource = http.map { .http($0.value) }
        case .bucket:
            triggerSource = TriggerSource.parseBucket(&map).map { .bucket($0) }
        case .queue:
            triggerSource = TriggerSource.parseQueue(&map).map { .queue($0) }
        case .schedule:
            triggerSource = TriggerSource.parseSchedule(&map).map { .schedule($0) }
        }
        reportUnreadKeys(&map, kind: kind)

        if let function, let triggerSource, map.issues.isEmpty {
            parsed.definition = TriggerDefinition(
                name: name,
                location: SourceLocation(file: map.file, line: map.line),
                function: function.value,
                source: triggerSource
            )
        }
        return parsed
    }

    /// The keys every trigger has.
    static let commonKeys = ["source", "function"]

    /// Reports keys that are not keys of a `kind` trigger, saying so when they belong to another kind.
    private static func reportUnreadKeys(_ map: inout YAMLMapping, kind: TriggerKind) {
        let keys = commonKeys + kind.keys
        for key in map.unreadKeys() {
            let hint: String
            if let owner = TriggerKind.allCases.first(where: { $0.keys.contains(key.value) }) {
                hint = "it belongs to \(owner.rawValue) triggers"
            } else if let suggestion = KeySuggestion.closest(to: key.value, among: keys) {
                hint = "did you mean \(suggestion)?"
            } else {
                hint = "keys: \(keys.joined(separator: ", "))"
            }
            map.report("not a key of \(kind.withArticle) trigger (\(hint))", at: key)
        }
    }
}

extension TriggerKind {
    /// The keys of this kind of trigger, besides `source` and `function`.
    var keys: [String] {
        switch self {
        case .http: ["method", "path", "auth"]
        case .bucket: ["bucket", "events", "prefix", "suffix"]
        case .queue: ["topic", "batch", "window"]
        case .schedule: ["every", "cron"]
        }
    }

    /// `an http`, `a bucket`.
    var withArticle: String { self == .http ? "an http" : "a \(rawValue)" }
}

/// What parsing one trigger document produced.
struct ParsedTrigger {
    /// The trigger; nil when the document has issues.
    var definition: TriggerDefinition?
    /// The function named, when the name is valid, even when other keys are not: the reference
    /// is still checked.
    var function: Located<String>?
    /// An http trigger's route, where its `path` is, for conflict messages.
    var route: Located<HTTPTrigger>?
}
