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
