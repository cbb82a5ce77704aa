import FlintCore
import Testing

/// `isolation` and `network` in function.yaml.
@Suite struct FunctionManifestIsolationTests {
    static let file = "samples/echo/function.yaml"

    private func parse(_ yaml: String) throws -> Result<FunctionManifest, ProjectLoadError> {
        try withTemporaryProject { project in
            try project.writeScript("samples/echo/echo.sh")
            return Result { () throws(ProjectLoadError) in
                try FunctionManifest.parse(yaml: yaml, file: Self.file, directory: project.root + "/samples/echo")
            }
        }
    }

    private func messages(_ yaml: String) throws -> [String] {
        guard case .failure(let error) = try parse(yaml) else { return [] }
        return error.issues.map(\.description)
    }

    @Test func sandbox_isAccepted_withoutNetworkByDefault() throws {
        let manifest = try parse("name: echo\ncommand: [./echo.sh]\nisolation: sandbox\n").get()
        #expect(manifest.isolation == .sandbox)
        #expect(manifest.network == false)
    }

    @Test func sandbox_withNetworkTrue_keepsTheNetwork() throws {
        let manifest = try parse("name: echo\ncommand: [./echo.sh]\nisolation: sandbox\nnetwork: true\n").get()
        #expect(manifest.network == true)
    }

    @Test func networkTrue_withoutSandbox_isWhatProcessIsolationHasAnyway() throws {
        let manifest = try parse("name: echo\ncommand: [./echo.sh]\nnetwork: true\n").get()
        #expect(manifest.isolation == .process)
        #expect(manifest.network == true)
    }

    @Test func networkFalse_withoutSandbox_isRefused_neverRunWithLess() throws {
        #expect(try messages("name: echo\ncommand: [./echo.sh]\nnetwork: false\n") == [
            "samples/echo/function.yaml:3: network: false needs isolation: sandbox; without a sandbox a handler always has the host's network"
        ])
    }

    @Test func network_mustBeTrueOrFalse() throws {
        #expect(try messages("name: echo\ncommand: [./echo.sh]\nisolation: sandbox\nnetwork: yes\n") == [
            "samples/echo/function.yaml:4: network: \"yes\" is not true or false"
        ])
    }
}
