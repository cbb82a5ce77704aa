import FlintCore
import FlintRunner
import Foundation
import Logging
import Testing

/// The handler user, per-instance cgroups and the bubblewrap sandbox, each checked at run time
/// and skipped (saying why) where this machine does not offer it.
@Suite struct IsolationTests {
    private static let mib = 1024 * 1024

    // MARK: cgroups

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"),
          .enabled(if: IsolationAvailability.hasPython, "needs /usr/bin/python3"))
    func memoryLimit_exceeded_isOOM_exactlyUnderACgroup() async throws {
        try await withIsolationFixture { fixture in
            try fixture.script("hog.py", MemoryHog.script)
            let result = await fixture.run(["./hog.py"], memoryBytes: 64 * Self.mib)
            #expect(result.record.outcome == .oom, "\(result.record) \(result.logText)")
            #expect(result.record.signal == SIGKILL, "the kernel's OOM killer ends it, not a failed allocation")
            #expect(result.record.errorMessage?.hasPrefix("out of memory: the 64 MiB limit was reached") == true)
            #expect(result.record.peakRSSBytes >= 60 * Int64(Self.mib), "\(result.record.peakRSSBytes)")
            #expect(result.record.peakRSSBytes <= 64 * Int64(Self.mib), "the cgroup's high-water mark cannot pass its limit")
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"),
          .enabled(if: IsolationAvailability.hasPython, "needs /usr/bin/python3"))
    func failureNearTheLimit_withoutAnOOMKill_isAnError() async throws {
        try await withIsolationFixture { fixture in
            let allocateThenFail = ["/usr/bin/python3", "-c", "import sys\ndata = bytearray(b'x') * (50 << 20)\nsys.exit(3)"]
            let result = await fixture.run(allocateThenFail, memoryBytes: 64 * Self.mib)
            #expect(result.record.outcome == .error, "\(result.record)")
            #expect(result.record.exitCode == 3)
            #expect(result.record.peakRSSBytes >= 50 * Int64(Self.mib))
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func cpuTime_isMeteredByTheCgroup() async throws {
        try await withIsolationFixture { fixture in
            try fixture.script("spin.sh", "#!/bin/sh\n( i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done ) &\nwait\n")
            let result = await fixture.run(["./spin.sh"])
            #expect(result.record.outcome == .ok, "\(result.logText)")
            #expect(result.record.userCPUMicros + result.record.systemCPUMicros > 50_000, "\(result.record)")
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"),
          .timeLimit(.minutes(1)))
    func forkBomb_isContained_andNothingIsLeft() async throws {
        try await withIsolationFixture(IsolationSettings(processes: 64)) { fixture in
            // Each copy forks two more and leaves their process group, so only the cgroup holds them.
            let bomb = try fixture.script("bomb.sh", "#!/bin/sh\nbomb() { setsid \"$0\" & setsid \"$0\" & wait; }\nbomb\n")
            let result = await fixture.run([bomb], timeout: .seconds(2))
            #expect(result.logText.contains("fork"), "the pids limit stopped it: \(result.logText.suffix(300))")
            #expect(processes(mentioning: fixture.functionDirectory).isEmpty, "every copy of the bomb is gone")

            let next = await fixture.run(["/bin/echo", "still fine"])
            #expect(next.record.outcome == .ok, "\(next.record)")
            #expect(next.outputText == "still fine\n")
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"),
          .timeLimit(.minutes(1)))
    func leftoverOfEachInvocation_isKilled_evenWhenTheCgroupIsReused() async throws {
        try await withIsolationFixture { fixture in
            // Leaves its session: only the cgroup holds the sleep when the handler exits.
            let leave = try fixture.script("leave.sh", "#!/bin/sh\nsetsid sleep 60 </dev/null >/dev/null 2>&1 &\necho $!\n")
            // On cgroup v1 the second invocation reuses the first one's cgroup, straight away: a
            // stale read of its cgroup.procs (the kernel's cached pid list) would list only the
            // first leftover, already dead, and miss the second.
            for invocation in 1...3 {
                let result = await fixture.run([leave])
                #expect(result.record.outcome == .ok, "\(result.logText)")
                let pid = try #require(Int32(result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(isGone(pid), "invocation \(invocation): its setsid child \(pid) was killed before the run ended")
                if !isGone(pid) { kill(pid, SIGKILL) }
            }
        }
    }

    // MARK: handler user

    @Test(.enabled(if: IsolationAvailability.isRoot, "needs root: only root can run handlers as another user"))
    func handler_runsAsNobody_whenTheDaemonIsRoot_inAWorkingDirectoryItOwns() async throws {
        try await withIsolationFixture { fixture in
            try fixture.script("who.sh", "#!/bin/sh\ntouch made-here && id -u && id -g && stat -c %u .\n")
            let result = await fixture.run(["./who.sh"])
            #expect(result.record.outcome == .ok, "\(result.logText)")
            #expect(result.outputText == "65534\n65534\n65534\n")
            #expect(fixture.isolation.summary(of: FunctionManifest(name: "f", directory: fixture.functionDirectory, command: ["x"]))
                .hasPrefix("user nobody (65534)"))
        }
    }

    @Test(.enabled(if: IsolationAvailability.isRoot, "needs root: only root can run handlers as another user"))
    func handler_asNobody_cannotReadTheDaemonsPrivateFiles() async throws {
        try await withIsolationFixture { fixture in
            let secret = fixture.dataDirectory + "/admin-token"
            try "s3cret".write(toFile: secret, atomically: false, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: secret)
            let result = await fixture.run(["/bin/cat", secret])
            #expect(result.record.outcome == .error)
            #expect(result.logText.contains("Permission denied"), "\(result.logText)")
            #expect(!result.outputText.contains("s3cret"))
        }
    }

    @Test(.enabled(if: IsolationAvailability.isRoot, "needs root: only root can run handlers as another user"))
    func userRoot_isHonouredAndSaidSo() async throws {
        try await withIsolationFixture(IsolationSettings(user: "root")) { fixture in
            let result = await fixture.run(["/usr/bin/id", "-u"])
            #expect(result.outputText == "0\n")
            #expect(fixture.isolation.summary(of: FunctionManifest(name: "f", directory: fixture.functionDirectory, command: ["x"]))
                .hasPrefix("user root (user: root in flint.yaml)"))
        }
    }

    @Test func unknownUser_isRefusedWithWhatToDo() {
        #expect(throws: IsolationError.self) {
            _ = try HandlerIsolation.prepare(IsolationSettings(user: "no-such-user-here"), logger: .init(label: "test"))
        }
    }

    // MARK: sandbox

    @Test(.enabled(if: IsolationAvailability.hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func sandbox_showsOnlyItsOwnPaths_readOnlyRoot_privateTmp() async throws {
        try await withIsolationFixture { fixture in
            // World-readable, so only the sandbox can be what hides it.
            try "s3cret".write(toFile: fixture.dataDirectory + "/admin-token", atomically: false, encoding: .utf8)
            try "marker".write(toFile: "/tmp/flint-isolation-visible-\(getpid())", atomically: false, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: "/tmp/flint-isolation-visible-\(getpid())") }
            let output = fixture.root + "/outputs/1"
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            try fixture.script("look.sh", """
                #!/bin/sh
                cat "$1/.flint/admin-token" 2>/dev/null && echo "token visible"
                ls /tmp/flint-isolation-visible-* 2>/dev/null && echo "host tmp visible"
                touch "$LAMBDA_TASK_ROOT/written" 2>/dev/null && echo "function directory writable"
                touch /usr/flint-written 2>/dev/null && echo "root writable"
                cat "$LAMBDA_TASK_ROOT/look.sh" > /dev/null && echo "function directory readable"
                touch "$HOME/scratch" && echo "working directory writable"
                echo out > "$FLINT_OUTPUT_DIR/result" && echo "output directory writable"
                touch /tmp/own && echo "private tmp writable"
                """)
            let result = await fixture.run(["./look.sh", fixture.root], isolation: .sandbox, outputDirectory: output)
            #expect(result.record.outcome == .ok, "\(result.logText)")
            #expect(result.outputText == """
                function directory readable
                working directory writable
                output directory writable
                private tmp writable

                """)
            #expect((try? String(contentsOfFile: output + "/result", encoding: .utf8)) == "out\n")
            #expect(!FileManager.default.fileExists(atPath: fixture.functionDirectory + "/written"))
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"),
          .enabled(if: IsolationAvailability.hasPython, "needs /usr/bin/python3"))
    func sandbox_hasNoNetwork_unlessTheManifestAllowsIt() async throws {
        try await withIsolationFixture { fixture in
            let listener = try LoopbackListener()
            defer { listener.close() }
            let connect = [
                "/usr/bin/python3", "-c",
                "import socket\nsocket.create_connection(('127.0.0.1', \(listener.port)), timeout=5)\nprint('connected')",
            ]
            let closed = await fixture.run(connect, isolation: .sandbox)
            #expect(closed.record.outcome == .error, "\(closed.record)")
            #expect(closed.logText.contains("ConnectionRefusedError") || closed.logText.contains("unreachable"), "\(closed.logText)")

            let open = await fixture.run(connect, isolation: .sandbox, network: true)
            #expect(open.record.outcome == .ok, "\(open.record) \(open.logText)")
            #expect(open.outputText == "connected\n")
        }
    }

    @Test(.enabled(if: IsolationAvailability.hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func sandbox_timeout_endsEverythingInside() async throws {
        // A deadline no busy machine comes near: waiting it out would be unmistakable.
        try await withIsolationFixture(IsolationSettings(emptyingTimeout: .seconds(60))) { fixture in
            try fixture.script("linger.sh", "#!/bin/sh\nif [ \"$1\" != child ]; then \"$0\" child & fi\nsleep 60\n")
            let started = ContinuousClock.now
            let result = await fixture.run(["./linger.sh"], timeout: .milliseconds(300), isolation: .sandbox)
            #expect(ContinuousClock.now - started < .seconds(30), "the cgroup was emptied without waiting for its deadline")
            #expect(result.record.outcome == .timeout, "\(result.record)")
            #expect(result.record.durationMicros < 1_300_000, "SIGTERM sufficed")
            #expect(await eventually { processes(mentioning: fixture.functionDirectory).isEmpty }, "nothing of the sandbox is left")
        }
    }

    @Test func sandbox_withoutBubblewrap_isRefused_neverRunWithLess() throws {
        let function = FunctionManifest(name: "boxed", directory: "/", command: ["/bin/true"], isolation: .sandbox)
        let refusal = try #require(HandlerIsolation.processOnly.refusal(of: function))
        #expect(refusal.contains("apt-get install bubblewrap"))
        #expect(HandlerIsolation.processOnly.refusal(of: FunctionManifest(name: "plain", directory: "/", command: ["/bin/true"])) == nil)
    }

    /// A handler user that could not run the command would fail every invocation: `flint up`
    /// refuses the function instead, naming the file and its mode.
    @Test(.enabled(if: IsolationAvailability.isRoot, "needs root: only root can run handlers as another user"))
    func commandTheHandlerUserCannotRun_isRefusedAtStart() throws {
        let isolation = try HandlerIsolation.prepare(IsolationSettings(cgroups: false), logger: Logger(label: "flint.isolation.tests"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-exec-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let script = directory + "/h.sh"
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: URL(fileURLWithPath: script))
        let function = FunctionManifest(name: "private", directory: directory, command: ["./h.sh"])
        let user = try #require(isolation.user)
        for mode in [0o700, 0o711] {  // a script is read by its interpreter: execute alone is not enough
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: script)
            let refusal = try #require(isolation.refusal(of: function), "mode \(String(mode, radix: 8))")
            #expect(refusal.contains("who cannot run its command: \(script) (mode 0\(String(mode, radix: 8))"), "\(refusal)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script)
        #expect(isolation.refusal(of: function) == nil)
        // An access ACL granting the handler user what the mode bits do not: not refused.
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        let acl = Process()
        acl.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        acl.arguments = ["-c", """
            import os, struct, sys
            entries = [(0x01, 7, 0xffffffff), (0x02, 5, int(sys.argv[2])), (0x04, 0, 0xffffffff), (0x10, 5, 0xffffffff), (0x20, 0, 0xffffffff)]
            os.setxattr(sys.argv[1], "system.posix_acl_access", struct.pack("<I", 2) + b"".join(struct.pack("<HHI", *e) for e in entries))
            """, script, String(user.uid)]
        try acl.run()
        acl.waitUntilExit()
        if acl.terminationStatus == 0 {  // a file system without ACLs refuses the attribute
            #expect(isolation.refusal(of: function) == nil)
        }
        // Found on PATH: the system's, not checked.
        #expect(isolation.refusal(of: FunctionManifest(name: "system", directory: directory, command: ["sh", "-c", "true"])) == nil)
    }

    @Test func sandbox_forALambdaFunction_isRefusedAtStart() {
        let function = FunctionManifest(name: "warm", directory: "/", runtime: .lambda, command: ["/bin/true"], isolation: .sandbox)
        #expect(HandlerIsolation.processOnly.refusal(of: function)
            == "function warm: isolation: sandbox is not available for runtime: lambda; use isolation: process")
    }

    // MARK: Helpers

    /// The pids of running processes whose command line mentions `text`.
    private func processes(mentioning text: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard !isGone(pid), let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            return String(decoding: data, as: UTF8.self).contains(text)
        }
    }
}

/// A TCP listener on 127.0.0.1 at a free port, which the kernel completes connections to (the
/// backlog) without anyone accepting them.
struct LoopbackListener {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                bind(fd, address, length) == 0 && listen(fd, 16) == 0 && getsockname(fd, address, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { Glibc.close(fd) }
}
