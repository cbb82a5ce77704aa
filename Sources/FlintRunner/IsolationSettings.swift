/// What the daemon asks of handler isolation, from `flint.yaml` and the project's layout.
public struct IsolationSettings: Sendable, Hashable {
    /// `user` in flint.yaml: the account handlers run as. nil: `nobody` when the daemon runs as
    /// root, else the daemon's own user. `root` runs them as root, which must be asked for.
    public var user: String?
    /// Whether to put each instance in a cgroup of its own when the machine allows it.
    public var cgroups: Bool
    /// `pids.max` of each instance's cgroup.
    public var processes: Int
    /// Directories a sandbox must hide: the project root, the data directory, the buckets root.
    public var hiddenPaths: [String]
    /// Where to look for `bwrap`; nil: the daemon's PATH (or /usr/local/bin:/usr/bin:/bin).
    public var searchPath: String?
    /// How long a finished instance's cgroup may take to empty (what is left in it killed) before
    /// it is set aside for shutdown.
    public var emptyingTimeout: Duration

    public init(
        user: String? = nil, cgroups: Bool = true, processes: Int = 512, hiddenPaths: [String] = [],
        searchPath: String? = nil, emptyingTimeout: Duration = .seconds(2)
    ) {
        self.user = user
        self.cgroups = cgroups
        self.processes = processes
        self.hiddenPaths = hiddenPaths
        self.searchPath = searchPath
        self.emptyingTimeout = emptyingTimeout
    }
}
