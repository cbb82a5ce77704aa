import FlintCore
import Testing

@Suite struct TopicNameTests {
    @Test(arguments: ["images", "images.v2", "a_b-c", "Flint.images", "flint", "flint-images", String(repeating: "t", count: 128)])
    func validNames_haveNoProblem(name: String) {
        #expect(TopicName.problem(name) == nil)
    }

    @Test func invalidNames_sayWhatIsAllowed() {
        let rule = "must be 1 to 128 characters of ASCII letters, digits, ., _ and -"
        #expect(TopicName.problem("") == #""" \#(rule)"#)
        #expect(TopicName.problem("my topic") == #""my topic" \#(rule)"#)
        #expect(TopicName.problem("a/b") == #""a/b" \#(rule)"#)
        #expect(TopicName.problem("wörld") == #""wörld" \#(rule)"#)
        #expect(TopicName.problem(String(repeating: "t", count: 129)) == "\"\(String(repeating: "t", count: 129))\" \(rule)")
    }

    @Test func flintDotPrefix_isReservedForFlintsOwnTopics() {
        #expect(TopicName.problem("flint.dead-letters")
            == #""flint.dead-letters" is reserved for Flint's own topics; choose a name that does not start with flint."#)
        #expect(TopicName.problem("flint.") != nil)
        #expect(TopicName.reservedPrefix == "flint.")
    }
}
