internal import Hummingbird
internal import HTTPTypes
internal import Foundation
internal import NIOCore
internal import NIOFoundationCompat

/// Reading a request's body within Flint's size limit.
enum RequestBody {
    /// The body's bytes, or nil when it is larger than `limit` (the caller answers 413).
    static func collect(_ request: Request, limit: Int = HTTPLimits.requestBody) async throws -> Data? {
        // Refuse on the declared length before reading anything.
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            return nil
        }
        do {
            var buffer = try await request.body.collect(upTo: limit)
            return buffer.readData(length: buffer.readableBytes) ?? Data()
        } catch is NIOTooManyBytesError {
            return nil
        }
    }
}
