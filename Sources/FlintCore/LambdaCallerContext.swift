/// What a synchronous Invoke API call gives a warm runtime besides the event. Lambda passes both to
/// the handler's context object (`context.client_context`, `context.invoked_function_arn`).
public struct LambdaCallerContext: Sendable, Equatable {
    /// `Lambda-Runtime-Client-Context`: the JSON object the caller sent, base64-encoded, in
    /// `X-Amz-Client-Context`.
    public var clientContext: String?
    /// The qualifier the caller named (Flint has only `$LATEST`); Lambda appends it to the invoked
    /// function's ARN.
    public var qualifier: String?

    public init(clientContext: String? = nil, qualifier: String? = nil) {
        self.clientContext = clientContext
        self.qualifier = qualifier
    }
}
