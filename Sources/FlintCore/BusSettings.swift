/// The message bus behind topics and queue triggers: `bus` in `flint.yaml`. Every key is optional.
public struct BusSettings: Sendable, Hashable, Codable {
    /// How long a message is kept after it was published, delivered or not.
    public var retention: Duration
    /// Whether a publish waits for the disk (`full`) or only for the operating system (`normal`).
    public var durability: BusDurability
    /// The delay before a failed delivery's first retry; each later one doubles it.
    public var retryBase: Duration
    /// The longest delay between two retries of one delivery.
    public var retryMax: Duration
    /// How often done deliveries and messages past `retention` are deleted, and invocation records
    /// past `ledger.retention`.
    public var pruneInterval: Duration

    public init(
        retention: Duration = BusSettings.defaultRetention,
        durability: BusDurability = BusSettings.defaultDurability,
        retryBase: Duration = BusSettings.defaultRetryBase,
        retryMax: Duration = BusSettings.defaultRetryMax,
        pruneInterval: Duration = BusSettings.defaultPruneInterval
    ) {
        self.retention = retention
        self.durability = durability
        self.retryBase = retryBase
        self.retryMax = retryMax
        self.pruneInterval = pruneInterval
    }
}

extension BusSettings {
    public static let defaultRetention: Duration = .seconds(7 * 86_400)
    public static let defaultDurability: BusDurability = .normal
    public static let defaultRetryBase: Duration = .seconds(1)
    public static let defaultRetryMax: Duration = .seconds(5 * 60)
    public static let defaultPruneInterval: Duration = .seconds(60 * 60)

    public static let retentionRange: ClosedRange<Duration> = .seconds(60) ... .seconds(365 * 86_400)
    public static let retryBaseRange: ClosedRange<Duration> = .milliseconds(10) ... .seconds(60 * 60)
    /// `retryMax` must also be at least `retryBase`.
    public static let retryMaxRange: ClosedRange<Duration> = .milliseconds(10) ... .seconds(12 * 60 * 60)
    public static let pruneIntervalRange: ClosedRange<Duration> = .seconds(1) ... .seconds(86_400)
}

/// How much a published message survives.
public enum BusDurability: String, Sendable, Hashable, Codable, CaseIterable {
    /// Survives a crash of Flint, not necessarily a power cut (SQLite `synchronous=NORMAL` in WAL mode).
    case normal
    /// Survives a power cut: every publish waits for the disk (SQLite `synchronous=FULL`).
    case full
}
