import Foundation
import NIOCore

extension ByteBuffer {
    /// The readable bytes, copied once. `Data(readableBytesView)` goes through the generic
    /// sequence initialiser, whose dynamic casts cost ~1% of the daemon's CPU per warm invocation.
    var readableData: Data {
        withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return Data() }
            return Data(bytes: base, count: bytes.count)
        }
    }
}
