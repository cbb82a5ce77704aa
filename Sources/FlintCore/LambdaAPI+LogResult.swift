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
}
