import FlintCore
import Testing

/// `user` in flint.yaml: whether the account exists is `flint up`'s to check, on its machine.
@Suite struct FlintConfigUserTests {
    @Test func user_isAbsentByDefault_andReadWhenGiven() throws {
        #expect(try FlintConfig.parse(yaml: "listen: 127.0.0.1:0\n", file: "flint.yaml").user == nil)
        #expect(try FlintConfig.parse(yaml: "user: flint-handlers\n", file: "flint.yaml").user == "flint-handlers")
        #expect(try FlintConfig.parse(yaml: "user: root\n", file: "flint.yaml").user == "root")
    }

    @Test func user_mustBeOneName() {
        let issues = configIssues { () throws(ProjectLoadError) in try FlintConfig.parse(yaml: "user: \"two words\"\n", file: "flint.yaml") }
        #expect(issues == [#"flint.yaml:1: user: "two words" is not a user name (e.g. nobody; root runs handlers as root)"#])
    }
}
