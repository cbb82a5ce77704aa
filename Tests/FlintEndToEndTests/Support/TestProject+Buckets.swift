import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension TestProject {
    /// A bucket's directory under the default buckets root.
    func bucketPath(_ bucket: String) -> String { root + "/buckets/" + bucket }

    /// A bucket trigger; `prefix` and `suffix` are written only when given.
    func addBucketTrigger(
        _ name: String, function: String, bucket: String, events: [String] = ["created"], prefix: String? = nil, suffix: String? = nil
    ) throws {
        var text = "source: bucket\nfunction: \(function)\nbucket: \(bucket)\nevents: [\(events.joined(separator: ", "))]\n"
        if let prefix { text += "prefix: \"\(prefix)\"\n" }
        if let suffix { text += "suffix: \"\(suffix)\"\n" }
        try write("triggers/\(name).yaml", text)
    }

    /// A function that appends, per invocation, one JSON line to the returned recorder's file:
    /// the whole event it read on stdin, `FLINT_OBJECT_PATH`, `FLINT_SOURCE`, the record's key
    /// decoded by Python's `unquote_plus` (what S3 libraries do), and the size of the object
    /// as the handler found it when it started (nil if it was gone). `manifest` adds lines to
    /// function.yaml.
    func addObjectEventRecorder(_ name: String, manifest extra: String = "") throws -> ObjectEventRecorder {
        let recorder = ObjectEventRecorder(path: root + "/\(name)-events.jsonl")
        try write("functions/\(name)/record.py", """
            import json, os, sys
            from urllib.parse import unquote_plus
            event = json.load(sys.stdin)
            path = os.environ.get("FLINT_OBJECT_PATH")
            try:
                observed = os.lstat(path).st_size if path else None
            except FileNotFoundError:
                observed = None
            line = json.dumps({
                "event": event,
                "path": path,
                "source": os.environ.get("FLINT_SOURCE"),
                "decoded": unquote_plus(event["Records"][0]["s3"]["object"]["key"]),
                "observed_size": observed,
            }) + "\\n"
            # One write(2) with O_APPEND per invocation: concurrent instances never interleave.
            fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(fd, line.encode())
            os.close(fd)
            print("{}")

            """)
        try write("functions/\(name)/function.yaml", "name: \(name)\ncommand: [\"python3\", \"-I\", \"./record.py\", \"\(recorder.path)\"]\n" + extra)
        return recorder
    }

    /// A bucket the daemon watches only so that a test can tell when the watcher has finished
    /// starting: its trigger's prefix matches no key the probe writes, so it never invokes
    /// `function`. (`flint up` announces itself while the watcher may still be adding watches.)
    func addWatcherProbe(function: String) throws {
        try addBucketTrigger("watcher-probe", function: function, bucket: "probe", prefix: "never-matches/")
    }

    /// Starts the daemon (off the cooperative pool) and waits until its bucket watcher has
    /// finished starting: a file written into the probe bucket is in the object index. Needs
    /// `addWatcherProbe`.
    func startWatchingDaemon() async throws -> RunningDaemon {
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(self) }
        let key = "ready-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: bucketPath("probe"), withIntermediateDirectories: true)
        try writeObject(bucketPath("probe") + "/" + key, Data("ready".utf8))
        let database = dataDirectory + "/flint.sqlite"
        try await BusEndToEndTests.waitUntil("the bucket watcher to index its probe", within: 10) {
            try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM objects WHERE bucket = 'probe' AND key = '\(key)'") == "1"
        }
        return daemon
    }
}

/// Writes `data` at `path` with plain open/write/close (one `IN_CLOSE_WRITE`; Foundation's
/// atomic writes would rename a temporary instead).
func writeObject(_ path: String, _ data: Data, mode: mode_t = 0o644) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
    guard fd >= 0 else { throw TestFailure("open \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    try writeAll(fd, data, to: path)
}

/// Writes every byte of `data` to `fd`.
func writeAll(_ fd: Int32, _ data: Data, to path: String) throws {
    try data.withUnsafeBytes { (buffer: UnsafeRawBufferPointer) in
        var offset = 0
        while offset < buffer.count {
            let written = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw TestFailure("write \(path): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}

/// `rename(2)`, throwing with the reason.
func renameFile(_ from: String, _ to: String) throws {
    guard rename(from, to) == 0 else { throw TestFailure("rename \(from) -> \(to): \(String(cString: strerror(errno)))") }
}

/// The hex MD5 of the file at `path`, computed by coreutils' md5sum (not by Flint's code).
func md5sum(_ path: String) async throws -> String {
    let output = try await runTool("/usr/bin/md5sum", [path])
    guard let digest = output.split(separator: " ").first, digest.count == 32 else { throw TestFailure("md5sum printed \(output)") }
    return String(digest)
}

/// Runs a tool to completion off Swift's cooperative pool; fails unless it exits 0. Returns
/// its stdout.
@discardableResult
func runTool(_ executable: String, _ arguments: [String], directory: String? = nil) async throws -> String {
    try await BusEndToEndTests.offThread {
        try Subprocess.output(of: executable, arguments, directory: directory)
    }
}

/// `key` form-URL-decoded (`+` is a space, `%XX` a byte), as S3 libraries decode event keys;
/// nil if an escape is malformed or the bytes are not UTF-8. Written here, apart from Flint's
/// encoder, so the test checks the encoding against an independent decoder.
func formURLDecoded(_ key: String) -> String? {
    let bytes = Array(key.utf8)
    var decoded: [UInt8] = []
    var index = 0
    while index < bytes.count {
        switch bytes[index] {
        case UInt8(ascii: "+"):
            decoded.append(UInt8(ascii: " "))
            index += 1
        case UInt8(ascii: "%"):
            guard index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[index + 1 ... index + 2], as: UTF8.self), radix: 16)
            else { return nil }
            decoded.append(value)
            index += 3
        default:
            decoded.append(bytes[index])
            index += 1
        }
    }
    return String(validating: decoded, as: UTF8.self)
}

/// The file a recorder function appends the S3 events it was given to.
struct ObjectEventRecorder {
    let path: String

    /// One invocation of the recorder: its event's only record, and what the handler saw.
    struct Received: Sendable {
        var eventVersion: String
        var eventSource: String
        var awsRegion: String
        var eventTime: String
        var eventName: String
        var configurationId: String
        var s3SchemaVersion: String
        var bucket: String
        var bucketARN: String
        var key: String
        var size: Int?
        var eTag: String?
        var sequencer: String
        /// Names of the members of `s3.object`, to tell a missing field from a null one.
        var objectFields: Set<String>
        var recordCount: Int
        var objectPath: String?
        var source: String?
        /// `key` as Python's `unquote_plus` decoded it: the name an S3 library gives back.
        var realKey: String
        /// The object's size when the handler started (nil if it was gone).
        var observedSize: Int?
    }

    /// Everything recorded so far, in the order the invocations wrote it.
    func received() throws -> [Received] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return try data.completeLines.map { line in
            guard let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                let event = object["event"] as? [String: Any],
                let records = event["Records"] as? [[String: Any]],
                let record = records.first,
                let s3 = record["s3"] as? [String: Any],
                let bucket = s3["bucket"] as? [String: Any],
                let item = s3["object"] as? [String: Any]
            else { throw TestFailure("not a recorded S3 event: \(String(decoding: line, as: UTF8.self))") }
            return Received(
                eventVersion: record["eventVersion"] as? String ?? "",
                eventSource: record["eventSource"] as? String ?? "",
                awsRegion: record["awsRegion"] as? String ?? "",
                eventTime: record["eventTime"] as? String ?? "",
                eventName: record["eventName"] as? String ?? "",
                configurationId: s3["configurationId"] as? String ?? "",
                s3SchemaVersion: s3["s3SchemaVersion"] as? String ?? "",
                bucket: bucket["name"] as? String ?? "",
                bucketARN: bucket["arn"] as? String ?? "",
                key: item["key"] as? String ?? "",
                size: (item["size"] as? NSNumber)?.intValue,
                eTag: item["eTag"] as? String,
                sequencer: item["sequencer"] as? String ?? "",
                objectFields: Set(item.keys),
                recordCount: records.count,
                objectPath: object["path"] as? String,
                source: object["source"] as? String,
                realKey: object["decoded"] as? String ?? "",
                observedSize: (object["observed_size"] as? NSNumber)?.intValue
            )
        }
    }

    /// Waits (bounded) until `condition` holds for what was recorded, and returns it.
    @discardableResult
    func waitUntil(_ what: String, within seconds: Double = 8, _ condition: @escaping ([Received]) -> Bool) async throws -> [Received] {
        try await eventually(what + " in \(path)", within: seconds) {
            let received = try received()
            return condition(received) ? received : nil
        }
    }

    /// Waits (bounded) until an event for the real key `key` was recorded, and returns all.
    @discardableResult
    func waitFor(key: String, within seconds: Double = 8) async throws -> [Received] {
        try await waitUntil("an event for \(key.debugDescription)", within: seconds) { $0.contains { $0.realKey == key } }
    }
}
