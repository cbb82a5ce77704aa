/// The rule for a topic's name, wherever one is written: a queue trigger's `topic`, a function's
/// `on_success` and `on_failure`, the keys of `topics` in `flint.yaml`.
public enum TopicName {
    /// The longest name, in characters.
    public static let maxLength = 128
    /// Names starting with this are Flint's own topics; no configuration may name one.
    public static let reservedPrefix = "flint."
    /// What a name may be made of, as messages say it.
    static let rule = "ASCII letters, digits, ., _ and -"

    /// Why `text` cannot name a topic a project declares, consumes or publishes to; nil when it can.
    public static func problem(_ text: String) -> String? {
        guard !text.isEmpty, text.count <= maxLength,
              text.allSatisfy({ $0.isASCIILetterOrDigit || $0 == "." || $0 == "_" || $0 == "-" })
        else {
            return "\"\(text)\" must be 1 to \(maxLength) characters of \(rule)"
        }
        if text.hasPrefix(reservedPrefix) {
            return "\"\(text)\" is reserved for Flint's own topics; choose a name that does not start with \(reservedPrefix)"
        }
        return nil
    }
}

extension ScalarConversion {
    /// `a topic name such as images`.
    static let topicNameHint = "a topic name such as images"

    /// A topic name a project may use (`TopicName.problem`).
    static func topicName(_ text: String) throws(ValueProblem) -> String {
        if let problem = TopicName.problem(text) { throw ValueProblem(problem) }
        return text
    }
}
