/// Converters from a scalar's text to a typed value, for `YAMLMapping.value`; each refusal's
/// message quotes the text and says what is allowed.
enum ScalarConversion {
    typealias Converter<T> = (String) throws(ValueProblem) -> T

    /// `use 500ms, 30s, 5m, 7d`.
    static let durationHint = DurationText.examples
    /// `use 128Mi, 1Gi`.
    static let byteSizeHint = ByteSizeText.examples

    /// A duration (`30s`) within `range`.
    static func duration(in range: ClosedRange<Duration>) -> Converter<Duration> {
        { text throws(ValueProblem) in
            let duration = try parseDuration(text)
            guard range.contains(duration) else {
                throw ValueProblem(
                    "\"\(text)\" is out of range (allowed: \(DurationText.format(range.lowerBound))...\(DurationText.format(range.upperBound)))"
                )
            }
            return duration
        }
    }

    /// A duration (`5m`) of at least `minimum`.
    static func duration(atLeast minimum: Duration) -> Converter<Duration> {
        { text throws(ValueProblem) in
            let duration = try parseDuration(text)
            guard duration >= minimum else {
                throw ValueProblem("\"\(text)\" is too short (at least \(DurationText.format(minimum)))")
            }
            return duration
        }
    }

    private static func parseDuration(_ text: String) throws(ValueProblem) -> Duration {
        if let duration = DurationText.parse(text) { return duration }
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            throw ValueProblem("\"\(text)\" has no unit (\(durationHint))")
        }
        throw ValueProblem("\"\(text)\" is not a duration (\(durationHint))")
    }

    /// A byte size (`256Mi`) within `range`.
    static func byteSize(in range: ClosedRange<Int>) -> Converter<Int> {
        { text throws(ValueProblem) in
            guard let bytes = ByteSizeText.parse(text) else {
                let problem = !text.isEmpty && text.allSatisfy({ $0.isASCII && $0.isNumber }) ? "has no unit" : "is not a byte size"
                throw ValueProblem("\"\(text)\" \(problem) (\(byteSizeHint))")
            }
            guard range.contains(bytes) else {
                throw ValueProblem(
                    "\"\(text)\" is out of range (allowed: \(ByteSizeText.format(range.lowerBound))...\(ByteSizeText.format(range.upperBound)))"
                )
            }
            return bytes
        }
    }

    /// A whole number within `range`.
    static func integer(in range: ClosedRange<Int>) -> Converter<Int> {
        { text throws(ValueProblem) in
            guard let number = Int(text) else {
                throw ValueProblem("\"\(text)\" is not a whole number (allowed: \(range.lowerBound)...\(range.upperBound))")
            }
            guard range.contains(number) else {
                throw ValueProblem("\"\(text)\" is out of range (allowed: \(range.lowerBound)...\(range.upperBound))")
            }
            return number
        }
    }

    /// `one of exec, lambda`: what a field of type `E` allows.
    static func choices<E: RawRepresentable<String> & CaseIterable>(_ type: E.Type) -> String {
        "one of " + E.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// One of `E`'s raw values, exactly as written.
    static func oneOf<E: RawRepresentable<String> & CaseIterable>(_ type: E.Type) -> Converter<E> {
        { text throws(ValueProblem) in
            guard let value = E(rawValue: text) else {
                throw ValueProblem("\"\(text)\" is not \(choices(type))")
            }
            return value
        }
    }

    /// Text of 1...`maxLength` characters, each allowed by `isAllowed`, which `rule` describes
    /// (`a-z, 0-9 and -`).
    static func identifier(maxLength: Int, rule: String, _ isAllowed: @escaping (Character) -> Bool) -> Converter<String> {
        { text throws(ValueProblem) in
            guard !text.isEmpty, text.count <= maxLength, text.allSatisfy(isAllowed) else {
                throw ValueProblem("\"\(text)\" must be 1 to \(maxLength) characters of \(rule)")
            }
            return text
        }
    }
}

extension Character {
    /// `a-z` or `0-9`.
    var isLowercaseASCIILetterOrDigit: Bool { isASCII && (isLowercase || isNumber) }

    /// `A-Z`, `a-z` or `0-9`.
    var isASCIILetterOrDigit: Bool { isASCII && (isLetter || isNumber) }
}
