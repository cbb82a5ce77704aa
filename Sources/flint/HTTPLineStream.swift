internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// A response of the local daemon read line by line as it arrives (`flint logs -f`), with no
/// timeout: a followed function may be quiet for hours. Plain or chunked bodies; the daemon
/// closing the connection ends it.
final class HTTPLineStream {
    let status: Int
    /// Lower-cased names.
    let headers: [String: String]
    private let fd: Int32
    private var buffer = Data()
    private var chunked: ChunkedDecoder?
    private var body = Data()
    private var isAtEnd = false

    /// Sends the request and reads the response's head.
    init(host: String, port: Int, method: String, target: String, headers fields: [(String, String)]) throws(HTTPConnection.Failure) {
        // A zero receive timeout means none.
        let fd = try HTTPConnection.connect(host: host, port: port, timeout: .zero)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(ListenAddress(host: host, port: port))\r\nConnection: close\r\n"
        for (name, value) in fields { head += "\(name): \(value)\r\n" }
        head += "Content-Length: 0\r\n\r\n"
        var received = Data()
        let parsed: (status: Int, headers: [String: String], bodyStart: Data.Index)
        do throws(HTTPConnection.Failure) {
            try HTTPConnection.send(fd, Data(head.utf8))
            while received.range(of: Data("\r\n\r\n".utf8)) == nil {
                guard try Self.receive(fd, into: &received) else {
                    throw HTTPConnection.Failure(description: "the response ended before its headers did")
                }
            }
            parsed = try HTTPConnection.parseHead(received)
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
        status = parsed.status
        headers = parsed.headers
        buffer = Data(received[parsed.bodyStart...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { chunked = ChunkedDecoder() }
        try decodeBuffer()
    }

    deinit {
        close(fd)
    }

    /// The next line of the body without its `\n`, or nil at its end. Blocks until one arrives.
    func nextLine() throws(HTTPConnection.Failure) -> Data? {
        while true {
            if let newline = body.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(body[body.startIndex ..< newline])
                body = Data(body[(newline + 1)...])
                return line
            }
            if isAtEnd {
                defer { body = Data() }
                return body.isEmpty ? nil : body
            }
            if try Self.receive(fd, into: &buffer) {
                try decodeBuffer()
            } else {
                isAtEnd = true
            }
        }
    }

    /// Waits until the socket has bytes to read (or has ended), or until `deadline`: false if the
    /// deadline came first. True at once when a line is ready already.
    func waitForInput(until deadline: ContinuousClock.Instant) throws(HTTPConnection.Failure) -> Bool {
        if isAtEnd || body.contains(UInt8(ascii: "\n")) { return true }
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { return false }
            // Rounded up, so that the wait does not end just short of the deadline and spin.
            let millis = Int32(clamping: Int64((left / .milliseconds(1)).rounded(.up)))
            var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let count = poll(&ready, 1, millis)
            if count > 0 { return true }
            if count < 0, errno != EINTR {
                throw HTTPConnection.Failure(description: "waiting for the response failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Moves what was received into `body`, de-chunking it if need be.
    private func decodeBuffer() throws(HTTPConnection.Failure) {
        if var decoder = chunked {
            body.append(try decoder.decode(&buffer))
            if decoder.isFinished { isAtEnd = true }
            chunked = decoder
        } else {
            body.append(buffer)
            buffer = Data()
        }
    }

    /// Appends what the socket has to `buffer`; false at the end of the stream.
    private static func receive(_ fd: Int32, into buffer: inout Data) throws(HTTPConnection.Failure) -> Bool {
        var bytes = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = bytes.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: bytes[0 ..< count])
                return true
            }
            if count == 0 { return false }
            if errno != EINTR {
                throw HTTPConnection.Failure(description: "reading the response failed: \(String(cString: strerror(errno)))")
            }
        }
    }
}
