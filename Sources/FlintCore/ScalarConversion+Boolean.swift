extension ScalarConversion {
    /// `true` or `false`, as YAML 1.2's core schema writes them.
    static func boolean(_ text: String) throws(ValueProblem) -> Bool {
        switch text {
        case "true": return true
        case "false": return false
        default: throw ValueProblem("\"\(text)\" is not true or false")
        }
    }
}
