internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// One HTTP/1.1 exchange with the local daemon over a plain socket.
///
/// The CLI only ever talks to its own daemon, usually on loopback, so a blocking request with
/// `Connection: close` is all it needs. It is here instead of URLSession because
/// FoundationNetworking links libcurl and its TLS, Kerberos and LDAP libraries into the binary,
/// which costs the daemon (the same binary) about 6 MB of resident memory for nothing.
enum HTTPConnection {
    struct Response {
        let status: Int
        /// Lower-cased names.
        let headers: [String: String]
        let body: Data
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends the request to `host:port` and reads the whole response. `timeout` bounds each read.
    static func exchange(
        host: String, port: Int, method: String, target: String, headers: [(String, String)], body: Data?,
        timeout: Duration
    ) throws(Failure) -> Response {
        let fd = try connect(host: host, port: port, timeout: timeout)
        defer { close(fd) }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(ListenAddress(host: host, port: port))\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body?.count ?? 0)\r\n\r\n"
        do {
            try send(fd, Data(head.utf8) + (body ?? Data()), answerMayCutShort: timeout)
        } catch {
            // The daemon may have refused the request before reading all of it (413 for an event
            // over the limit) and closed: its answer says why, better than a broken pipe.
            if let answer = try? parse(try receiveAll(fd)) { return answer }
            throw error
        }
        return try parse(try receiveAll(fd))
    }

    static func connect(host: String, port: Int, timeout: Duration) throws(Failure) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0, let first = list else {
            throw Failure(description: "cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError: Int32 = 0
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), info.pointee.ai_protocol)
            if fd >= 0 {
                var limit = timeval(tv_sec: Int(timeout.components.seconds), tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
                lastError = errno
                close(fd)
            } else {
                lastError = errno
            }
            candidate = info.pointee.ai_next
        }
        throw Failure(description: "cannot connect to \(host):\(port): \(String(cString: strerror(lastError)))")
    }

    static func send(_ fd: Int32, _ data: Data) throws(Failure) {
        try send(fd, data, answerMayCutShort: nil)
    }

    /// Writes `data`. With `answerMayCutShort`, it waits for the socket at most that long at a
    /// time, and stops early once the daemon has answered: a daemon that refuses a request it
    /// has not read to the end (413) stops reading, and a blocking write of the rest would wait
    /// for ever. The answer is then read as usual.
    private static func send(_ fd: Int32, _ data: Data, answerMayCutShort timeout: Duration?) throws(Failure) {
        var offset = 0
        while offset < data.count {
            if let timeout {
                var ready = pollfd(fd: fd, events: Int16(POLLOUT | POLLIN), revents: 0)
                let millis = Int32(clamping: max(1, timeout.components.seconds) * 1000)
                let count = poll(&ready, 1, millis)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Failure(description: "sending the request failed: \(String(cString: strerror(errno)))")
                }
                if count == 0 { throw Failure(description: "sending the request failed: the daemon took none of it for \(timeout)") }
                if ready.revents & Int16(POLLIN) != 0 { return }
            }
            let written = data.withUnsafeBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return Glibc.send(fd, base + offset, buffer.count - offset, Int32(MSG_NOSIGNAL | (timeout == nil ? 0 : MSG_DONTWAIT)))
            }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(description: "sending the request failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    private static func receiveAll(_ fd: Int32) throws(Failure) -> Data {
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return received }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = errno == EAGAIN ? "no answer within the timeout" : String(cString: strerror(errno))
                throw Failure(description: "reading the response failed: \(reason)")
            }
            received.append(contentsOf: buffer[0 ..< count])
        }
    }

    /// Status line, headers, and a body framed by Content-Length, chunked encoding, or the close.
    static func parse(_ raw: Data) throws(Failure) -> Response {
        let (status, headers, bodyStart) = try parseHead(raw)
        var body = Data(raw[bodyStart...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" {
            body = try dechunk(body)
        } else if let length = headers["content-length"].flatMap(Int.init) {
            guard length <= body.count else {
                throw Failure(description: "the answer was cut short: \(body.count) of its \(length) bytes arrived before the connection closed")
            }
            body = body.prefix(length)
        }
        return Response(status: status, headers: headers, body: body)
    }

    /// The status and headers (names lower-cased) of a response that starts `raw`, and where its body starts.
    static func parseHead(_ raw: Data) throws(Failure) -> (status: Int, headers: [String: String], bodyStart: Data.Index) {
        let separator = Data("\r\n\r\n".utf8)
        guard let end = raw.range(of: separator) else { throw Failure(description: "the response ended before its headers did") }
        let lines = String(decoding: raw[raw.startIndex ..< end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines.first?.split(separator: " ", maxSplits: 2) ?? []
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw Failure(description: "the answer is not HTTP/1.1: \(lines.first ?? "")")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, end.upperBound)
    }

    private static func dechunk(_ data: Data) throws(Failure) -> Data {
        var result = Data()
        var rest = data[...]
        let crlf = Data("\r\n".utf8)
        while let lineEnd = rest.range(of: crlf) {
            let sizeText = String(decoding: rest[rest.startIndex ..< lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else {
                throw Failure(description: "malformed chunked body")
            }
            if size == 0 { return result }
            let start = lineEnd.upperBound
            guard rest.distance(from: start, to: rest.endIndex) >= size + 2 else { throw Failure(description: "truncated chunked body") }
            let chunkEnd = rest.index(start, offsetBy: size)
            result.append(rest[start ..< chunkEnd])
            rest = rest[rest.index(chunkEnd, offsetBy: 2)...]
        }
        throw Failure(description: "truncated chunked body")
    }
}
