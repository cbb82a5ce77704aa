public import Foundation

extension LambdaAPI {
    /// Lambda's limit for `X-Amz-Log-Result`: "the last 4 KB of the execution log".
    public static let logResultLimit = 4096

    /// The `X-Amz-Log-Result` value for `X-Amz-Log-Type: Tail`: base64 of the log's last 4 KB.
    ///
    /// The cut is moved forward past UTF-8 continuation bytes, so the tail never starts inside a
    /// character and may be up to three bytes shorter than 4096: clients decode it as UTF-8 (the
    /// aws CLI and most scripts do), and a split character would make them fail. Whether Lambda
    /// itself cuts on a character boundary is not documented; this is the safe reading of "last 4 KB".
    public static func logResultHeader(log: Data) -> String {
        var start = log.index(log.endIndex, offsetBy: -logResultLimit, limitedBy: log.startIndex) ?? log.startIndex
        if start > log.startIndex {
            var skipped = 0
            while start < log.endIndex, skipped < 3, log[start] & 0xC0 == 0x80 {
                start = log.index(after: start)
                skipped += 1
            }
        }
        return log[start...].base64EncodedString()
    }

    /// The invocation's log as Lambda's `LogResult` shows it: the handler's lines between Lambda's
    /// `START`, `END` and `REPORT` lines (the last with the duration, billed duration, memory and,
    /// for a cold start, init duration), with Lambda's `Task timed out` line for a timeout (its
    /// `INIT_REPORT … Status: timeout` line for an init that ran out of time). Tools
    /// that read `REPORT` lines (Lambda Power Tuning, log parsers) find theirs.
    public static func executionLog(record: InvocationRecord, log: Data) -> Data {
        let id = record.id
        var text = Data("START RequestId: \(id) Version: $LATEST\n".utf8)
        text.append(log)
        if let last = log.last, last != UInt8(ascii: "\n") { text.append(UInt8(ascii: "\n")) }
        if record.outcome == .timeout {
            if record.durationMicros > 0 {
                let seconds = Double(record.durationMicros) / 1_000_000
                text.append(Data("\(UTCTimestamp(record.endedAt).iso8601) \(id) Task timed out after \(decimal(seconds, 2)) seconds\n".utf8))
            } else if let initMicros = record.initDurationMicros {
                // The runtime never asked for the event: its init ran out of time, as Lambda reports it.
                text.append(Data("INIT_REPORT Init Duration: \(decimal(Double(initMicros) / 1000, 2)) ms\tPhase: init\tStatus: timeout\n".utf8))
            } else if let message = record.errorMessage {
                // A warm runtime that never asked for the event: no task ran, so none timed out.
                text.append(Data("\(UTCTimestamp(record.endedAt).iso8601) \(id) \(message)\n".utf8))
            }
        }
        var report = "REPORT RequestId: \(id)\tDuration: \(decimal(Double(record.durationMicros) / 1000, 2)) ms"
        report += "\tBilled Duration: \(record.billedMillis) ms\tMemory Size: \(record.memoryLimitMB) MB"
        report += "\tMax Memory Used: \((record.peakRSSBytes + 1024 * 1024 - 1) / (1024 * 1024)) MB\t"
        if let initMicros = record.initDurationMicros {
            report += "Init Duration: \(decimal(Double(initMicros) / 1000, 2)) ms\t"
        }
        text.append(Data("END RequestId: \(id)\n\(report)\n".utf8))
        return text
    }

    /// `value` with exactly `places` decimals (`3.00`), without Foundation's locale-aware formatting.
    private static func decimal(_ value: Double, _ places: Int) -> String {
        var scale: Int64 = 1
        for _ in 0 ..< places { scale *= 10 }
        let scaled = Int64((value * Double(scale)).rounded())
        let fraction = String(scaled % scale)
        return "\(scaled / scale)." + String(repeating: "0", count: places - fraction.count) + fraction
    }
}
