/// A failure the CLI reports in one line on stderr before exiting non-zero.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    /// Printed as it is, without "Error: ": a message that names its command, or lines of a
    /// documented form (`flint validate`'s `file:line: key: message`).
    let printsAsIs: Bool

    init(_ description: String) {
        self.description = description
        printsAsIs = description.hasPrefix("flint ")
    }

    init(printedAsIs description: String) {
        self.description = description
        printsAsIs = true
    }
}

extension CLIError {
    /// A `--function` filter that found nothing, naming no function of `names`: said, because a
    /// typo would otherwise look like an idle function. `hint` says what lists the functions.
    static func refuseUnknown(_ function: String, among names: [String], hint: String? = nil) throws {
        guard !names.contains(function) else { return }
        let known = names.sorted().joined(separator: ", ")
        throw CLIError("no function is named \(function), and nothing of that name was found (known: \(known)\(hint.map { "; \($0)" } ?? ""))")
    }
}
