internal import FlintCore
internal import Foundation
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// `flint up`'s daemon log on stderr, one logfmt line per event:
/// `time=2026-11-22T10:01:02.123Z level=warning msg="…" flint.function=echo flint.invocation.id=…`.
///
/// The metadata (Flint's `flint.*` keys among it) follows the message as `key=value`, sorted by
/// key; a value with a space, a quote, `=` or a control character is quoted and escaped, so each
/// line parses back into the same pairs.
struct LogfmtLogHandler: LogHandler {
    var logLevel: Logger.Level
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(logLevel: Logger.Level, metadataProvider: Logger.MetadataProvider? = nil) {
        self.logLevel = logLevel
        self.metadataProvider = metadataProvider
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        Self.write(Self.format(time: Date(), level: event.level, message: "\(event.message)", metadata: merged))
    }

    static func format(time: Date, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = "time=\(UTCTimestamp(time).iso8601) level=\(level.rawValue) msg=\(quoted(message))"
        for key in metadata.keys.sorted() {
            line += " \(key)=\(quoted(metadata[key].map { "\($0)" } ?? ""))"
        }
        return line + "\n"
    }

    /// The value as it is when that is unambiguous, else in quotes with `"`, `\` and control
    /// characters escaped.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
            $0 == " " || $0 == "\"" || $0 == "=" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
        }
        guard needsQuotes else { return value }
        var escaped = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\r": escaped += "\\r"
            case "\t": escaped += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                escaped += String(format: "\\u%04x", scalar.value)
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    /// One write(2) per line, so that lines from several threads do not interleave; a stderr
    /// nobody reads any more loses the line rather than taking the daemon down.
    private static func write(_ line: String) {
        let bytes = Array(line.utf8)
        bytes.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(STDERR_FILENO, base + offset, buffer.count - offset)
                if written >= 0 {
                    offset += written
                } else if errno != EINTR {
                    return
                }
            }
        }
    }
}
