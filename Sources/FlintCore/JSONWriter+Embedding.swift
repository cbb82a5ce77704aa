public import Foundation

extension JSONWriter {
    /// Writes `json`, a complete JSON text such as a handler's output, as the next value, as it
    /// is but for the whitespace around it. Returns false and writes nothing when `json` is not
    /// exactly one valid JSON value in UTF-8, so that the caller can write it some other way
    /// (usually as a string).
    @discardableResult
    public mutating func embedJSON(_ json: Data) -> Bool {
        json.withUnsafeBytes { raw in
            let buffer = raw.assumingMemoryBound(to: UInt8.self)
            guard let range = JSONSyntax.valueRange(in: buffer) else { return false }
            appendValue(UnsafeBufferPointer(rebasing: buffer[range]))
            return true
        }
    }
}
