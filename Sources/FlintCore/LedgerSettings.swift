/// The invocation ledger: `ledger` in `flint.yaml`. Every key is optional.
public struct LedgerSettings: Sendable, Hashable, Codable {
    /// How long an invocation's record and its log tail are kept after it started.
    public var retention: Duration

    public init(retention: Duration = LedgerSettings.defaultRetention) {
        self.retention = retention
    }
}

extension LedgerSettings {
    /// A month of records: a monthly `flint usage --since 720h` still sees all of its period.
    public static let defaultRetention: Duration = .seconds(30 * 86_400)
    public static let retentionRange: ClosedRange<Duration> = .seconds(60 * 60) ... .seconds(3650 * 86_400)
}
