internal import Yams

/// Turns YAML text into node trees that remember their lines, and YAML errors into issues.
enum YAMLDocuments {
    /// Composes every document of `yaml` (a file may hold several, separated by `---`). An empty
    /// document is a null scalar. A syntax error becomes an issue; the documents before it are kept.
    static func compose(_ yaml: String, file: String) -> (documents: [Node], issues: [ConfigIssue]) {
        var documents: [Node] = []
        do {
            // UTF-8 explicitly: `.default` consults (and prints) the YAMS_DEFAULT_ENCODING variable.
            var sequence = try Yams.compose_all(yaml: yaml, .default, .default, .utf8)
            while let node = sequence.next() {
                documents.append(node)
            }
            if let error = sequence.error {
                return (documents, [issue(for: error, in: yaml, file: file)])
            }
        } catch {
            return (documents, [issue(for: error, in: yaml, file: file)])
        }
        return (documents, [])
    }

    /// Composes `yaml`, which must hold at most one document; nil when it holds none or only an
    /// empty one.
    static func composeSingle(_ yaml: String, file: String) -> (document: Node?, issues: [ConfigIssue]) {
        let (documents, issues) = compose(yaml, file: file)
        let nonEmpty = documents.filter { !$0.isNull }
        guard nonEmpty.count <= 1 else {
            let extra = ConfigIssue(
                location: SourceLocation(file: file, line: nonEmpty[1].line),
                key: nil,
                message: "a second YAML document (after ---); this file holds one mapping"
            )
            return (nonEmpty[0], issues + [extra])
        }
        return (nonEmpty.first, issues)
    }

    /// An issue for an error thrown while composing `yaml`, at the line the parser stopped on.
    static func issue(for error: any Error, in yaml: String, file: String) -> ConfigIssue {
        var line = 0
        var key: String?
        let message: String
        switch error as? YamlError {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            line = mark.line
            var text = "invalid YAML: \(problem)"
            if let context {
                text += " (\(context.text) at line \(context.mark.line))"
                // A plain `*` starts an alias: the usual cause is an unquoted cron expression.
                if context.text == "while scanning an alias" {
                    text += "; quote a value that starts with *, e.g. \"*/5 * * * *\""
                }
                // `[` and `{` start a list or mapping: the usual cause is an unquoted IPv6 address.
                if context.text == "while parsing a flow node" {
                    text += "; a value that starts with [ or { is a YAML list or mapping: quote it if it is text, e.g. listen: \"[::1]:8080\""
                }
            }
            message = text
        case let .reader(problem, offset, _, _):
            if let offset {
                line = 1 + yaml.prefix(offset).reduce(0) { $1 == "\n" ? $0 + 1 : $0 }
            }
            message = "invalid YAML: \(problem)"
        case let .duplicatedKeysInMapping(duplicates, context):
            line = context.mark.line
            if duplicates.count == 1 {
                key = duplicates[0]
                let again = repeatLine(of: duplicates[0], after: line, in: yaml).map { " (again at line \($0))" } ?? ""
                message = "appears twice in the same mapping\(again); keep one"
            } else {
                message = "keys \(duplicates.joined(separator: ", ")) appear twice in the same mapping; keep one of each"
            }
        default:
            message = "invalid YAML: \(error)"
        }
        return ConfigIssue(location: SourceLocation(file: file, line: line), key: key, message: message)
    }

    /// The line (1-based) where `key` is written again after `line`, at the same indentation, in
    /// block style (`key:`); nil when it cannot be told so simply (flow style, quoted keys).
    static func repeatLine(of key: String, after line: Int, in yaml: String) -> Int? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return nil }
        func keyIndent(_ text: Substring) -> Int? {
            let indent = text.prefix { $0 == " " }.count
            return text.dropFirst(indent).hasPrefix(key + ":") ? indent : nil
        }
        guard let indent = keyIndent(lines[line - 1]) else { return nil }
        for index in line ..< lines.count where keyIndent(lines[index]) == indent {
            return index + 1
        }
        return nil
    }
}

extension Node {
    /// The 1-based line the node starts on; 0 when unknown.
    var line: Int { mark?.line ?? 0 }

    /// `~`, `null`, or nothing at all (`key:` with no value, an empty document).
    var isNull: Bool {
        if case .scalar = self { return tag.rawValue == Tag.Name.null.rawValue }
        return false
    }

    /// Whether the node is a `<<` merge key.
    var isMergeKey: Bool {
        if case .scalar = self { return tag.rawValue == Tag.Name.merge.rawValue }
        return false
    }

    /// How messages name the node's kind: `a list`, `a mapping`, `a single value`.
    var kindDescription: String {
        switch self {
        case .scalar: "a single value"
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }
}
