internal import Yams

extension LedgerSettings {
    /// Every key `ledger` may have.
    static let keys = ["retention"]

    /// `ledger` in `flint.yaml`, defaults standing in for absent and invalid values; nil when the
    /// key is absent or not a mapping.
    static func parse(_ map: inout YAMLMapping) -> LedgerSettings? {
        let parsed = map.mapping("ledger", hint: "a mapping of \(keys.joined(separator: ", "))") { ledger -> LedgerSettings in
            var settings = LedgerSettings()
            let retention = ledger.value(
                "retention", hint: ScalarConversion.durationHint, ScalarConversion.duration(in: retentionRange)
            )
            if let retention { settings.retention = retention.value }
            ledger.reportUnreadKeys(notAKeyOf: "ledger", keys: keys)
            return settings
        }
        return parsed?.value
    }
}
