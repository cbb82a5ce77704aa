/// Byte sizes as manifests write them: a whole number and a binary unit, `512Ki`, `256Mi`, `1Gi`,
/// `1Ti`, or `B` for plain bytes (Kubernetes' notation, without its decimal `M`/`G`: a memory limit
/// should not depend on which kind of megabyte was meant).
public enum ByteSizeText {
    /// The units, largest first.
    private static let units: [(suffix: String, bytes: Int)] = [
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
        ("B", 1),
    ]

    /// What an error message shows as valid examples.
    static let examples = "use 128Mi, 1Gi"

    /// Parses `text`, or returns nil when it is not a byte size.
    public static func parse(_ text: String) -> Int? {
        let digits = text.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, let number = Int(digits) else { return nil }
        let suffix = text.dropFirst(digits.count)
        guard let unit = units.first(where: { $0.suffix == suffix }) else { return nil }
        let (bytes, overflow) = number.multipliedReportingOverflow(by: unit.bytes)
        return overflow ? nil : bytes
    }

    /// Formats `bytes` in the largest unit that divides it exactly (`1536Mi`, `1Gi`, `100B`); a
    /// negative size is formatted as `0B`.
    public static func format(_ bytes: Int) -> String {
        guard bytes > 0 else { return "0B" }
        for unit in units where bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.suffix)"
        }
        return "\(bytes)B"
    }
}
