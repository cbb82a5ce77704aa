import FlintCore
import Foundation
import Testing

@testable import FlintRunner

/// The bwrap command line a sandboxed handler runs under.
@Suite struct BubblewrapCommandTests {
    private let paths = InstancePaths(
        functionDirectory: "/srv/project/functions/thumbs", workingDirectory: "/dev/shm/flint-0-1/abc",
        objectPath: "/srv/project/buckets/uploads/a b.png", outputDirectory: "/srv/project/.flint/outputs/abc"
    )

    @Test func hidesWhatExists_bindsTheInstancesPaths_andRunsTheCommandUnchanged() throws {
        let root = FileManager.default.temporaryDirectory.path + "/flint-bwrap-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/data", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let existing = "/etc"  // outside /tmp, which the sandbox replaces anyway
        let command = BubblewrapCommand(
            bwrap: "/usr/bin/bwrap", hiddenPaths: [existing, "/etc/ssl", root + "/data", "/nonexistent/flint"], network: false
        ).wrapping(HandlerCommand(executable: "/srv/project/functions/thumbs/run", arguments: ["/srv/project/functions/thumbs/run", "--x"]), paths: paths)
        #expect(command.executable == "/usr/bin/bwrap")
        let arguments = command.arguments.joined(separator: " ")
        #expect(arguments.hasPrefix("/usr/bin/bwrap --ro-bind / / --dev /dev --proc /proc --tmpfs /tmp --tmpfs /run --tmpfs /etc --ro-bind /srv/project/functions/thumbs"))
        #expect(!arguments.contains("/etc/ssl"), "inside another hidden path")
        #expect(!arguments.contains(root), "under /tmp, already private")
        #expect(!arguments.contains("/nonexistent"), "bwrap could not make its mount point")
        #expect(command.arguments.contains("--unshare-net"))
        #expect(Array(command.arguments.suffix(3)) == ["--", "/srv/project/functions/thumbs/run", "--x"])
        #expect(!command.arguments.contains("/srv/project/buckets/uploads/a b.png"), "no descriptor, nothing to bind")
        let output = try #require(command.arguments.firstIndex(of: "/srv/project/.flint/outputs/abc"))
        #expect(command.arguments[output - 1] == "--bind")
    }

    /// The object is bound from the descriptor the process is passed, never by its path (which
    /// bwrap would resolve again, through whatever link an uploader put there meanwhile).
    @Test func anObjectBound_comesFromThePassedDescriptor() throws {
        let command = BubblewrapCommand(bwrap: "/usr/bin/bwrap", hiddenPaths: [], network: false)
            .wrapping(HandlerCommand(executable: "/bin/true", arguments: ["/bin/true"]), paths: paths, objectBound: true)
        let object = try #require(command.arguments.firstIndex(of: "/srv/project/buckets/uploads/a b.png"))
        #expect(Array(command.arguments[object - 2 ... object]) == ["--ro-bind-fd", "4", "/srv/project/buckets/uploads/a b.png"])
        #expect(SpawnOptions.passedFDNumber == 4)
    }

    /// A bubblewrap from before `--ro-bind-fd` could not show a sandbox its bucket object: such
    /// a function is refused at start, saying what to update, rather than failing each event.
    @Test func sandbox_withABubblewrapThatCannotBindDescriptors_isRefused() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-bwrap-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let old = directory + "/bwrap-0.8", new = directory + "/bwrap-0.10"
        try "#!/bin/sh\necho 'usage: bwrap [OPTIONS...] [--] COMMAND [ARGS...]'\necho '    --ro-bind SRC DEST'\n"
            .write(toFile: old, atomically: false, encoding: .utf8)
        try "#!/bin/sh\necho '    --ro-bind SRC DEST'\necho '    --ro-bind-fd FD DEST'\n".write(toFile: new, atomically: false, encoding: .utf8)
        for path in [old, new] { chmod(path, 0o755) }
        let function = FunctionManifest(name: "boxed", directory: "/", command: ["/bin/true"], isolation: .sandbox)
        let isolation = { (bwrap: String) in
            HandlerIsolation(user: nil, runsAsRootByRequest: false, cgroups: nil, cgroupsUnavailable: "not asked for",
                             bubblewrap: bwrap, hiddenPaths: [], processes: 0)
        }
        let refusal = try #require(isolation(old).refusal(of: function))
        #expect(refusal.contains("needs a bubblewrap with --ro-bind-fd") && refusal.contains(old), "\(refusal)")
        #expect(isolation(new).refusal(of: function) == nil)
        let broken = try #require(isolation(directory + "/missing-bwrap").refusal(of: function))
        #expect(broken.contains("cannot be run"), "\(broken)")
    }

    @Test func networkTrue_keepsTheHostsNetwork() {
        let command = BubblewrapCommand(bwrap: "/usr/bin/bwrap", hiddenPaths: [], network: true)
            .wrapping(HandlerCommand(executable: "/bin/true", arguments: ["/bin/true"]), paths: paths)
        #expect(!command.arguments.contains("--unshare-net"))
        #expect(command.arguments.contains("--unshare-pid"))
        // Name resolution may need what /etc/resolv.conf points to under the private /run.
        #expect(command.arguments.joined(separator: " ").contains("--ro-bind-try /run/systemd/resolve /run/systemd/resolve"))
    }
}
