/// The invocation ledger: `ledger` in `flint.yaml`. Every key is optional.
public struct LedgerSettings: Sendable, Hashable, Codable {
    /// How long an invocation's record and its log tail are kept after it started.
    public var retention: Duration

    public init(retention: Duration = LedgerSettings.defaultRetention) {
        self.retention = retention
    }
}

extension LedgerSettings {
    /// A calendar month and then some: a report on the previous month (`--since 2026-05-01`, 31
    /// days) run in the first week of the next one still sees all of its period.
    public static let defaultRetention: Duration = .seconds(40 * 86_400)
    public static let retentionRange: ClosedRange<Duration> = .seconds(60 * 60) ... .seconds(3650 * 86_400)
}
