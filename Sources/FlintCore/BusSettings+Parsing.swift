internal import Yams

extension BusSettings {
    /// Every key `bus` may have.
    static let keys = ["retention", "durability", "retry_base", "retry_max", "prune_every"]

    /// `bus` in `flint.yaml`, defaults standing in for absent and invalid values; nil when the key
    /// is absent or not a mapping.
    static func parse(_ map: inout YAMLMapping) -> BusSettings? {
        let hint = "a mapping of \(keys.joined(separator: ", "))"
        let parsed = map.mapping("bus", hint: hint) { bus -> BusSettings in
            var settings = BusSettings()
            let durationHint = ScalarConversion.durationHint
            if let retention = bus.value("retention", hint: durationHint, ScalarConversion.duration(in: retentionRange)) {
                settings.retention = retention.value
            }
            let durability = bus.value(
                "durability", hint: ScalarConversion.choices(BusDurability.self), ScalarConversion.oneOf(BusDurability.self)
            )
            if let durability { settings.durability = durability.value }

            let issuesBeforeRetryBase = bus.issues.count
            let retryBase = bus.value("retry_base", hint: durationHint, ScalarConversion.duration(in: retryBaseRange))
            if let retryBase { settings.retryBase = retryBase.value }
            let retryBaseIsValid = bus.issues.count == issuesBeforeRetryBase
            if let text = bus.scalar("retry_max", hint: durationHint),
               let retryMax = bus.converted(text, ScalarConversion.duration(in: retryMaxRange)) {
                // Against an invalid retry_base there is nothing to compare: that key has its own issue.
                if retryBaseIsValid, retryMax.value < settings.retryBase {
                    let base = DurationText.format(settings.retryBase)
                    bus.report(
                        "\"\(text.value)\" is shorter than retry_base (\(base)\(retryBase == nil ? " by default" : "")); use at least \(base)",
                        at: retryMax
                    )
                } else {
                    settings.retryMax = retryMax.value
                }
            }
            if let prune = bus.value("prune_every", hint: durationHint, ScalarConversion.duration(in: pruneIntervalRange)) {
                settings.pruneInterval = prune.value
            }
            bus.reportUnreadKeys(notAKeyOf: "bus", keys: keys)
            return settings
        }
        return parsed?.value
    }
}
