import FlintCore
import Foundation
import Testing

@Suite struct JSONWriterTests {
    @Test func nestedObjectsAndArrays_areValidJSONWithCommasInPlace() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("a")
        writer.integer(1)
        writer.key("list")
        writer.beginArray()
        writer.string("x")
        writer.beginObject()
        writer.key("k")
        writer.null()
        writer.endObject()
        writer.bool(false)
        writer.endArray()
        writer.key("empty")
        writer.object([:])
        writer.key("map")
        writer.object(["b": "2", "a": "1"])
        writer.endObject()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a":1,"list":["x",{"k":null},false],"empty":{},"map":{"a":"1","b":"2"}}"#)
        #expect(try JSONSerialization.jsonObject(with: writer.data) is [String: Any])
    }

    @Test func rollBack_undoesWhatFollowedTheMark_commasIncluded() {
        var writer = JSONWriter()
        writer.beginArray()
        let empty = writer.mark
        writer.string("gone")
        writer.rollBack(to: empty)
        writer.string("a")
        let afterFirst = writer.mark
        writer.beginObject()
        writer.key("k")
        writer.integer(1)
        writer.endObject()
        writer.rollBack(to: afterFirst)
        writer.string("b")
        writer.endArray()
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"["a","b"]"#)
    }

    @Test func strings_escapeWhatJSONRequires_andNothingElse() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{07} slash / unicode wörld 🎉"
        var writer = JSONWriter()
        writer.string(tricky)
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #""quote \" backslash \\ newline \n tab \t bell \u0007 slash / unicode wörld 🎉""#)
        #expect(try JSONSerialization.jsonObject(with: writer.data, options: .fragmentsAllowed) as? String == tricky)
    }

    @Test(arguments: ["", "\"", "\"\"x\n", "plain", "ends with a quote\"", "\u{1F}\u{0}", "🎉\\"])
    func strings_roundTrip_whereverTheEscapesFall(_ text: String) throws {
        var writer = JSONWriter()
        writer.string(text)
        #expect(try JSONSerialization.jsonObject(with: writer.data, options: .fragmentsAllowed) as? String == text)
    }
}
