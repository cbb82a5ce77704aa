extension Duration {
    /// The duration in whole nanoseconds, saturating at `Int64.max`.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return whole.addingReportingOverflow(attoseconds / 1_000_000_000).partialValue
    }

    /// `30s`, `300ms`, `1.5s`: how a timeout reads in an error message.
    var shortDescription: String {
        let millis = nanoseconds / 1_000_000
        if millis % 1000 == 0 {
            return "\(millis / 1000)s"
        }
        if millis < 1000 {
            return "\(millis)ms"
        }
        return "\(Double(millis) / 1000)s"
    }
}
