internal import FlintCore
internal import FlintServer
internal import Foundation

/// `flint usage` for people: the period and prices, a row per function and a total, and how the
/// period splits into busy time (billed) and idle time (free).
struct UsageTable: CustomStringConvertible {
    let view: UsageView
    /// `--function`, to say so when it has no invocations.
    let function: String?

    var description: String {
        let period = view.period
        let pricing = view.pricing
        var lines = [
            "Usage from \(UTCTimestamp(period.since).iso8601) to \(UTCTimestamp(period.until).iso8601) (\(Self.time(period.lengthMicros)))",
            "Prices: \(Self.money(pricing.gbSecond, pricing.currency)) per GB-second, "
                + "\(Self.money(pricing.requestsPerMillion, pricing.currency)) per million requests - \(pricing.source)",
            "",
        ]
        if view.functions.isEmpty {
            lines.append(function.map { "No invocations of \($0) in this period." } ?? "No invocations in this period.")
        } else {
            let headers = ["FUNCTION", "INVOCATIONS", "ERRORS", "COLD", "INIT", "DURATION", "BILLED", "GB-SECONDS", "CPU", "PEAK MEM", "BUSY", "COST"]
            let rows = view.functions.map { row($0.function ?? "-", $0) } + (function == nil ? [row("total", view.totals)] : [])
            lines.append(Table(headers: headers, rows: rows).description)
            let outcomes = view.functions.compactMap(Self.outcomes)
            if !outcomes.isEmpty { lines += ["", "Outcomes: " + outcomes.joined(separator: "; ")] }
        }
        // With --function, busy and idle are that function's: others may have run meanwhile.
        let running = function.map { "at least one invocation of \($0)" } ?? "at least one handler"
        let idle = function.map { "\($0) not running" } ?? "nothing running"
        let share = period.lengthMicros > 0 ? Double(period.busyMicros) / Double(period.lengthMicros) * 100 : 0
        lines += [
            "",
            "Busy \(Self.time(period.busyMicros)) (\(Self.percent(share)) of the period): \(running) running.",
            "Idle \(Self.time(period.idleMicros)): \(idle), so nothing billed (\(Self.money(period.idleCost, pricing.currency))).",
        ]
        if let keptSince = period.recordsKeptSince, period.since < keptSince {
            lines.append(
                "Invocations before \(UTCTimestamp(keptSince).iso8601) may be missing: the ledger deletes records "
                    + "older than ledger.retention (flint.yaml); raise it to keep a longer history."
            )
        }
        return lines.joined(separator: "\n")
    }

    private func row(_ name: String, _ figures: UsageFiguresView) -> [String] {
        [
            name, "\(figures.invocations)", "\(figures.errors)", "\(figures.coldStarts)", Self.time(figures.initMicros),
            Self.time(figures.durationMicros),
            Self.time(figures.billedMillis * 1_000), Self.decimal(figures.gbSeconds, places: 6), Self.time(figures.cpuMicros),
            Self.bytes(figures.peakRSSBytes), Self.time(figures.busyMicros), Self.money(figures.cost, view.pricing.currency),
        ]
    }

    /// `echo: 2 ok, 1 timeout`, for a function with invocations that did not end `ok`; nil otherwise.
    private static func outcomes(_ figures: UsageFiguresView) -> String? {
        let counts = InvocationOutcome.allCases.compactMap { outcome in
            figures.outcomes[outcome.rawValue].flatMap { $0 > 0 ? "\($0) \(outcome.rawValue)" : nil }
        }
        guard figures.outcomes["ok", default: 0] != figures.invocations, let name = figures.function else { return nil }
        return "\(name): " + counts.joined(separator: ", ")
    }

    /// `0.4ms`, `12.5ms`, `3.25s`, then `1m30s250ms`: to the tenth of a millisecond while short.
    static func time(_ micros: Int64) -> String {
        switch micros {
        case ..<1_000_000: String(format: "%.1fms", Double(micros) / 1_000)
        case ..<60_000_000: String(format: "%.2fs", Double(micros) / 1_000_000)
        default: DurationText.format(.milliseconds(micros / 1_000))
        }
    }

    static func bytes(_ count: Int64) -> String {
        switch count {
        case ..<1: "-"
        case ..<(1 << 20): String(format: "%.1fKiB", Double(count) / 1_024)
        case ..<(1 << 30): String(format: "%.1fMiB", Double(count) / 1_048_576)
        default: String(format: "%.2fGiB", Double(count) / 1_073_741_824)
        }
    }

    /// `USD 0.0000002083`: to the ten-billionth, at least cents, trailing zeros dropped.
    static func money(_ amount: Double, _ currency: String) -> String {
        let text = decimal(amount, places: 10, atLeast: 2)
        return amount > 0 && text.allSatisfy({ $0 == "0" || $0 == "." }) ? "\(currency) <0.0000000001" : "\(currency) \(text)"
    }

    static func decimal(_ value: Double, places: Int, atLeast minimum: Int = 1) -> String {
        var text = String(format: "%.\(places)f", value)
        while text.hasSuffix("0"), let dot = text.firstIndex(of: "."), text.distance(from: dot, to: text.endIndex) - 1 > minimum {
            text.removeLast()
        }
        return text
    }

    static func percent(_ value: Double) -> String {
        value > 0 && value < 0.01 ? "<0.01%" : String(format: "%.2f%%", value)
    }
}
