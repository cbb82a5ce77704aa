internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// Writes to stdout with write(2). `FileHandle.write` traps when the reader has gone away (EPIPE,
/// e.g. `flint up | head`); the daemon must never die of that. Once stdout is gone it stays
/// gone: later writes are dropped, and the daemon goes on serving.
enum StandardOutput {
    private static let closed = Atomic<Bool>(false)

    /// Whether stdout's reader has gone away (a write failed).
    static var isClosed: Bool { closed.load(ordering: .relaxed) }

    static func write(_ text: String) {
        write(Data(text.utf8))
    }

    static func write(_ data: Data) {
        guard !closed.load(ordering: .relaxed) else { return }
        data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDOUT_FILENO, base + offset, buffer.count - offset)
                if written >= 0 {
                    offset += written
                } else if errno != EINTR {
                    closed.store(true, ordering: .relaxed)
                    return
                }
            }
        }
    }
}
