import Foundation

extension TestProject {
    /// A queue trigger: every message published on `topic` is delivered to `function`, `batch` at
    /// a time, waiting up to `window` (e.g. `300ms`) for a fuller batch when one is given.
    func addQueueTrigger(_ name: String, function: String, topic: String, batch: Int = 1, window: String? = nil) throws {
        try write(
            "triggers/\(name).yaml",
            "source: queue\nfunction: \(function)\ntopic: \(topic)\nbatch: \(batch)\n" + (window.map { "window: \($0)\n" } ?? "")
        )
    }

    /// Adds `text` (whole lines: `topics:`, `bus:`) to `flint.yaml`.
    func appendToConfig(_ text: String) throws {
        let path = root + "/flint.yaml"
        let current = try String(contentsOfFile: path, encoding: .utf8)
        try write("flint.yaml", current + text)
    }

    /// A function that appends one JSON line per SQS record it is given, `{"body", "attributes"}`
    /// (attributes by name, string values), to the returned recorder's file, then succeeds.
    func addRecorderFunction(_ name: String) throws -> DeliveryRecorder {
        let recorder = DeliveryRecorder(path: root + "/\(name)-deliveries.jsonl")
        try write("functions/\(name)/record.py", """
            import json, sys
            event = json.load(sys.stdin)
            lines = ""
            for record in event["Records"]:
                attributes = {k: v["stringValue"] for k, v in record.get("messageAttributes", {}).items()}
                lines += json.dumps({"body": record["body"], "attributes": attributes}) + "\\n"
            with open(sys.argv[1], "a") as f:
                f.write(lines)
            print("{}")

            """)
        try write("functions/\(name)/function.yaml", "name: \(name)\ncommand: [\"python3\", \"-I\", \"./record.py\", \"\(recorder.path)\"]\n")
        return recorder
    }
}

/// The file a recorder function appends the messages it received to.
struct DeliveryRecorder {
    let path: String

    struct Delivery: Decodable, Equatable {
        var body: String
        var attributes: [String: String]
    }

    /// What has been delivered so far, in the order the invocations wrote it.
    func deliveries() throws -> [Delivery] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        return try data.completeLines.map { try JSONDecoder().decode(Delivery.self, from: Data($0)) }
    }

    /// Waits (bounded) until at least `count` messages were delivered, and returns them.
    func waitFor(_ count: Int, within seconds: Double = 8) async throws -> [Delivery] {
        try await eventually("\(count) deliveries in \(path)", within: seconds) {
            let delivered = try deliveries()
            return delivered.count >= count ? delivered : nil
        }
    }
}

/// Polls `probe` every 20 ms until it returns a value; fails after `seconds`.
func eventually<T>(_ what: String, within seconds: Double = 20, _ probe: () async throws -> T?) async throws -> T {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if let value = try await probe() { return value }
        guard Date() < deadline else { throw TestFailure("no \(what) within \(seconds)s") }
        try await Task.sleep(for: .milliseconds(20))
    }
}

extension Data {
    /// The lines a handler finished writing: a reader may see the file while a handler's write is
    /// still being copied into it (O_APPEND keeps writers apart, not readers), its line not yet
    /// ended, so whatever follows the last newline is left out.
    var completeLines: [Data.SubSequence] {
        guard let end = lastIndex(of: UInt8(ascii: "\n")) else { return [] }
        return self[..<end].split(separator: UInt8(ascii: "\n"))
    }
}
