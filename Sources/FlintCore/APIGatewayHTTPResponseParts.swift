public import Foundation

/// An HTTP response as plain values: what the gateway writes back for an `http` trigger.
public struct HTTPResponseParts: Sendable, Equatable {
    /// One header line; a name may appear on several lines (`Set-Cookie`).
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// 200...599: a final response.
    public var status: Int
    /// In the order they are to be written. Never holds framing headers (`Content-Length`,
    /// `Transfer-Encoding`, `Connection`, ...): the server frames the body itself.
    public var headers: [Header]
    public var body: Data

    public init(status: Int, headers: [Header], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The values of every header named `name`, compared without regard to case, in order.
    public func values(of name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }
}
