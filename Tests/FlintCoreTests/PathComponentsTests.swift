import FlintCore
import Testing

@Suite struct PathComponentsTests {
    @Test func splitsAtEverySlash_keepingEmptyParts_unlessAsked() {
        #expect(PathComponents.of("a/b/c") == ["a", "b", "c"])
        #expect(PathComponents.of("/a//b/") == ["", "a", "", "b", ""])
        #expect(PathComponents.of("/a//b/", omittingEmpty: true) == ["a", "b"])
        #expect(PathComponents.of("") == [""])
    }

    /// To Swift, `/` + a combining mark is one character, so `split(separator: "/")` does not
    /// split there; Linux does.
    @Test func aSlashBeforeACombiningMark_separates() {
        let key = "a/\u{301}b"
        #expect(key.split(separator: "/").count == 1)
        #expect(PathComponents.of(key).map { Array($0.utf8) } == [Array("a".utf8), Array("\u{301}b".utf8)])
        #expect(Array(PathComponents.last(of: key).utf8) == Array("\u{301}b".utf8))
    }

    @Test func last_isThePartAfterTheLastSlash() {
        #expect(PathComponents.last(of: "photos/2024/cat.png") == "cat.png")
        #expect(PathComponents.last(of: "cat.png") == "cat.png")
        #expect(PathComponents.last(of: "dir/") == "")
    }

    @Test func parent_isThePartBeforeTheLastSlash() {
        #expect(PathComponents.parent(of: "photos/2024/cat.png") == "photos/2024")
        #expect(PathComponents.parent(of: "cat.png") == "")
        #expect(Array(PathComponents.parent(of: "a/\u{301}b/c").utf8) == Array("a/\u{301}b".utf8))
    }
}
