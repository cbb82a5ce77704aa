public import Foundation

extension JSONSyntax {
    /// The text of the member `name` of each object `data` holds, exactly as it is written there
    /// (numbers, spacing and key order kept): one entry for an object; one per element for an
    /// array, nil for an element that is no object or has no such member. A name given twice
    /// counts by its last value, as `JSONSerialization` reads it. Nil when `data` is not one
    /// valid JSON value, or neither an object nor an array.
    ///
    /// For the bus's publish requests, whose JSON-valued bodies are stored as they were sent:
    /// going through `JSONSerialization` would write `1.0` as `1` and round integers past 2^53.
    public static func memberTexts(named name: String, in data: Data) -> [String?]? {
        data.withUnsafeBytes { raw in
            let bytes = raw.assumingMemoryBound(to: UInt8.self)
            guard valueRange(in: bytes) != nil else { return nil }
            var scanner = Scanner(bytes: bytes)
            scanner.skipWhitespace()
            if scanner.current == UInt8(ascii: "{") {
                return [scanner.memberText(named: name)]
            }
            guard scanner.consume(UInt8(ascii: "[")) else { return nil }
            var texts: [String?] = []
            scanner.skipWhitespace()
            if scanner.consume(UInt8(ascii: "]")) { return texts }
            repeat {
                scanner.skipWhitespace()
                if scanner.current == UInt8(ascii: "{") {
                    texts.append(scanner.memberText(named: name))
                } else {
                    _ = scanner.scanValue()
                    texts.append(nil)
                }
                scanner.skipWhitespace()
            } while scanner.consume(UInt8(ascii: ","))
            return texts
        }
    }
}

extension JSONSyntax.Scanner {
    /// Reads the object at `position` (valid JSON, as checked before), returning the text of its
    /// last member named `name`; nil when it has none.
    fileprivate mutating func memberText(named name: String) -> String? {
        var found: String?
        _ = consume(UInt8(ascii: "{"))
        skipWhitespace()
        if consume(UInt8(ascii: "}")) { return nil }
        repeat {
            skipWhitespace()
            let member = readString()
            skipWhitespace()
            _ = consume(UInt8(ascii: ":"))
            skipWhitespace()
            let start = position
            _ = scanValue()
            if member == name {
                found = String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< position]), as: UTF8.self)
            }
            skipWhitespace()
        } while consume(UInt8(ascii: ","))
        _ = consume(UInt8(ascii: "}"))
        return found
    }
}
