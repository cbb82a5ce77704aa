/// The paths of the project one handler instance may see (all that its sandbox shows of it).
public struct InstancePaths: Sendable, Hashable {
    /// The function's directory: readable, never writable.
    public var functionDirectory: String
    /// The instance's working directory: its own, writable.
    public var workingDirectory: String
    /// A bucket event's object (`FLINT_OBJECT_PATH`): readable.
    public var objectPath: String?
    /// A bucket invocation's `FLINT_OUTPUT_DIR`: writable.
    public var outputDirectory: String?

    public init(functionDirectory: String, workingDirectory: String, objectPath: String? = nil, outputDirectory: String? = nil) {
        self.functionDirectory = functionDirectory
        self.workingDirectory = workingDirectory
        self.objectPath = objectPath
        self.outputDirectory = outputDirectory
    }
}
