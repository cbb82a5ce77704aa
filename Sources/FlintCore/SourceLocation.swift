/// A place in a configuration file, for error messages: `file:line`.
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The path as the user should see it (relative to the project where possible).
    public var file: String
    /// 1-based; 0 when unknown (the file as a whole).
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { line > 0 ? "\(file):\(line)" : file }
}
