/// What handlers wrote (an error message, a log line, an object key), made fit to print on an
/// operator's terminal: a control character there is a command to it (move the cursor over
/// other lines, set the window title, write the clipboard), so none is printed as it is.
public enum TerminalText {
    /// `text` with its C0 and C1 control characters and DEL written as `\u{XX}`; tabs kept when
    /// `keepingTabs` (a log's own layout).
    public static func escaped(_ text: String, keepingTabs: Bool = false) -> String {
        let isEscaped = { (scalar: Unicode.Scalar) in isControl(scalar) && !(keepingTabs && scalar == "\t") }
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        var escaped = ""
        for scalar in text.unicodeScalars {
            if isEscaped(scalar) {
                escaped += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// A log's lines, to print each on a line of its own: at `\n`, `\r\n`, and at a lone `\r`,
    /// with which runtimes that keep one record's lines together (awslambdaric, for a traceback)
    /// join them, and which a terminal would take as going back to the start of the line,
    /// printing each over the one before. A line break at the very end ends the last line.
    public static func logLines(_ text: String) -> [String] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
        if lines.count > 1, lines.last?.isEmpty == true { lines.removeLast() }
        return lines.map { escaped(String($0), keepingTabs: true) }
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F ... 0x9F).contains(scalar.value)
    }
}
