import Testing

@testable import FlintCore

@Suite struct KeySuggestionTests {
    @Test(arguments: [
        ("auht", "auth"), ("nmae", "name"), ("paht", "path"), ("timout", "timeout"), ("bukets", "buckets"), ("cmmand", "command"),
    ])
    func typo_suggestsTheKey(typo: String, key: String) {
        #expect(KeySuggestion.closest(to: typo, among: ["auth", "name", "path", "timeout", "buckets", "command", "method"]) == key)
    }

    @Test(arguments: ["xyz", "zzzz", "a", "enviroment-variables"])
    func unrelatedWord_suggestsNothing(word: String) {
        #expect(KeySuggestion.closest(to: word, among: ["auth", "name", "path", "env"]) == nil)
    }

    @Test func editDistance_countsASwapOfNeighboursAsOne() {
        #expect(KeySuggestion.editDistance("auht", "auth") == 1)
        #expect(KeySuggestion.editDistance("kitten", "sitting") == 3)
        #expect(KeySuggestion.editDistance("", "abc") == 3)
        #expect(KeySuggestion.editDistance("same", "same") == 0)
    }
}
