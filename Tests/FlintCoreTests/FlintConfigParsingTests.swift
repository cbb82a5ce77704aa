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

    @Test func problems_areAllReported() {
        #expect(issues("listen: localhost\nfunctions: [samples, \"\", samples]\ntriggers: [a, b]\nport: 8080\ndat: x\n") == [
            #"flint.yaml:1: listen: "localhost" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080; port 0 picks a free one)"#,
            "flint.yaml:2: functions[1]: must not be empty (a directory, relative to the project)",
            #"flint.yaml:2: functions[2]: "samples" is already listed at line 2"#,
            "flint.yaml:3: triggers: expected a single value, not a list (a directory, relative to the project)",
            "flint.yaml:4: port: not a key of flint.yaml (keys: listen, functions, triggers, buckets, data)",
            "flint.yaml:5: dat: not a key of flint.yaml (did you mean data?)",
        ])
        #expect(issues("listen: 127.0.0.1:70000\n") == [
            #"flint.yaml:1: listen: "127.0.0.1:70000" is not HOST:PORT (e.g. 127.0.0.1:8080, [::1]:8080; port 0 picks a free one)"#,
        ])
        #expect(issues("just text\n") == ["flint.yaml:1: expected a mapping of settings (listen, functions, ...), not a single value"])
    }

    @Test func secondDocument_isRefused() {
        #expect(issues("listen: 127.0.0.1:8080\n---\ndata: x\n") == [
            "flint.yaml:3: a second YAML document (after ---); this file holds one mapping",
        ])
    }
}
