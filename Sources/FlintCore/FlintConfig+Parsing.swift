internal import Yams

extension FlintConfig {
    /// Parses and validates `flint.yaml`, collecting every issue before throwing. Every key is
    /// optional; an empty file is all defaults.
    ///
    /// Whether the directories it names exist is checked by `ProjectLoader`, which knows the root.
    public static func parse(yaml: String, file: String) throws(ProjectLoadError) -> FlintConfig {
        let parsed = parseCollectingIssues(yaml: yaml, file: file)
        guard parsed.issues.isEmpty else { throw ProjectLoadError(issues: parsed.issues) }
        return parsed.config
    }

    /// Every key `flint.yaml` may have.
    static let configKeys = [
        "listen", "functions", "triggers", "buckets", "data", "topics", "bus", "ledger", "concurrency", "pricing", "user", "drain_timeout",
    ]

    /// Parses `flint.yaml` into a configuration (defaults standing in for invalid values) and the issues.
    static func parseCollectingIssues(yaml: String, file: String) -> ParsedConfig {
        var parsed = ParsedConfig(config: FlintConfig())
        let (document, composeIssues) = YAMLDocuments.composeSingle(yaml, file: file)
        parsed.issues = composeIssues
        guard let document,
              var map = YAMLMapping.root(document, file: file, expected: "a mapping of settings (listen, functions, ...)", issues: &parsed.issues)
        else {
            // Unreadable settings: nothing that depends on them can be trusted either.
            if !parsed.issues.isEmpty { parsed.invalidKeys = Set(configKeys) }
            return parsed
        }

        let listen = map.value("listen", hint: "HOST:PORT, e.g. 127.0.0.1:8080") { text throws(ValueProblem) in
            guard let address = ListenAddress(parsing: text) else {
                throw ValueProblem("\"\(text)\" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080; port 0 picks a free one)")
            }
            return address
        }
        if let listen { parsed.config.listen = listen.value }

        let issuesBeforeFunctions = map.issues.count
        if let functions = parseFunctionDirectories(&map) {
            parsed.config.functions = functions.map(\.value)
            parsed.explicitFunctions = functions
        }
        if map.issues.count > issuesBeforeFunctions { parsed.invalidKeys.insert("functions") }

        for key in ["triggers", "buckets", "data"] {
            let issuesBefore = map.issues.count
            guard let path = map.value(key, hint: "a directory, relative to the project", nonEmptyPath) else {
                if map.issues.count > issuesBefore { parsed.invalidKeys.insert(key) }
                continue
            }
            switch key {
            case "triggers":
                parsed.config.triggers = path.value
                parsed.explicitTriggers = path
            case "buckets": parsed.config.buckets = path.value
            default: parsed.config.data = path.value
            }
        }
        if let topics = TopicSettings.parseTopics(&map) { parsed.config.topics = topics }
        if let bus = BusSettings.parse(&map) { parsed.config.bus = bus }
        if let ledger = LedgerSettings.parse(&map) { parsed.config.ledger = ledger }
        if let pricing = PriceTable.parse(&map) { parsed.config.pricing = pricing }
        let concurrency = map.value("concurrency", hint: "a whole number of handler processes", ScalarConversion.integer(in: concurrencyRange))
        if let concurrency { parsed.config.concurrency = concurrency.value }
        let drain = map.value("drain_timeout", hint: ScalarConversion.durationHint, ScalarConversion.duration(in: drainTimeoutRange))
        if let drain { parsed.config.drainTimeout = drain.value }
        if let user = map.value("user", hint: "a user name, e.g. nobody (root runs handlers as root)", nonEmptyUser) {
            parsed.config.user = user.value
            parsed.explicitUser = user
        }
        map.reportUnreadKeys(notAKeyOf: "flint.yaml", keys: configKeys)
        parsed.issues += map.issues
        return parsed
    }

    /// Whether the user exists is for the machine that runs the handlers to say
    /// (`ProjectLoader.load(root:accountExists:)`).
    private static func nonEmptyUser(_ text: String) throws(ValueProblem) -> String {
        guard !text.isEmpty, !text.contains(where: \.isWhitespace) else {
            throw ValueProblem("\"\(text)\" is not a user name (e.g. nobody; root runs handlers as root)")
        }
        return text
    }

    private static func nonEmptyPath(_ text: String) throws(ValueProblem) -> String {
        guard !text.isEmpty else { throw ValueProblem("must not be empty (a directory, relative to the project)") }
        return text
    }

    /// `functions`: a list of directories, or a single one.
    private static func parseFunctionDirectories(_ map: inout YAMLMapping) -> [Located<String>]? {
        let hint = "a list of directories, e.g. [functions]"
        guard let node = map.node("functions", hint: hint) else { return nil }
        if case .scalar = node.value {
            guard let text = map.text(of: node, hint: hint) else { return nil }
            return map.converted(text, nonEmptyPath).map { [$0] }
        }
        guard let elements = map.elements(of: node, hint: hint) else { return nil }
        var directories: [Located<String>] = []
        for element in elements.value {
            guard let text = map.text(of: element, hint: "a directory"), let path = map.converted(text, nonEmptyPath) else {
                continue
            }
            if let earlier = directories.first(where: { $0.value == path.value }) {
                map.report("\"\(path.value)\" is already listed at line \(earlier.line)", at: path)
                continue
            }
            directories.append(path)
        }
        return directories
    }
}

/// What parsing `flint.yaml` produced.
struct ParsedConfig {
    /// The settings, with defaults for keys that are absent or invalid.
    var config: FlintConfig
    /// `functions` as written, when present: these directories must exist, the default need not.
    var explicitFunctions: [Located<String>]?
    /// `triggers` as written, when present: it must exist, the default need not.
    var explicitTriggers: Located<String>?
    /// `user` as written, when present: the account the machine must have.
    var explicitUser: Located<String>?
    /// Keys whose values were refused: what depends on them is not loaded, so their errors do not
    /// multiply into others.
    var invalidKeys: Set<String> = []
    var issues: [ConfigIssue] = []
}
