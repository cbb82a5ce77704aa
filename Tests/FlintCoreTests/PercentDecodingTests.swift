import FlintCore
import Foundation
import Testing

@Suite struct PercentDecodingTests {
    @Test(arguments: [
        ("plain/path", "plain/path"),
        ("a%20b", "a b"),
        ("%2Fslash%2f", "/slash/"),
        ("caf%C3%A9", "café"),
        ("100%25", "100%"),
        ("", ""),
        ("+stays+", "+stays+"),
    ])
    func decodes(encoded: String, expected: String) {
        #expect(encoded.percentDecoded == expected)
    }

    @Test(arguments: ["%", "%2", "%zz", "a%g0", "%C3", "%FF%FE"])
    func refusesMalformedEscapesAndNonUTF8(encoded: String) {
        #expect(encoded.percentDecoded == nil)
    }

    /// Random text with random escapes, valid or not, against Foundation's decoder.
    @Test func agreesWithFoundation() {
        var random = SplitMix(seed: 0x5EED)
        let pieces = ["a", "/", " ", "é", "%", "%2", "%20", "%2F", "%C3%A9", "%E2%82", "%AC", "%zz", "%0a", "+", "€", "%25"]
        for _ in 0 ..< 5_000 {
            let text = (0 ..< random.next(below: 8)).map { _ in pieces[random.next(below: pieces.count)] }.joined()
            #expect(text.percentDecoded == text.removingPercentEncoding, "\(text)")
            #expect(text[...].percentDecoded == text.removingPercentEncoding, "\(text) as a substring")
        }
    }
}
