public import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Where a project's daemon keeps its state, under the `data` directory of `flint.yaml`.
public struct DaemonFiles: Sendable {
    /// Absolute path of the data directory (`.flint` by default).
    public let directory: String

    /// Per-invocation working directories. On tmpfs (`/dev/shm`) when the machine has it: making
    /// and removing a directory there costs ~9 µs against ~130 µs on ext4, on every invocation.
    /// The name is unique per user and data directory, so two projects never share one. Others
    /// can guess it: when another user has taken it, `directory/work` instead.
    public let workRoot: String

    public init(project: Project) {
        self.init(directory: project.dataDirectory)
    }

    public init(directory: String) {
        self.directory = directory
        self.workRoot = Self.sharedWorkRoot(for: directory).flatMap { Self.isAnotherUsers($0) ? nil : $0 } ?? directory + "/work"
    }

    /// The work root on tmpfs, when `/dev/shm` is usable.
    public static func sharedWorkRoot(for directory: String) -> String? {
        sharedMemoryIsUsable ? "/dev/shm/flint-\(getuid())-\(stableHash(directory))" : nil
    }

    /// Whether `path` exists and belongs to another user than this process's.
    public static func isAnotherUsers(_ path: String) -> Bool {
        // attributesOfItem does not follow a symbolic link (lstat).
        guard let owner = (try? FileManager.default.attributesOfItem(atPath: path))?[.ownerAccountID] as? NSNumber else { return false }
        return owner.uint32Value != geteuid()
    }

    /// The SQLite file: the ledger and the bus.
    public var database: String { directory + "/flint.sqlite" }
    /// The admin API's bearer token, mode 0600.
    public var adminToken: String { directory + "/admin-token" }
    /// The running daemon's pid and address; present only while it runs.
    public var daemonInfo: String { directory + "/daemon.json" }

    /// What `daemonInfo` says of a daemon that is running now; nil when none is (a stale file
    /// from a killed one included), told as `hasEnded` tells it.
    public var liveDaemon: DaemonInfo? {
        DaemonInfo.read(from: daemonInfo).flatMap { hasEnded($0) ? nil : $0 }
    }
    /// Whether the daemon `info` names has ended: its lock is free, or, where the lock cannot be
    /// opened, its pid is not the daemon's (`DaemonInfo.isAlive`).
    public func hasEnded(_ info: DaemonInfo) -> Bool {
        if let held = DaemonLock.isHeld(at: lock) { return !held }
        return !info.isAlive
    }

    /// Locked (`flock`) by the daemon for as long as it runs: one daemon per data directory.
    public var lock: String { directory + "/daemon.lock" }
    /// Per-invocation output directories (`FLINT_OUTPUT_DIR`). In the data directory, not on
    /// tmpfs: outputs are moved into buckets, and a rename is atomic only within one filesystem.
    public var outputsRoot: String { directory + "/outputs" }

    private static let sharedMemoryIsUsable: Bool = access("/dev/shm", W_OK | X_OK) == 0

    /// FNV-1a, hex: stable across runs, unlike `Hasher`.
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
