import Testing

@testable import FlintRunner

@Suite struct HandlerCommandTests {
    @Test func pathLikeCommand_isResolvedAgainstTheFunctionDirectory() throws {
        let command = try HandlerCommand(resolving: ["./bin/handler", "x"], in: "/fn", searchPath: "/usr/bin")
        #expect(command.executable == "/fn/bin/handler")
        #expect(command.arguments == ["/fn/bin/handler", "x"])
        let nested = try HandlerCommand(resolving: ["bin/handler"], in: "/fn/", searchPath: "/usr/bin")
        #expect(nested.executable == "/fn/bin/handler")
        let parent = try HandlerCommand(resolving: ["../shared/handler"], in: "/fn", searchPath: "")
        #expect(parent.executable == "/fn/../shared/handler")
    }

    @Test func absoluteCommand_isVerbatim() throws {
        let command = try HandlerCommand(resolving: ["/bin/cat"], in: "/fn", searchPath: "")
        #expect(command.executable == "/bin/cat")
        #expect(command.arguments == ["/bin/cat"])
    }

    @Test func bareName_isSearchedOnAbsolutePathEntriesOnly() throws {
        let command = try HandlerCommand(resolving: ["sh", "-c"], in: "/fn", searchPath: "relative:/nonexistent:/bin")
        #expect(command.executable == "/bin/sh")
        #expect(command.arguments == ["/bin/sh", "-c"])
        #expect(throws: HandlerCommand.ResolutionError.notFoundOnPath(name: "sh", path: "bin:.")) {
            try HandlerCommand(resolving: ["sh"], in: "/fn", searchPath: "bin:.")
        }
    }

    @Test func arguments_onlyDotSlashOnesAreResolved() throws {
        let command = try HandlerCommand(
            resolving: ["/bin/x", "./a", "../b", ".hidden", "plain", "/abs", "--flag=./c", ""],
            in: "/fn", searchPath: ""
        )
        #expect(command.arguments == ["/bin/x", "/fn/a", "/fn/../b", ".hidden", "plain", "/abs", "--flag=./c", ""])
    }

    @Test func emptyOrNULCommand_isRefused() {
        #expect(throws: HandlerCommand.ResolutionError.empty) {
            try HandlerCommand(resolving: [], in: "/fn", searchPath: "")
        }
        #expect(throws: HandlerCommand.ResolutionError.empty) {
            try HandlerCommand(resolving: [""], in: "/fn", searchPath: "")
        }
        #expect(throws: HandlerCommand.ResolutionError.containsNUL("a\u{0}b")) {
            try HandlerCommand(resolving: ["/bin/x", "a\u{0}b"], in: "/fn", searchPath: "")
        }
    }
}
