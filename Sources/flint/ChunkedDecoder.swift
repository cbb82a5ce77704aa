internal import Foundation

/// Decodes an HTTP/1.1 chunked body piece by piece, as it arrives.
struct ChunkedDecoder {
    /// Bytes of the current chunk's data not yet received.
    private var remainingInChunk = 0
    /// The CRLF after a chunk's data is due.
    private var expectsChunkEnd = false
    /// The last (empty) chunk has been read.
    private(set) var isFinished = false

    /// Takes what it can decode from the front of `buffer`, leaving an incomplete rest there.
    mutating func decode(_ buffer: inout Data) throws(HTTPConnection.Failure) -> Data {
        var decoded = Data()
        let crlf = Data("\r\n".utf8)
        while !isFinished {
            if remainingInChunk > 0 {
                let count = min(remainingInChunk, buffer.count)
                guard count > 0 else { break }
                decoded.append(buffer.prefix(count))
                buffer = Data(buffer.dropFirst(count))
                remainingInChunk -= count
                expectsChunkEnd = remainingInChunk == 0
            } else if expectsChunkEnd {
                guard buffer.count >= 2 else { break }
                guard buffer.prefix(2) == crlf else { throw HTTPConnection.Failure(description: "malformed chunked body") }
                buffer = Data(buffer.dropFirst(2))
                expectsChunkEnd = false
            } else {
                guard let lineEnd = buffer.range(of: crlf) else { break }
                let sizeText = String(decoding: buffer[buffer.startIndex ..< lineEnd.lowerBound], as: UTF8.self)
                    .split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                    throw HTTPConnection.Failure(description: "malformed chunked body")
                }
                buffer = Data(buffer[lineEnd.upperBound...])
                if size == 0 { isFinished = true } else { remainingInChunk = size }
            }
        }
        return decoded
    }
}
