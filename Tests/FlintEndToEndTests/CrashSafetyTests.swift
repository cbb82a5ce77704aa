import Foundation
import Testing

/// At-least-once across `kill -9`: nothing accepted is lost, and only deliveries that were in
/// flight at the kill are handled twice.
@Suite(.serialized) struct CrashSafetyTests {
    /// A function `work` on topic `jobs` whose handler appends the bodies it got (one short line
    /// each: atomic with O_APPEND), after `pause` seconds so that several are mid-flight at any
    /// moment. Returns what has been handled so far, a line per body.
    private func addRecordingWorker(to project: TestProject, pause: String, batch: Int) throws -> @Sendable () -> [String] {
        let out = project.root + "/handled.txt"
        try project.write("functions/work/work.sh", """
            #!/bin/sh
            event=$(cat)
            sleep \(pause)
            printf '%s\\n' "$event" | tr ',' '\\n' | sed -n 's/^"body":"\\(.*\\)"$/\\1/p' >> \(out)
            """, executable: true)
        try project.write("functions/work/function.yaml", "name: work\ncommand: [\"./work.sh\"]\nconcurrency: 8\n")
        try project.addQueueTrigger("work-jobs", function: "work", topic: "jobs", batch: batch)
        return { (try? String(contentsOfFile: out, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [] }
    }

    /// Messages m1...mN on topic `jobs`, inserted with plain SQL in one transaction.
    private func publish(_ total: Int, to database: String) throws {
        _ = try BusEndToEndTests.sqlite(database, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(total))
            INSERT INTO messages (topic, body) SELECT 'jobs', 'm' || i FROM n
            """)
    }

    @Test func killNine_midRun_losesNothing_andDuplicatesOnlyWhatWasInFlight() async throws {
        let total = 2_000
        let project = try TestProject()
        let handled = try addRecordingWorker(to: project, pause: "0.005", batch: 2)
        let database = project.dataDirectory + "/flint.sqlite"

        var daemon: RunningDaemon? = try RunningDaemon(project)
        try publish(total, to: database)
        try await BusEndToEndTests.waitUntil("a third of the messages", within: 60) { handled().count >= total / 3 }
        let pid = try #require(daemon?.process.processIdentifier)
        kill(pid, SIGKILL)
        daemon?.process.waitUntilExit()

        // What the bus held as running when the daemon died: the only candidates for a second delivery.
        let inFlight = Set(try BusEndToEndTests.sqlite(database, """
            SELECT m.body FROM deliveries d JOIN messages m ON m.id = d.message WHERE d.state = 'leased'
            """).split(separator: "\n").map(String.init))
        #expect(handled().count < total, "the kill came too late to test anything")
        // Orphaned handlers of the killed daemon finish on their own; let them.
        try await Task.sleep(for: .milliseconds(300))

        daemon = try RunningDaemon(project)
        do {
            try await BusEndToEndTests.waitUntil("every message handled", within: 120) { Set(handled()).count == total }
        } catch {
            let states = try BusEndToEndTests.sqlite(database, "SELECT state, count(*), max(attempt) FROM deliveries GROUP BY state")
            throw TestFailure("\(error); \(Set(handled()).count) handled; deliveries by state: \(states)")
        }
        try await Task.sleep(for: .milliseconds(300))
        let all = handled()
        #expect(Set(all) == Set((1 ... total).map { "m\($0)" }))
        var counts: [String: Int] = [:]
        for body in all { counts[body, default: 0] += 1 }
        let duplicates = Set(counts.filter { $0.value > 1 }.keys)
        #expect(duplicates.isSubset(of: inFlight), "handled twice but not in flight at the kill: \(duplicates.subtracting(inFlight).sorted())")
        #expect(counts.values.allSatisfy { $0 <= 2 })
        let open = try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM deliveries WHERE state != 'done'")
        try await BusEndToEndTests.waitUntil("every delivery settled", within: 10) {
            (try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM deliveries WHERE state != 'done'")) == "0"
        }
        _ = open
        _ = daemon
    }

    @Test func sigterm_midRun_losesNothing_andHandlesEachMessageOnce() async throws {
        let total = 1_000
        let project = try TestProject()
        let handled = try addRecordingWorker(to: project, pause: "0.01", batch: 1)
        let database = project.dataDirectory + "/flint.sqlite"

        var daemon: RunningDaemon? = try RunningDaemon(project)
        try publish(total, to: database)
        try await BusEndToEndTests.waitUntil("a quarter of the messages", within: 60) { handled().count >= total / 4 }
        let stopped = try #require(daemon).stop()
        #expect(stopped.status == 0)
        #expect(handled().count < total, "the stop came too late to test anything")
        // A graceful stop settles what it ran: nothing is left leased for a second delivery.
        #expect(try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM deliveries WHERE state = 'leased'") == "0")

        daemon = try RunningDaemon(project)
        do {
            try await BusEndToEndTests.waitUntil("every message handled", within: 120) { handled().count >= total }
        } catch {
            let states = try BusEndToEndTests.sqlite(database, "SELECT state, count(*), max(attempt) FROM deliveries GROUP BY state")
            let messages = try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM messages")
            throw TestFailure("\(error); \(handled().count) handled (\(Set(handled()).count) different); \(messages) messages; deliveries by state: \(states)")
        }
        try await BusEndToEndTests.waitUntil("every delivery settled", within: 10) {
            (try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM deliveries WHERE state != 'done'")) == "0"
        }
        let all = handled()
        #expect(all.count == total, "\(all.count - total) handled more than once")
        #expect(Set(all) == Set((1 ... total).map { "m\($0)" }))
        _ = daemon
    }
}
