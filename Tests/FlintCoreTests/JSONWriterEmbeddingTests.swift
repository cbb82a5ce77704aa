import FlintCore
import Foundation
import Testing

@Suite struct JSONWriterEmbeddingTests {
    /// What `embedJSON` writes for `json` as a lone value, or nil when it refuses it.
    private func embedded(_ json: Data) -> String? {
        var writer = JSONWriter()
        guard writer.embedJSON(json) else {
            #expect(writer.bytes.isEmpty)
            return nil
        }
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    private func embedded(_ json: String) -> String? { embedded(Data(json.utf8)) }

    @Test(arguments: [
        #"{"a":[1,2,{"b":null}],"c":"d"}"#, "42", "-0", "-0.5e+10", "1E-7", "0.25", #""text""#, "true", "false", "null",
        "[]", "{}", "[[],{}]", #""\u00e9\n\"\\\/\b\f\r\t""#, #""wörld 🎉""#, #"{ "spaced" : [ 1 , 2 ] }"#, #""\ud83c\udf89""#,
    ])
    func validJSON_isEmbeddedAsItIs(json: String) throws {
        #expect(embedded(json) == json)
        // A strict reader reads it too.
        _ = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
    }

    @Test func surroundingWhitespace_isDropped() {
        #expect(embedded(" \n\t{\"a\": 1}\r\n") == #"{"a": 1}"#)
        #expect(embedded("  42 \n") == "42")
    }

    /// Among them what `JSONSerialization` accepts but is not JSON: trailing commas, a byte order
    /// mark, UTF-16.
    @Test(arguments: [
        "", "   ", "[1,]", #"{"a":1,}"#, "\u{FEFF}1", "01", "1.", ".5", "+1", "-", "1e", "1e+", "NaN", "Infinity", "'a'",
        #"{"a" 1}"#, #"{"a":}"#, "{1:2}", "[1] x", "1 2", #"{"a":1 "b":2}"#, "[", "]", "{", #"{"a""#, "tru", "nul", "True",
        "\"a\tb\"", #""\x""#, #""\u12""#, #""\u12G4""#, "\"unterminated", "// comment\n1", "[1 2]", "{\"a\":1}}",
        #""\ud800""#, #""\udc00""#, #""\ud800\u0041""#, #""\ud800x""#,
    ])
    func invalidJSON_isRefused_andNothingIsWritten(json: String) {
        #expect(embedded(json) == nil)
    }

    @Test(arguments: [
        [0x7B, 0x00, 0x7D, 0x00],  // {} in UTF-16LE: JSONSerialization reads it
        [0x22, 0xFF, 0x22],  // not UTF-8
        [0x22, 0xC0, 0x80, 0x22],  // overlong NUL
        [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8 encoded surrogate
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // past U+10FFFF
        [0x22, 0xE2, 0x82, 0x22],  // truncated sequence
        [0x22, 0x00, 0x22],  // raw NUL in a string
    ] as [[UInt8]])
    func invalidBytes_areRefused(bytes: [UInt8]) {
        #expect(embedded(Data(bytes)) == nil)
    }

    @Test func nesting_isAllowedTo512Levels() {
        let deepest = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(embedded(deepest) == deepest)
        #expect(embedded("[" + deepest + "]") == nil)
        // Far too deep: refused without exhausting the stack.
        #expect(embedded(String(repeating: "{\"a\":", count: 200_000) + "1" + String(repeating: "}", count: 200_000)) == nil)
    }

    @Test func embeddedValues_takeTheirPlaceAmongOthers() throws {
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("raw")
        var results = [writer.embedJSON(Data(#" {"k": [1, "two"]} "#.utf8))]
        writer.key("list")
        writer.beginArray()
        results.append(writer.embedJSON(Data("1".utf8)))
        results.append(writer.embedJSON(Data("[1,]".utf8)))
        results.append(writer.embedJSON(Data("null".utf8)))
        writer.string("x")
        writer.endArray()
        writer.endObject()
        #expect(results == [true, true, false, true])
        #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"raw":{"k": [1, "two"]},"list":[1,null,"x"]}"#)
        #expect(try JSONSerialization.jsonObject(with: writer.data) is [String: Any])
    }

    /// Whatever it accepts, `JSONSerialization` reads too: short texts over JSON's own characters
    /// (no exponents: `1E999` is JSON, but too large for a Double).
    @Test func acceptedTexts_areAlwaysReadByJSONSerialization() {
        let alphabet = Array(#"[]{}",:0123-. tfnrulsa\u"#.utf8)
        var random = SplitMix(seed: 0x9E37_79B9_7F4A_7C15)
        var accepted = 0
        for _ in 0 ..< 50_000 {
            let bytes = (0 ..< random.next(below: 9) + 1).map { _ in alphabet[random.next(below: alphabet.count)] }
            guard embedded(Data(bytes)) != nil else { continue }
            accepted += 1
            #expect(
                (try? JSONSerialization.jsonObject(with: Data(bytes), options: .fragmentsAllowed)) != nil,
                "accepted \(String(decoding: bytes, as: UTF8.self))"
            )
        }
        #expect(accepted > 100)
    }
}
