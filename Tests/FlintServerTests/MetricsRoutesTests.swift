import FlintCore
import FlintDispatch
import FlintRunner
@testable import FlintServer
import FlintStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging
import Testing

/// `/metrics` served by a real router on 127.0.0.1 port 0, over a real dispatcher running real
/// handler processes, a real ledger writer and a real bus in a temporary SQLite file.
@Suite struct MetricsRoutesTests {
    let directory = NSTemporaryDirectory() + "flint-metrics-\(UUID().uuidString)"

    func get(_ port: Int, _ path: String, token: String? = nil) async throws -> (status: Int, text: String) {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func scrape_showsInvocationsAndQueueDepth_andNeedsTheTokenWhenOneIsRequired() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/fn", withIntermediateDirectories: true)
        let handler = directory + "/fn/handler.sh"
        try "#!/bin/sh\necho '{}'\n".write(toFile: handler, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: handler)
        let function = FunctionManifest(name: "echo", directory: directory + "/fn", command: ["./handler.sh"])

        let database = try FlintDatabase(path: directory + "/flint.sqlite")
        let bus = Bus(database: database)
        let topology = BusTopology(
            topics: ["jobs": .text], subscriptions: [.init(name: "work", topic: "jobs", function: "echo")]
        )
        try bus.register(topology, retireOthers: true)
        _ = try await bus.publish([OutgoingMessage(topic: "jobs", body: "one"), OutgoingMessage(topic: "jobs", body: "two")])

        let logger = Logger(label: "flint.metrics.tests")
        let writer = LedgerWriter(ledger: InvocationLedger(database: database), onError: { _, _ in })
        let metrics = DaemonMetrics()
        let dispatcher = Dispatcher(
            functions: [function],
            executor: ExecRunnerExecutor(runner: ExecRunner(workRoot: directory + "/work", logger: logger)),
            recorder: LedgerRecorder(writer: writer), logger: logger,
            observer: { metrics.record($0.record) }
        )
        let checkpointer = try WALCheckpointer.start(for: database, onError: { _ in })
        defer { checkpointer.stop() }
        let router = Router(context: FlintRequestContext.self)
        MetricsRoutes(
            metrics: metrics, dispatcher: dispatcher, bus: bus, subscriptions: BusSubscriptionLabels.of(topology),
            checkpointer: checkpointer, requiredToken: "secret"
        ).register(on: router)
        let (ports, announce) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { announce.yield($0.localAddress?.port ?? 0) }, logger: logger
        )

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await writer.run() }
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer {
                writer.finish()
                group.cancelAll()
            }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())

            for _ in 0 ..< 2 {
                let result = try await dispatcher.invoke(InvocationRequest(function: "echo", source: .cli, payload: Data("{}".utf8)))
                #expect(result.record.outcome == .ok)
            }

            let refused = try await get(port, "/metrics")
            #expect(refused.status == 401)
            #expect(refused.text.contains(".flint/admin-token"))
            #expect(try await get(port, "/metrics", token: "wrong").status == 401)

            let scraped = try await get(port, "/metrics", token: "secret")
            #expect(scraped.status == 200)
            let lines = Set(scraped.text.split(separator: "\n").map(String.init))
            #expect(lines.contains(#"flint_invocations_total{function="echo",outcome="ok"} 2"#))
            #expect(lines.contains(#"flint_cold_starts_total{function="echo"} 2"#))
            #expect(lines.contains(#"flint_invocation_duration_seconds_count{function="echo"} 2"#))
            #expect(lines.contains(#"flint_running_instances{function="echo"} 0.0"#))
            #expect(lines.contains(#"flint_queue_depth{subscription="work",function="echo",trigger="work",source="queue"} 2.0"#))
            #expect(lines.contains(#"flint_queue_in_flight{subscription="work",function="echo",trigger="work",source="queue"} 0.0"#))
            #expect(lines.contains(#"flint_dead_letters{subscription="work",function="echo",trigger="work",source="queue"} 0.0"#))
            // Pages in the WAL after the last commit: the bus's two messages at least.
            let walPages = lines.first { $0.hasPrefix("flint_wal_pages ") }.flatMap { Double($0.dropFirst("flint_wal_pages ".count)) }
            #expect((walPages ?? 0) > 0, "\(lines.filter { $0.hasPrefix("flint_wal") })")
            #expect(lines.contains("flint_wal_checkpoints_total 0"))
        }
    }

    @Test func walCheckpoints_areCountedOnce_acrossScrapes() async throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try FlintDatabase(path: directory + "/flint.sqlite")
        let bus = Bus(database: database)
        try bus.register(BusTopology(topics: ["jobs": .text], subscriptions: []), retireOthers: true)
        let checkpointer = try WALCheckpointer.start(for: database, onError: { _ in })
        defer { checkpointer.stop() }
        let logger = Logger(label: "flint.metrics.tests")
        let dispatcher = Dispatcher(
            functions: [], executor: ExecRunnerExecutor(runner: ExecRunner(workRoot: directory + "/work", logger: logger)),
            recorder: LedgerRecorder(writer: LedgerWriter(ledger: InvocationLedger(database: database), onError: { _, _ in })),
            logger: logger
        )
        let metrics = DaemonMetrics()
        func scrape() -> Set<String> {
            let text = String(decoding: metrics.exposition(
                functions: [], dispatcher: dispatcher, subscriptions: [], depths: [:], wal: checkpointer.status), as: UTF8.self)
            return Set(text.split(separator: "\n").map(String.init))
        }
        // ~300 commits of 16 KiB: past the 1,000 pages that make a checkpoint due.
        for _ in 0 ..< 300 {
            _ = try await bus.publish([OutgoingMessage(topic: "jobs", body: String(repeating: "x", count: 16_000))])
        }
        let deadline = Date().addingTimeInterval(10)
        while checkpointer.status.checkpoints == 0, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let done = checkpointer.status.checkpoints
        #expect(done >= 1, "no checkpoint ran")
        #expect(scrape().contains("flint_wal_checkpoints_total \(done)"))
        // Nothing new: a second scrape shows the same count, not twice it.
        if checkpointer.status.checkpoints == done {
            #expect(scrape().contains("flint_wal_checkpoints_total \(done)"))
        }
    }

    @Test func gaugesOfWhatIsGone_leaveTheExposition() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let database = try FlintDatabase(path: directory + "/flint.sqlite")
        let logger = Logger(label: "flint.metrics.tests")
        let function = FunctionManifest(name: "old", directory: directory, command: ["./handler.sh"])
        let dispatcher = Dispatcher(
            functions: [function],
            executor: ExecRunnerExecutor(runner: ExecRunner(workRoot: directory + "/work", logger: logger)),
            recorder: LedgerRecorder(writer: LedgerWriter(ledger: InvocationLedger(database: database), onError: { _, _ in })),
            logger: logger
        )
        let metrics = DaemonMetrics()
        let subscriptions = BusSubscriptionLabels.of(BusTopology(subscriptions: [.init(name: "work", topic: "jobs", function: "old")]))
        let before = String(decoding: metrics.exposition(functions: [function], dispatcher: dispatcher, subscriptions: subscriptions, depths: [:], wal: .init(checkpoints: 0, pages: 0)), as: UTF8.self)
        #expect(before.contains(#"flint_running_instances{function="old"} 0.0"#))
        #expect(before.contains(#"flint_queue_depth{subscription="work","#))
        // The project was reloaded without the function and its trigger.
        let after = String(decoding: metrics.exposition(functions: [], dispatcher: dispatcher, subscriptions: [], depths: [:], wal: .init(checkpoints: 0, pages: 0)), as: UTF8.self)
        #expect(!after.contains("function=\"old\""))
    }
}
