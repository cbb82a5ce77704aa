internal import Yams

/// A value read from YAML, with the line it is on and the key path that names it in messages.
struct Located<Value> {
    var value: Value
    var line: Int
    /// `timeout`, `command[0]`, `env.QUALITY`.
    var key: String
}

/// Why a scalar's text was refused; the message names the value and what is allowed instead:
/// `"30 parsecs" is not a duration (use 500ms, 30s, 5m, 7d)`.
struct ValueProblem: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// A typed reader over one YAML mapping that turns every problem into a `ConfigIssue` and keeps
/// going, so one pass reports all of a file's problems.
///
/// Scalars are read as their text, whatever YAML would resolve them to: `QUALITY: 80` is `"80"`,
/// `auth: off` is `"off"` (and then refused as not `none` or `token`), never a boolean. Every
/// accessor marks its key as read; `reportUnreadKeys` names the keys nobody asked for. YAML merge
/// keys (`<<: *defaults`) are applied, explicit keys taking precedence.
struct YAMLMapping {
    private struct Entry {
        var key: String
        var line: Int
        var value: Node
    }

    let file: String
    /// The line the mapping starts on, where a missing key is reported.
    let line: Int
    /// The key path of the mapping itself: empty at a document's root, `env` inside `env`.
    private let path: String
    private var entries: [Entry] = []
    private var readKeys: Set<String> = []
    private(set) var issues: [ConfigIssue] = []

    /// Reads `node`, which must be a mapping; otherwise reports that `expected` was expected and
    /// returns nil.
    static func root(_ node: Node, file: String, expected: String, issues: inout [ConfigIssue]) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            issues.append(ConfigIssue(
                location: SourceLocation(file: file, line: node.line), key: nil,
                message: "expected \(expected), not \(node.kindDescription)"
            ))
            return nil
        }
        return YAMLMapping(mapping, line: node.line, file: file, path: "")
    }

    private init(_ mapping: Node.Mapping, line: Int, file: String, path: String) {
        self.file = file
        self.line = line
        self.path = path
        var merged: [Entry] = []
        for (key, value) in mapping {
            if key.isMergeKey {
                merged += mergedEntries(value)
            } else if case .scalar(let scalar) = key {
                // YAML tells `ON` (a boolean) from `"ON"` (a string) and lets both be keys of one
                // mapping; read as text, as here, they are the same key.
                guard !entries.contains(where: { $0.key == scalar.string }) else {
                    report("appears twice in the same mapping; keep one", key: keyPath(scalar.string), line: key.line)
                    continue
                }
                entries.append(Entry(key: scalar.string, line: key.line, value: value))
            } else {
                report("a key must be plain text, not \(key.kindDescription)", key: nil, line: key.line)
            }
        }
        for entry in merged where !entries.contains(where: { $0.key == entry.key }) {
            entries.append(entry)
        }
    }

    /// The entries a merge key's value contributes: a mapping's, or those of a list of mappings,
    /// earlier ones first.
    private mutating func mergedEntries(_ value: Node) -> [Entry] {
        let sources = value.sequence.map(Array.init) ?? [value]
        var result: [Entry] = []
        for source in sources {
            guard case .mapping(let mapping) = source else {
                report("must refer to a mapping, e.g. <<: *defaults", key: keyPath("<<"), line: source.line)
                continue
            }
            let nested = YAMLMapping(mapping, line: source.line, file: file, path: path)
            issues += nested.issues
            result += nested.entries.filter { entry in !result.contains { $0.key == entry.key } }
        }
        return result
    }

    // MARK: Reporting

    /// Records an issue; `key` is a full key path.
    mutating func report(_ message: String, key: String?, line: Int) {
        issues.append(ConfigIssue(location: SourceLocation(file: file, line: line), key: key, message: message))
    }

    /// Records an issue about `value`.
    mutating func report<Value>(_ message: String, at value: Located<Value>) {
        report(message, key: value.key, line: value.line)
    }

    /// The key path of `key` inside this mapping.
    func keyPath(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    /// The node under `key`, without marking it read: for checks across keys.
    func peek(_ key: String) -> Located<Node>? {
        entries.first { $0.key == key }.map { Located(value: $0.value, line: $0.line, key: keyPath(key)) }
    }

    /// Reports every key no accessor asked for as not a key of `owner` (`function.yaml`, `an http
    /// trigger`), suggesting the nearest of `keys` when there is a close one.
    mutating func reportUnreadKeys(notAKeyOf owner: String, keys: [String]) {
        for entry in unreadKeys() {
            let hint = KeySuggestion.closest(to: entry.value, among: keys).map { "did you mean \($0)?" }
                ?? "keys: \(keys.joined(separator: ", "))"
            report("not a key of \(owner) (\(hint))", at: entry)
        }
    }

    /// The keys no accessor asked for, in document order; they count as read afterwards.
    mutating func unreadKeys() -> [Located<String>] {
        let unread = entries.filter { !readKeys.contains($0.key) }
        readKeys.formUnion(unread.map(\.key))
        return unread.map { Located(value: $0.key, line: $0.line, key: keyPath($0.key)) }
    }

    // MARK: Reading

    /// The node under `key`, marking it read; nil (and an issue when `required`) when absent.
    mutating func node(_ key: String, required: Bool = false, hint: String) -> Located<Node>? {
        readKeys.insert(key)
        guard let entry = entries.first(where: { $0.key == key }) else {
            if required { report("is required (\(hint))", key: keyPath(key), line: line) }
            return nil
        }
        return Located(value: entry.value, line: entry.line, key: keyPath(key))
    }

    /// The text of the scalar under `key`; nil with an issue when it is a list, a mapping or null.
    mutating func scalar(_ key: String, required: Bool = false, hint: String) -> Located<String>? {
        guard let node = node(key, required: required, hint: hint) else { return nil }
        return text(of: node, hint: hint)
    }

    /// The scalar under `key`, converted; nil with an issue when absent and `required`, not a
    /// scalar, or refused by `convert`.
    mutating func value<T>(
        _ key: String, required: Bool = false, hint: String,
        _ convert: (String) throws(ValueProblem) -> T
    ) -> Located<T>? {
        guard let text = scalar(key, required: required, hint: hint) else { return nil }
        return converted(text, convert)
    }

    /// `text` converted; nil with an issue when `convert` refuses it.
    mutating func converted<T>(_ text: Located<String>, _ convert: (String) throws(ValueProblem) -> T) -> Located<T>? {
        do throws(ValueProblem) {
            return Located(value: try convert(text.value), line: text.line, key: text.key)
        } catch {
            report(error.message, at: text)
            return nil
        }
    }

    /// The text of a scalar node; nil with an issue when it is a list, a mapping or null.
    mutating func text(of node: Located<Node>, hint: String) -> Located<String>? {
        switch node.value {
        case .scalar(let scalar) where !node.value.isNull:
            return Located(value: scalar.string, line: node.line, key: node.key)
        case .scalar:
            report("has no value (\(hint))", at: node)
        default:
            report("expected a single value, not \(node.value.kindDescription) (\(hint))", at: node)
        }
        return nil
    }

    /// The elements of the list under `key`, each keyed `key[i]` at its own line; nil with an
    /// issue when it is not a list.
    mutating func list(_ key: String, required: Bool = false, hint: String) -> Located<[Located<Node>]>? {
        guard let node = node(key, required: required, hint: hint) else { return nil }
        return elements(of: node, hint: hint)
    }

    /// The elements of a list node; nil with an issue when it is not a list.
    mutating func elements(of node: Located<Node>, hint: String) -> Located<[Located<Node>]>? {
        guard case .sequence(let sequence) = node.value else {
            let problem = node.value.isNull ? "has no value" : "expected a list, not \(node.value.kindDescription)"
            report("\(problem) (\(hint))", at: node)
            return nil
        }
        let elements = sequence.enumerated().map { index, element in
            Located(value: element, line: element.line, key: "\(node.key)[\(index)]")
        }
        return Located(value: elements, line: node.line, key: node.key)
    }

    /// The mapping under `key`, as a reader whose issues are added to this one's when `body`
    /// returns; nil with an issue when it is not a mapping.
    mutating func mapping<T>(_ key: String, hint: String, _ body: (inout YAMLMapping) -> T) -> Located<T>? {
        guard let node = node(key, hint: hint) else { return nil }
        return mapping(of: node, hint: hint, body)
    }

    /// A mapping node, as a reader whose issues are added to this one's when `body` returns; nil
    /// with an issue when it is not a mapping. For mappings inside mappings whose keys are data
    /// (`topics.images`).
    mutating func mapping<T>(of node: Located<Node>, hint: String, _ body: (inout YAMLMapping) -> T) -> Located<T>? {
        guard case .mapping(let mapping) = node.value else {
            let problem = node.value.isNull ? "has no value" : "expected a mapping, not \(node.value.kindDescription)"
            report("\(problem) (\(hint))", at: node)
            return nil
        }
        var nested = YAMLMapping(mapping, line: node.line, file: file, path: node.key)
        let result = body(&nested)
        issues += nested.issues
        return Located(value: result, line: node.line, key: node.key)
    }

    /// Every entry, in document order, marking all read: for mappings whose keys are data (`env`).
    mutating func allEntries() -> [(key: Located<String>, value: Located<Node>)] {
        readKeys.formUnion(entries.map(\.key))
        return entries.map { entry in
            let path = keyPath(entry.key)
            return (Located(value: entry.key, line: entry.line, key: path), Located(value: entry.value, line: entry.line, key: path))
        }
    }
}
