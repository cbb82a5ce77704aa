public import Foundation

/// `Duration` in the units the rest of Flint computes with, converted in one place.
extension Duration {
    /// In seconds, with the fraction: for `Date` arithmetic.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// In whole milliseconds (the fraction dropped), saturating at `Int64.max`/`.min`.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (total, overflowB) = whole.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflowB ? (seconds < 0 ? .min : .max) : total
    }
}
