import Testing
import FlintCore

@Suite struct FlintConfigParsingTests {
    private func issues(_ yaml: String) -> [String] {
        configIssues { () throws(ProjectLoadError) in try FlintConfig.parse(yaml: yaml, file: "flint.yaml") }
    }

    @Test func everyKey_isRead() throws {
        let config = try FlintConfig.parse(yaml: """
            listen: 0.0.0.0:9090
            functions: [samples, more/functions]
            triggers: bindings
            buckets: /srv/buckets
            data: state
            """, file: "flint.yaml")
        #expect(config == FlintConfig(
            listen: ListenAddress(host: "0.0.0.0", port: 9090),
            functions: ["samples", "more/functions"], triggers: "bindings", buckets: "/srv/buckets", data: "state"
        ))
    }

    @Test func drainTimeout_defaultsToHalfAMinute_andTakesADuration() throws {
        #expect(FlintConfig().drainTimeout == .seconds(30))
        #expect(try FlintConfig.parse(yaml: "drain_timeout: 2m\n", file: "flint.yaml").drainTimeout == .seconds(120))
        #expect(try FlintConfig.parse(yaml: "drain_timeout: 0s\n", file: "flint.yaml").drainTimeout == .zero)
        #expect(issues("drain_timeout: 2h\n").count == 1)
        #expect(issues("drain_timeout: soon\n").count == 1)
    }

    @Test func emptyFile_isAllDefaults() throws {
        #expect(try FlintConfig.parse(yaml: "", file: "flint.yaml") == FlintConfig())
        #expect(try FlintConfig.parse(yaml: "# settings\n", file: "flint.yaml") == FlintConfig())
    }

    @Test func functions_mayBeASingleDirectory() throws {
        #expect(try FlintConfig.parse(yaml: "functions: samples\n", file: "flint.yaml").functions == ["samples"])
        #expect(try FlintConfig.parse(yaml: "functions: []\n", file: "flint.yaml").functions == [])
    }

    @Test func listen_isIPv6Aware() throws {
        #expect(try FlintConfig.parse(yaml: "listen: \"[::1]:0\"\n", file: "flint.yaml").listen == ListenAddress(host: "::1", port: 0))
    }

    @Test func concurrency_capsHandlerProcessesHostWide_defaultingToFourPerProcessor() throws {
        #expect(try FlintConfig.parse(yaml: "concurrency: 3\n", file: "flint.yaml").concurrency == 3)
        #expect(try FlintConfig.parse(yaml: "concurrency: 3\n", file: "flint.yaml").effectiveConcurrency(processors: 16) == 3)
        #expect(FlintConfig().effectiveConcurrency(processors: 2) == 8)
        #expect(FlintConfig().effectiveConcurrency(processors: 0) == 4)
        #expect(issues("concurrency: 0\n") == [#"flint.yaml:1: concurrency: "0" is out of range (allowed: 1...10000)"#])
        #expect(issues("concurrency: lots\n") == [#"flint.yaml:1: concurrency: "lots" is not a whole number (allowed: 1...10000)"#])
    }

    @Test func problems_areAllReported() {
        #expect(issues("listen: localhost\nfunctions: [samples, \"\", samples]\ntriggers: [a, b]\nport: 8080\ndat: x\n") == [
            #"flint.yaml:1: listen: "localhost" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080; port 0 picks a free one)"#,
            "flint.yaml:2: functions[1]: must not be empty (a directory, relative to the project)",
            #"flint.yaml:2: functions[2]: "samples" is already listed at line 2"#,
            "flint.yaml:3: triggers: expected a single value, not a list (a directory, relative to the project)",
            "flint.yaml:4: port: not a key of flint.yaml (keys: listen, functions, triggers, buckets, data, topics, bus, ledger, concurrency, pricing, user, drain_timeout)",
            "flint.yaml:5: dat: not a key of flint.yaml (did you mean data?)",
        ])
        #expect(issues("listen: 127.0.0.1:70000\n") == [
            #"flint.yaml:1: listen: "127.0.0.1:70000" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080; port 0 picks a free one)"#,
        ])
        #expect(issues("just text\n") == ["flint.yaml:1: expected a mapping of settings (listen, functions, ...), not a single value"])
    }

    @Test func topicsAndBus_everyKeyIsRead() throws {
        let config = try FlintConfig.parse(yaml: """
            topics:
              images: {format: json}
              logs.v2: {format: text}
              audit: {}
            bus:
              retention: 30d
              durability: full
              retry_base: 500ms
              retry_max: 1h
              prune_every: 10m
            """, file: "flint.yaml")
        #expect(config.topics == [
            "images": TopicSettings(format: .json), "logs.v2": TopicSettings(format: .text), "audit": TopicSettings(),
        ])
        #expect(config.bus == BusSettings(
            retention: .seconds(30 * 86_400), durability: .full, retryBase: .milliseconds(500), retryMax: .seconds(3600),
            pruneInterval: .seconds(600)
        ))
    }

    @Test func topicsAndBus_absent_takeTheDefaults() throws {
        let config = try FlintConfig.parse(yaml: "bus: {durability: normal}\n", file: "flint.yaml")
        #expect(config.topics == [:])
        #expect(config.bus == BusSettings())
        #expect(config.bus.retention == .seconds(7 * 86_400))
        #expect(config.bus.durability == .normal)
        #expect(config.bus.retryBase == .seconds(1))
        #expect(config.bus.retryMax == .seconds(300))
        #expect(config.bus.pruneInterval == .seconds(3600))
        #expect(TopicSettings().format == .text)
        // retry_max may equal retry_base: every retry then waits about as long.
        #expect(try FlintConfig.parse(yaml: "bus: {retry_max: 1s}\n", file: "flint.yaml").bus.retryMax == .seconds(1))
    }

    @Test func topics_problems_nameFileLineAndKey() {
        #expect(issues("""
            topics:
              flint.dead: {format: json}
              "my topic": {format: json}
              images: {format: yaml, colour: red}
              logs:
              events: json
              audit: {formt: json}
            """) == [
            #"flint.yaml:2: topics.flint.dead: "flint.dead" is reserved for Flint's own topics; choose a name that does not start with flint."#,
            #"flint.yaml:3: topics.my topic: "my topic" must be 1 to 128 characters of ASCII letters, digits, ., _ and -"#,
            #"flint.yaml:4: topics.images.format: "yaml" is not one of text, json"#,
            "flint.yaml:4: topics.images.colour: not a key of a topic (keys: format)",
            "flint.yaml:5: topics.logs: has no value (a mapping such as {format: json})",
            "flint.yaml:6: topics.events: expected a mapping, not a single value (a mapping such as {format: json})",
            "flint.yaml:7: topics.audit.formt: not a key of a topic (did you mean format?)",
        ])
        #expect(issues("topics: [images]\n") == [
            "flint.yaml:1: topics: expected a mapping, not a list (a mapping of topic name to settings, e.g. images: {format: json})",
        ])
    }

    @Test func ledger_retention_isRead_defaultsToFortyDays_andIsChecked() throws {
        #expect(try FlintConfig.parse(yaml: "ledger:\n  retention: 400d\n", file: "flint.yaml").ledger == LedgerSettings(retention: .seconds(400 * 86_400)))
        #expect(try FlintConfig.parse(yaml: "listen: 127.0.0.1:8080\n", file: "flint.yaml").ledger.retention == .seconds(40 * 86_400))
        #expect(try FlintConfig.parse(yaml: "ledger: {}\n", file: "flint.yaml").ledger == LedgerSettings())
        #expect(issues("ledger:\n  retention: 30m\n  retension: 1d\n") == [
            #"flint.yaml:2: ledger.retention: "30m" is out of range (allowed: 1h...3650d)"#,
            "flint.yaml:3: ledger.retension: not a key of ledger (did you mean retention?)",
        ])
        #expect(issues("ledger: 30d\n") == [
            "flint.yaml:1: ledger: expected a mapping, not a single value (a mapping of retention)",
        ])
    }

    @Test func bus_problems_nameFileLineKeyAndWhatIsAllowed() {
        #expect(issues("""
            bus:
              retention: 30s
              durability: sync
              retry_base: 2h
              retry_max: 13h
              prune_every: 2d
              retension: 1d
            """) == [
            #"flint.yaml:2: bus.retention: "30s" is out of range (allowed: 1m...365d)"#,
            #"flint.yaml:3: bus.durability: "sync" is not one of normal, full"#,
            #"flint.yaml:4: bus.retry_base: "2h" is out of range (allowed: 10ms...1h)"#,
            #"flint.yaml:5: bus.retry_max: "13h" is out of range (allowed: 10ms...12h)"#,
            #"flint.yaml:6: bus.prune_every: "2d" is out of range (allowed: 1s...1d)"#,
            "flint.yaml:7: bus.retension: not a key of bus (did you mean retention?)",
        ])
        #expect(issues("bus:\n  retention: a week\n  prune_every: 0s\n  window: 1s\n") == [
            #"flint.yaml:2: bus.retention: "a week" is not a duration (use 500ms, 30s, 5m, 7d)"#,
            #"flint.yaml:3: bus.prune_every: "0s" is out of range (allowed: 1s...1d)"#,
            "flint.yaml:4: bus.window: not a key of bus (keys: retention, durability, retry_base, retry_max, prune_every)",
        ])
        #expect(issues("bus: fast\n") == [
            "flint.yaml:1: bus: expected a mapping, not a single value (a mapping of retention, durability, retry_base, retry_max, prune_every)",
        ])
    }

    @Test func bus_retryMaxShorterThanRetryBase_isRefused() {
        #expect(issues("bus:\n  retry_base: 2s\n  retry_max: 1500ms\n") == [
            #"flint.yaml:3: bus.retry_max: "1500ms" is shorter than retry_base (2s); use at least 2s"#,
        ])
        #expect(issues("bus:\n  retry_max: 500ms\n") == [
            #"flint.yaml:2: bus.retry_max: "500ms" is shorter than retry_base (1s by default); use at least 1s"#,
        ])
        // An invalid retry_base has its own issue; retry_max is not compared with it.
        #expect(issues("bus:\n  retry_base: 5ms\n  retry_max: 500ms\n") == [
            #"flint.yaml:2: bus.retry_base: "5ms" is out of range (allowed: 10ms...1h)"#,
        ])
    }

    @Test func secondDocument_isRefused() {
        #expect(issues("listen: 127.0.0.1:8080\n---\ndata: x\n") == [
            "flint.yaml:3: a second YAML document (after ---); this file holds one mapping",
        ])
    }

    /// What decides whether open (auth: none) triggers and a token-free API are allowed.
    @Test func loopback_isAnAddressOnlyThisMachineReaches_notAHostNameStartingWith127() {
        for host in ["127.0.0.1", "127.1.2.3", "::1", "localhost"] {
            #expect(ListenAddress(host: host, port: 0).isLoopback, "\(host)")
        }
        for host in ["127.corp.example.com", "127.0.0.1.nip.io", "127.0.0.256", "0.0.0.0", "10.0.0.1", "::", "1270.0.0.1", "127..0.1"] {
            #expect(!ListenAddress(host: host, port: 0).isLoopback, "\(host)")
        }
    }
}
