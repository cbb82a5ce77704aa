public import Foundation

/// One line a handler wrote to its log (stderr), as a `LogHub` hands it to followers.
public struct HandlerLogLine: Sendable, Hashable {
    /// When Flint read the line's end.
    public var time: Date
    public var function: String
    public var invocation: String
    /// The line without its `\n` (nor a `\r` before it); bytes that are not UTF-8 become U+FFFD.
    public var text: String

    public init(time: Date, function: String, invocation: String, text: String) {
        self.time = time
        self.function = function
        self.invocation = invocation
        self.text = text
    }
}
