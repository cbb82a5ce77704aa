import Foundation
import Testing

/// `flint usage` and `GET /v1/usage` against the ledger rows `flint invocations --json` lists.
@Suite(.serialized) struct UsageEndToEndTests {
    private func flint(_ arguments: [String], in project: TestProject) async throws -> FlintBinary.Output {
        try await BusEndToEndTests.offThread { try FlintBinary.run(arguments + ["--project", project.root]) }
    }

    private func json(_ output: FlintBinary.Output) throws -> [String: Any] {
        guard output.status == 0 else { throw TestFailure("flint exited \(output.status): \(output.stderr)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any] else {
            throw TestFailure("not a JSON object: \(output.stdout)")
        }
        return object
    }

    @Test func usage_sumsTheLedgerRows_fromTheDaemon_andWithoutOne() async throws {
        let project = try TestProject()
        try project.addScriptFunction("work", script: "i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo '{}'\n")
        try project.addScriptFunction("fail", script: "echo broken >&2\nexit 2\n", manifest: "memory: 128Mi\n")
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        for _ in 0 ..< 3 { #expect(try await flint(["invoke", "work"], in: project).status == 0) }
        for _ in 0 ..< 2 { #expect(try await flint(["invoke", "fail"], in: project).status != 0) }

        let rows = try #require(try json(try await flint(["invocations", "--json", "--limit", "1000"], in: project))["invocations"] as? [[String: Any]])
        #expect(rows.count == 5)
        let cli = try json(try await flint(["usage", "--json"], in: project))
        try Self.check(cli, against: rows, gbSecond: 0.0000166667, requestsPerMillion: 0.20)
        let pricing = try #require(cli["pricing"] as? [String: Any])
        #expect(pricing["source"] as? String == "AWS Lambda x86 list prices (us-east-1)")
        #expect(pricing["currency"] as? String == "USD")

        // The API answers the same figures (only the period's end moves on).
        let api = try await daemon.request("GET", "/v1/usage?since=1h", authorized: true)
        #expect(api.status == 200, "\(api.text)")
        try Self.check(try api.json(), against: rows, gbSecond: 0.0000166667, requestsPerMillion: 0.20)
        #expect(NSArray(array: try api.json()["functions"] as? [Any] ?? []) == NSArray(array: cli["functions"] as? [Any] ?? [1]))
        let onlyFail = try await daemon.request("GET", "/v1/usage?function=fail", authorized: true)
        let onlyFailFunctions = try #require(try onlyFail.json()["functions"] as? [[String: Any]])
        #expect(onlyFailFunctions.map { $0["function"] as? String } == ["fail"])
        #expect((try onlyFail.json()["totals"] as? [String: Any])?["invocations"] as? Int == 2)

        let everything = try await daemon.request("GET", "/v1/usage?since=99999999999d", authorized: true)
        #expect(everything.status == 200, "\(everything.text)")
        #expect((try everything.json()["period"] as? [String: Any])?["since"] as? String == "1970-01-01T00:00:00.000Z")
        #expect((try everything.json()["totals"] as? [String: Any])?["invocations"] as? Int == 5)

        let bad = try await daemon.request("GET", "/v1/usage?since=yesterday", authorized: true)
        #expect(bad.status == 400)
        #expect(bad.text.contains("24h") && bad.text.contains("ISO 8601"), "\(bad.text)")
        #expect(try await daemon.request("GET", "/v1/usage").status == 401)

        let table = try await flint(["usage", "--function", "work"], in: project)
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("AWS Lambda x86 list prices (us-east-1)"))
        #expect(table.stdout.contains("\nwork "))
        #expect(!table.stdout.contains("fail"))
        #expect(table.stdout.contains("work not running, so nothing billed (USD 0.00)"), "\(table.stdout)")

        let all = try await flint(["usage"], in: project)
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("\ntotal     5            2       5 "), "\(all.stdout)")
        #expect(all.stdout.contains("Outcomes: fail: 2 error"))
        #expect(all.stdout.contains("nothing running, so nothing billed (USD 0.00)"))

        // Stopped, the CLI reads the database itself, and prices with flint.yaml as it now is.
        let stopped = try await BusEndToEndTests.offThread { try daemon.stop() }
        #expect(stopped.status == 0)
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\npricing: {gb_second: 0.5, requests_per_million: 1000, currency: EUR}\n")
        let offline = try await flint(["usage", "--json", "--since", "2020-01-01"], in: project)
        #expect(offline.stderr.contains("Flint is not running; reading"), "\(offline.stderr)")
        let read = try json(offline)
        try Self.check(read, against: rows, gbSecond: 0.5, requestsPerMillion: 1000)
        #expect((read["pricing"] as? [String: Any])?["source"] as? String == "flint.yaml")
        #expect((read["pricing"] as? [String: Any])?["currency"] as? String == "EUR")
        // A mistyped function is said to be one, not reported as idle; a known one is reported.
        let typo = try await flint(["usage", "--function", "wrok"], in: project)
        #expect(typo.status == 1, "\(typo.stdout)")
        #expect(typo.stderr.contains("no function is named wrok"), "\(typo.stderr)")
        let known = try await flint(["usage", "--function", "work", "--since", "2020-01-01"], in: project)
        #expect(known.status == 0, "\(known.stderr)")
    }

    @Test func recordsOlderThanTheLedgersRetention_arePruned_andReportsSaySo() async throws {
        let project = try TestProject()
        try project.addScriptFunction("work", script: "echo 'kept for a while' >&2\necho '{}'\n")
        let first = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        for _ in 0 ..< 2 { #expect(try await flint(["invoke", "work"], in: project).status == 0) }
        let rows = try #require(try json(try await flint(["invocations", "--json"], in: project))["invocations"] as? [[String: Any]])
        let ids = rows.compactMap { $0["id"] as? String }
        #expect(ids.count == 2)
        #expect(try await BusEndToEndTests.offThread { try first.stop() }.status == 0)

        // One of them started two hours ago; the ledger keeps one hour and prunes every second.
        let old = ids[0], recent = ids[1]
        let database = project.dataDirectory + "/flint.sqlite"
        _ = try BusEndToEndTests.sqlite(
            database, "UPDATE invocations SET started_at_us = started_at_us - 7200000000, ended_at_us = ended_at_us - 7200000000 WHERE id = '\(old)'")
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\nledger: {retention: 1h}\nbus: {prune_every: 1s}\n")
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        try await BusEndToEndTests.waitUntil("the old record pruned") {
            (try? BusEndToEndTests.sqlite(database, "SELECT count(*) FROM invocations WHERE id = '\(old)'")) == "0"
        }
        #expect(try await daemon.request("GET", "/v1/invocations/\(old)", authorized: true).status == 404)
        #expect(try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM invocation_logs WHERE invocation_id = '\(old)'") == "0")
        let kept = try await daemon.request("GET", "/v1/invocations/\(recent)/logs", authorized: true)
        #expect(kept.status == 200 && kept.text.contains("kept for a while"), "\(kept.text)")

        // A report reaching further back than the retention says what it cannot see.
        let report = try await flint(["usage", "--since", "3h"], in: project)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("may be missing: the ledger deletes records older than ledger.retention"), "\(report.stdout)")
        let period = try #require(try json(try await flint(["usage", "--json", "--since", "3h"], in: project))["period"] as? [String: Any])
        let dates = ISO8601DateFormatter()
        dates.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let until = try #require((period["until"] as? String).flatMap(dates.date(from:)))
        let keptSince = try #require((period["records_kept_since"] as? String).flatMap(dates.date(from:)))
        #expect(abs(until.timeIntervalSince(keptSince) - 3600) < 0.002, "\(period)")
        #expect(!(try await flint(["usage", "--since", "30m"], in: project)).stdout.contains("may be missing"))
        #expect(try await BusEndToEndTests.offThread { try daemon.stop() }.status == 0)
        #expect(daemon.standardErrorText().contains("pruned 1 invocation record(s) and their logs older than ledger.retention (1h)"))
    }

    /// The first pass after an upgrade may have millions of records to delete: SIGTERM must not
    /// wait for it. It stops between two transactions; the rest goes at the next start.
    @Test func aLongRetentionPass_doesNotHoldUpTheShutdown() async throws {
        let project = try TestProject()
        try project.addScriptFunction("work", script: "echo '{}'\n")
        let first = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        #expect(try await BusEndToEndTests.offThread { try first.stop() }.status == 0)
        // A million records from 1970, far past any retention: minutes of work in 1,000-record transactions.
        let database = project.dataDirectory + "/flint.sqlite"
        let count = 1_000_000
        _ = try BusEndToEndTests.sqlite(database, """
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
            INSERT INTO invocations (id, function, source, attempt, started_at_us, ended_at_us, duration_us, billed_ms,
                memory_limit_mb, peak_rss_bytes, user_cpu_us, system_cpu_us, cold_start, outcome)
            SELECT printf('old-%07d', i), 'work', 'cli', 1, 1000000 + i, 1000001 + i, 1, 1, 128, 0, 0, 0, 1, 'ok' FROM n
            """)
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\nledger: {retention: 1h}\n")
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        try await BusEndToEndTests.waitUntil("the pass under way") {
            Int((try? BusEndToEndTests.sqlite(database, "SELECT count(*) FROM invocations")) ?? "") ?? count < count
        }

        let stopped = try await BusEndToEndTests.offThread { try daemon.stop(within: 5) }
        #expect(stopped.status == 0)
        let left = Int(try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM invocations")) ?? 0
        #expect(left > 0 && left < count, "\(left) of \(count) records left")
    }

    @Test func warmInstances_countOneColdStart_andItsInitTime_notTheirIdleTime() async throws {
        let project = try TestProject()
        let made = try await flint(["init", "warm", "--runtime", "lambda", "--lang", "sh", "--trigger", "none"], in: project)
        try #require(made.status == 0, "\(made.stderr)")
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        for _ in 0 ..< 3 { #expect(try await flint(["invoke", "warm"], in: project).status == 0) }

        let rows = try #require(try json(try await flint(["invocations", "--json"], in: project))["invocations"] as? [[String: Any]])
        let usage = try json(try await flint(["usage", "--json", "--function", "warm"], in: project))
        let figures = try #require(usage["functions"] as? [[String: Any]]).first
        #expect(figures?["invocations"] as? Int == 3)
        #expect(figures?["cold_starts"] as? Int == 1)
        let initMicros = rows.compactMap { ($0["init_duration_us"] as? NSNumber)?.intValue }.reduce(0, +)
        #expect(initMicros > 0)
        #expect(figures?["init_us"] as? Int == initMicros)
        // The instance stays up between invocations; only the invocations are busy and billed.
        let durations = rows.map { ($0["duration_us"] as? NSNumber)?.intValue ?? 0 }.reduce(0, +)
        #expect(figures?["busy_us"] as? Int == durations)
        #expect(figures?["billed_ms"] as? Int == rows.map { ($0["billed_ms"] as? NSNumber)?.intValue ?? 0 }.reduce(0, +))
        _ = daemon
    }

    @Test func badSince_andBadPricing_sayWhatIsAccepted() async throws {
        let project = try TestProject()
        let since = try await flint(["usage", "--since", "yesterday"], in: project)
        #expect(since.status != 0)
        #expect(since.stderr.contains("--since \"yesterday\" is neither a duration back from now (24h, 7d, 90m, 1h30m) nor an ISO 8601 time"), "\(since.stderr)")

        let never = try await flint(["usage"], in: project)
        #expect(never.status == 1)
        #expect(never.stderr.contains("has not run in"), "\(never.stderr)")

        try project.write("flint.yaml", "listen: 127.0.0.1:0\npricing:\n  gb_second: cheap\n")
        let validate = try await flint(["validate"], in: project)
        #expect(validate.status == 1)
        #expect(validate.stderr.contains("flint.yaml:3: pricing.gb_second: \"cheap\" is not a number"), "\(validate.stderr)")
    }

    /// Every figure of `report` is the sum (or maximum) of the ledger rows; costs follow the prices.
    static func check(_ report: [String: Any], against rows: [[String: Any]], gbSecond: Double, requestsPerMillion: Double) throws {
        func int(_ value: Any?) -> Int { (value as? NSNumber)?.intValue ?? -1 }
        func double(_ value: Any?) -> Double { (value as? NSNumber)?.doubleValue ?? -1 }
        let functions = try #require(report["functions"] as? [[String: Any]])
        #expect(functions.map { $0["function"] as? String } == ["fail", "work"])
        for figures in functions + [try #require(report["totals"] as? [String: Any])] {
            let name = figures["function"] as? String
            let mine = rows.filter { name == nil || $0["function"] as? String == name }
            let failed = mine.filter { $0["outcome"] as? String != "ok" }.count
            #expect(int(figures["invocations"]) == mine.count)
            #expect(int(figures["errors"]) == failed)
            #expect((figures["outcomes"] as? [String: Int])?["ok"] == mine.count - failed)
            #expect((figures["outcomes"] as? [String: Int])?["error"] == failed)
            #expect(int(figures["init_us"]) == mine.map { ($0["init_duration_us"] as? NSNumber)?.intValue ?? 0 }.reduce(0, +))
            #expect(int(figures["cold_starts"]) == mine.filter { $0["cold_start"] as? Bool == true }.count)
            #expect(int(figures["duration_us"]) == mine.map { int($0["duration_us"]) }.reduce(0, +))
            #expect(int(figures["billed_ms"]) == mine.map { int($0["billed_ms"]) }.reduce(0, +))
            #expect(int(figures["cpu_us"]) == mine.map { int($0["user_cpu_us"]) + int($0["system_cpu_us"]) }.reduce(0, +))
            #expect(int(figures["peak_rss_bytes"]) == mine.map { int($0["peak_rss_bytes"]) }.max())
            let gbSeconds = mine.map { double($0["gb_seconds"]) }.reduce(0, +)
            #expect(abs(double(figures["gb_seconds"]) - gbSeconds) < 1e-12)
            #expect(int(figures["billed_requests"]) == mine.count)
            let cost = Double(mine.count) * requestsPerMillion / 1_000_000 + gbSeconds * gbSecond
            #expect(abs(double(figures["cost"]) - cost) <= cost * 1e-9)
            // One invocation at a time here: busy time is the sum of their durations.
            #expect(int(figures["busy_us"]) == mine.map { int($0["duration_us"]) }.reduce(0, +))
        }
        let period = try #require(report["period"] as? [String: Any])
        #expect(int(period["busy_us"]) == int((report["totals"] as? [String: Any])?["busy_us"]))
        #expect(int(period["idle_us"]) == int(period["length_us"]) - int(period["busy_us"]))
        #expect(double(period["idle_cost"]) == 0)
    }
}
