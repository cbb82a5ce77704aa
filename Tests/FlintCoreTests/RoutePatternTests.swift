import Testing
import FlintCore

@Suite struct RoutePatternTests {
    private func segments(_ path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }

    @Test func parameter_matchesOneSegment() throws {
        let pattern = try RoutePattern("/echo/{name}")
        #expect(pattern.match(segments("/echo/world")) == ["name": "world"])
        #expect(pattern.match(segments("/echo")) == nil)
        #expect(pattern.match(segments("/echo/a/b")) == nil)
        #expect(pattern.match(segments("/other/world")) == nil)
    }

    @Test func greedyParameter_takesTheRestOfThePath() throws {
        let pattern = try RoutePattern("/files/{proxy+}")
        #expect(pattern.match(segments("/files/a/b/c.txt")) == ["proxy": "a/b/c.txt"])
        #expect(pattern.match(segments("/files/x")) == ["proxy": "x"])
        #expect(pattern.match(segments("/files")) == nil)
    }

    @Test func shape_erasesParameterNames() throws {
        #expect(try RoutePattern("/a/{x}").shape == RoutePattern("/a/{y}").shape)
        #expect(try RoutePattern("/a/{x}").shape == "/a/{}")
        #expect(try RoutePattern("/a/{x+}").shape == "/a/{+}")
        #expect(try RoutePattern("/a/{x}").shape != RoutePattern("/a/{x+}").shape)
        #expect(try RoutePattern("/a/b").shape != RoutePattern("/a/{b}").shape)
    }

    @Test func literalSegments_areMoreSpecific() throws {
        #expect(try RoutePattern("/a/b").specificity.lexicographicallyPrecedes(RoutePattern("/a/b").specificity) == false)
        #expect(try RoutePattern("/a/{x}").specificity.lexicographicallyPrecedes(RoutePattern("/a/b").specificity))
        #expect(try RoutePattern("/a/{x+}").specificity.lexicographicallyPrecedes(RoutePattern("/a/{x}").specificity))
    }

    @Test(arguments: [
        ("echo", "must start with /"),
        ("/a/{x}/{x}", "parameter {x} appears twice"),
        ("/a/{p+}/b", "greedy parameter {p+} must be the last segment"),
        ("/a/x{y}", "segment \"x{y}\" mixes text and a {parameter}; use a whole segment"),
        ("/a/{}", "parameter \"{}\" needs a name of letters, digits, _ or -"),
    ])
    func invalidPatterns_sayWhy(pattern: String, message: String) {
        #expect(throws: RoutePatternError(message)) { try RoutePattern(pattern) }
    }
}
