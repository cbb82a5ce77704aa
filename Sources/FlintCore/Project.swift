/// A loaded, validated project: its settings, functions and triggers.
public struct Project: Sendable {
    /// Absolute path of the project's root (where `flint.yaml` is, or would be).
    public var root: String
    public var config: FlintConfig
    /// By name.
    public var functions: [String: FunctionManifest]
    /// In a stable order: by file name, then document order.
    public var triggers: [TriggerDefinition]

    public init(root: String, config: FlintConfig, functions: [String: FunctionManifest], triggers: [TriggerDefinition]) {
        self.root = root
        self.config = config
        self.functions = functions
        self.triggers = triggers
    }

    /// `path` resolved against the project's root, unless it is absolute.
    public func resolve(_ path: String) -> String { Self.resolve(path, against: root) }

    /// `path` resolved against `root`, unless it is absolute.
    public static func resolve(_ path: String, against root: String) -> String {
        path.hasPrefix("/") ? path : (root.hasSuffix("/") ? root + path : root + "/" + path)
    }

    public var dataDirectory: String { resolve(config.data) }
    /// The buckets root, absolute (`buckets:` in flint.yaml).
    public var bucketsDirectory: String { resolve(config.buckets) }
}
