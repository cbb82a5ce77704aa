import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Flint started by an ordinary user, as most people run it: what root is allowed and others are
/// not must not be what makes it work.
@Suite(.serialized) struct UnprivilegedDaemonTests {
    /// `nobody` on Debian.
    static let nobody: uid_t = 65534

    /// Whether this test run can start flint as `nobody`: it runs as root, has setpriv, and
    /// nobody can run the built binary (every directory above it must be searchable).
    static let canRunAsNobody: Bool = {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: RunningDaemon.setpriv) else { return false }
        let probe = Process()
        probe.executableURL = URL(fileURLWithPath: RunningDaemon.setpriv)
        probe.arguments = ["--reuid=\(nobody)", "--regid=\(nobody)", "--clear-groups", "--", FlintBinary.path, "--help"]
        probe.standardOutput = FileHandle.nullDevice
        probe.standardError = FileHandle.nullDevice
        guard (try? probe.run()) != nil else { return false }
        probe.waitUntilExit()
        return probe.terminationStatus == 0
    }()

    @Test(.enabled(if: canRunAsNobody, "needs root (to start flint as nobody with setpriv) and a flint binary nobody may run"))
    func lambdaFunction_servesWhenFlintIsNotRoot() async throws {
        let project = try TestProject()
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions]\nuser: nobody\n")
        let made = try FlintBinary.run(["init", "warm", "--runtime", "lambda", "--project", project.root])
        try #require(made.status == 0, "\(made.stderr)")
        let owned = try Subprocess.run("/bin/chown", ["-R", "\(Self.nobody):\(Self.nobody)", project.root])
        try #require(owned.status == 0, "\(owned.stderr)")

        let daemon = try RunningDaemon(project, user: Self.nobody)
        for _ in 0 ..< 2 {
            let reply = try await daemon.request("POST", "/warm", body: Data("{}".utf8))
            #expect(reply.status == 200, "\(reply.text)")
            #expect(try reply.json()["message"] as? String == "hello world, from warm")
        }
        let (status, printed) = try daemon.stop()
        #expect(status == 0)
        #expect(printed.contains("isolation warm  user nobody"), "\(printed)")
    }
}
