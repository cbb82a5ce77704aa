/// The daemon's settings: `flint.yaml` at the project's root. Every key is optional.
public struct FlintConfig: Sendable, Hashable, Codable {
    /// Where the HTTP listener binds.
    public var listen: ListenAddress
    /// Directories (relative to the project) whose subdirectories hold `function.yaml`.
    public var functions: [String]
    /// Directory of trigger files, relative to the project.
    public var triggers: String
    /// The buckets root, relative to the project.
    public var buckets: String
    /// State: `flint.sqlite`, `admin-token`, `daemon.json`; relative to the project.
    public var data: String
    /// Settings of the topics that do not take the defaults, by name.
    public var topics: [String: TopicSettings]
    /// The message bus: retention, durability, retries.
    public var bus: BusSettings
    /// The invocation ledger: how long records and log tails are kept.
    public var ledger = LedgerSettings()
    /// The account handlers run as: nil is `nobody` when Flint runs as root, else Flint's own
    /// user; `root` runs them as root, which must be asked for.
    public var user: String?
    /// What `flint usage` prices invocations at (AWS Lambda's x86 list prices unless set).
    public var pricing = PriceTable()
    /// The most handler processes running at once, all functions together; nil:
    /// `defaultConcurrency(processors:)` of this machine.
    public var concurrency: Int?
    /// How long a stopping daemon (SIGTERM, SIGINT) waits for the invocations in flight before it
    /// kills them; what they were delivering goes back to the bus.
    public var drainTimeout: Duration = FlintConfig.defaultDrainTimeout

    public init(
        listen: ListenAddress = .defaultAddress,
        functions: [String] = ["functions"],
        triggers: String = "triggers",
        buckets: String = "buckets",
        data: String = ".flint",
        topics: [String: TopicSettings] = [:],
        bus: BusSettings = BusSettings(),
        concurrency: Int? = nil
    ) {
        self.listen = listen
        self.functions = functions
        self.triggers = triggers
        self.buckets = buckets
        self.data = data
        self.topics = topics
        self.bus = bus
        self.concurrency = concurrency
    }
}

extension FlintConfig {
    /// `concurrency` accepts these.
    public static let concurrencyRange: ClosedRange<Int> = 1 ... 10_000

    /// As long as the default function timeout: an invocation started just before the stop with
    /// the default settings still ends by itself.
    public static let defaultDrainTimeout: Duration = .seconds(30)
    /// `drain_timeout` accepts these (0s: kill at once).
    public static let drainTimeoutRange: ClosedRange<Duration> = .zero ... .seconds(3_600)

    /// Handler processes spend much of their life waiting (for their start, for I/O, for the
    /// network), so 4 per processor keeps the processors busy without crowding memory.
    public static func defaultConcurrency(processors: Int) -> Int { 4 * max(1, processors) }

    /// The host-wide cap in effect on a machine with `processors` processors.
    public func effectiveConcurrency(processors: Int) -> Int { concurrency ?? Self.defaultConcurrency(processors: processors) }
}

/// `HOST:PORT`; port 0 picks a free port.
public struct ListenAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public static let defaultAddress = ListenAddress(host: "127.0.0.1", port: 8080)

    /// Parses `HOST:PORT` (`[::1]:8080` for IPv6), or returns nil.
    public init?(parsing text: String) {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else { return nil }
            host = text[text.index(after: text.startIndex) ..< close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard !host.isEmpty, let port = Int(portText), (0 ... 65535).contains(port) else { return nil }
        self.init(host: String(host), port: port)
    }

    /// True for 127.0.0.0/8 (as four decimal numbers), ::1 and `localhost`: addresses only this
    /// machine can reach. A host name that merely starts with `127.` (which DNS may send anywhere)
    /// is not one.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { octet in
            !octet.isEmpty && octet.count <= 3 && octet.allSatisfy(\.isASCII) && UInt8(octet) != nil
        }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
