import FlintCore
@testable import FlintStore
import Foundation
import Testing

/// The attribute maps the bus stores as JSON text, and reads back from rows any program may write.
@Suite struct JSONTextTests {
    @Test func object_roundTripsEveryString_keysSorted() {
        let attributes = ["b": "two \"quoted\" \\ / slash", "a": "ünïcode ✓", "c": "line\nbreak\ttab\u{1}"]
        let text = JSONText.object(attributes)
        #expect(text.hasPrefix(#"{"a":"#), "keys sorted: \(text)")
        #expect(JSONText.attributes(text) == attributes)
        let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String]
        #expect(parsed == attributes, "valid JSON for any other reader: \(text)")
    }

    @Test func object_ofNoAttributes_isAnEmptyObject() {
        #expect(JSONText.object([:]) == "{}")
        #expect(JSONText.attributes("{}") == [:])
    }

    @Test func attributes_skipValuesThatAreNotStrings() {
        let text = #"{"kind": "order", "count": 3, "nested": {"a": "b"}, "list": ["x"], "none": null, "flag": true}"#
        #expect(JSONText.attributes(text) == ["kind": "order"])
    }

    @Test func attributes_ofTextThatIsNotAnObject_areNone() {
        for text in ["", "not json", "[1, 2]", "\"just a string\"", "{\"open\": "] {
            #expect(JSONText.attributes(text) == [:], "\(text)")
        }
    }
}

/// The fast reader of the attribute maps a claim reads: the general decoder's answer for every
/// object of string values, and no answer (so the decoder decides) for anything else.
@Suite struct JSONStringObjectTests {
    private static func parse(_ text: String) -> [String: String]? {
        var text = text
        return text.withUTF8(JSONSyntax.stringObject)
    }

    private static func decoded(_ text: String) -> [String: String]? {
        try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
    }

    @Test func objectsOfStrings_readAsTheDecoderReadsThem() {
        let texts = [
            #"{"flint.object_path":"/srv/buckets/uploads/a b+c%20.png"}"#,
            #" { "a" : "1" , "b":"two" } "#,
            "{\n\t\"a\": \"x\"\r\n}",
            #"{"esc":"q\" b\\ s\/ \b\f\n\r\t end"}"#,
            #"{"u":"\u00e9\u4e2d\uD83D\uDE00 \u0000"}"#,
            #"{"raw":"ünïcode ✓ 😀"}"#,
            #"{"":""}"#,
            #"{"dup":"first","dup":"last"}"#,
            "{}",
        ]
        for text in texts {
            let parsed = Self.parse(text)
            #expect(parsed != nil, "\(text)")
            #expect(parsed == Self.decoded(text), "\(text)")
        }
        #expect(Self.parse(#"{"dup":"first","dup":"last"}"#) == ["dup": "first"])
    }

    @Test func whatWritesRoundTrips() {
        let attributes = ["b": "two \"quoted\" \\ / slash", "a": "ünïcode ✓", "c": "line\nbreak\ttab\u{1}\u{7F}"]
        #expect(Self.parse(JSONText.object(attributes)) == attributes)
    }

    @Test func anythingElse_isLeftToTheDecoder() {
        let texts = [
            "", "not json", "[1]", #""s""#, #"{"open": "#, #"{"n": 1}"#, #"{"o": {"a": "b"}}"#, #"{"a": "b",}"#,
            #"{"a": "b"} x"#, "{\"tab\": \"a\tb\"}", #"{"bad": "\x"}"#, #"{"lone": "\uD83D"}"#, #"{"low": "\uDE00"}"#,
            #"{"short": "\u12"}"#, #"{a: "b"}"#, #"{"a" "b"}"#,
        ]
        for text in texts {
            #expect(Self.parse(text) == nil, "\(text)")
        }
    }
}
