import FlintCore
import Testing

@Suite struct TerminalTextTests {
    @Test func controlCharacters_areWrittenOut_tabsKeptOnlyWhenAsked() {
        #expect(TerminalText.escaped("plain text, é ✓") == "plain text, é ✓")
        #expect(TerminalText.escaped("\u{1B}[31mred\u{1B}[0m") == #"\u{1B}[31mred\u{1B}[0m"#)
        #expect(TerminalText.escaped("a\tb\u{7F}c\u{9B}d\u{0}") == #"a\u{9}b\u{7F}c\u{9B}d\u{0}"#)
        #expect(TerminalText.escaped("a\tb", keepingTabs: true) == "a\tb")
    }

    /// awslambdaric joins a traceback's lines with \r: each is a line of its own on a terminal.
    @Test func logLines_splitAtCarriageReturns() {
        #expect(TerminalText.logLines("Traceback:\r  File x\rValueError") == ["Traceback:", "  File x", "ValueError"])
        #expect(TerminalText.logLines("one line") == ["one line"])
        #expect(TerminalText.logLines("a\r\nb\nc\r") == ["a", "b", "c"], "CRLF and a final break end lines, adding none")
        #expect(TerminalText.logLines("") == [""])
        #expect(TerminalText.logLines("\u{1B}]52;c;eA==\u{7}\tx") == [#"\u{1B}]52;c;eA==\u{7}"# + "\tx"])
    }
}
