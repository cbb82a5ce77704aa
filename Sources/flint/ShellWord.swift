/// Text as one word of a POSIX shell command line, for the commands Flint suggests pasting.
enum ShellWord {
    /// What the shell takes as it is, anywhere in a word.
    private static let plain = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./,:=@%+")

    /// `text` as it is when the shell would take it so, otherwise in single quotes (a quote inside
    /// written `'\''`).
    static func quoted(_ text: String) -> String {
        guard text.isEmpty || !text.allSatisfy(plain.contains) else { return text }
        return "'" + text.map { $0 == "'" ? "'\\''" : String($0) }.joined() + "'"
    }
}
