internal import FlintCore
internal import FlintRunner
public import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// `daemon.json`: how the CLI finds and reaches the running daemon.
public struct DaemonInfo: Codable, Sendable, Hashable {
    public var pid: Int32
    /// `http://HOST:PORT`, with the port actually bound (never 0).
    public var url: String
    public var host: String
    public var port: Int
    public var startedAt: Date
    /// Where the daemon makes its invocations' working directories (for cleaning up after a kill).
    public var workRoot: String
    /// When the daemon's process started, in clock ticks after boot (`/proc/PID/stat`): a process
    /// with that pid and another start is not it. Nil in a file of an older Flint.
    public var processStart: UInt64?

    public init(pid: Int32, host: String, port: Int, startedAt: Date, workRoot: String, processStart: UInt64? = nil) {
        self.pid = pid
        self.host = host
        self.port = port
        self.startedAt = startedAt
        self.workRoot = workRoot
        self.processStart = processStart
        self.url = "http://\(ListenAddress(host: host, port: port))"
    }

    enum CodingKeys: String, CodingKey {
        case pid, url, host, port
        case startedAt = "started_at"
        case workRoot = "work_root"
        case processStart = "process_start_ticks"
    }

    /// Writes atomically, so a reader never sees half a file.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// True while the recorded process runs (a zombie its parent has yet to reap does not) and
    /// is the daemon that wrote the file (a stale file from a killed daemon, whose pid may since
    /// belong to another program, is not): its start is the recorded one, whatever its program
    /// is named. A file of an older Flint, with no start recorded, is trusted when the program's
    /// name ends in "flint".
    public var isAlive: Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        if let processStart { return ProcessStart.isRunning(pid, startedAt: processStart) }
        guard let command = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let argv0 = command.split(separator: 0, omittingEmptySubsequences: false).first ?? Data()
        return String(decoding: argv0, as: UTF8.self).hasSuffix("flint")
    }

    /// The file's contents, or nil when there is none (no daemon) or it cannot be read.
    public static func read(from path: String) -> DaemonInfo? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(DaemonInfo.self, from: data)
    }
}
