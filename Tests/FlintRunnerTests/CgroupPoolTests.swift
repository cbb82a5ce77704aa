import FlintCore
import Foundation
import Logging
import Synchronization
import Testing

@testable import FlintRunner

/// Finding this process's cgroups, and the cleanup of cgroups a killed daemon left behind.
/// Serialized: preparing a pool removes stale parents, the one `prepare_removes…` makes included.
@Suite(.serialized) struct CgroupPoolTests {
    @Test func mounts_mapEachControllerToThisProcesssCgroupDirectory() {
        let mountInfo = """
            30 25 0:26 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory
            31 25 0:27 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct
            32 25 0:28 /outer /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids
            33 25 0:29 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw
            34 25 0:30 / /mnt/with\\040space rw - tmpfs tmpfs rw
            """
        let membership = """
            4:memory:/process_api/abc
            3:cpu,cpuacct:/
            2:pids:/outer/inner
            0::/service
            """
        let mounts = CgroupMounts(mountInfo: mountInfo, membership: membership)
        #expect(mounts.controllers["memory"] == "/sys/fs/cgroup/memory/process_api/abc")
        #expect(mounts.controllers["cpuacct"] == "/sys/fs/cgroup/cpu,cpuacct")
        #expect(mounts.controllers["pids"] == "/sys/fs/cgroup/pids/inner", "a mount showing only part of the hierarchy")
        #expect(mounts.unified == "/sys/fs/cgroup/unified/service")
    }

    @Test func mounts_withoutCgroups_findNothing() {
        let mounts = CgroupMounts(mountInfo: "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n", membership: "0::/\n")
        #expect(mounts.unified == nil)
        #expect(mounts.controllers.isEmpty)
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func prepare_removesTheCgroupsOfADaemonThatIsGone_killingWhatIsLeftInThem() throws {
        // A pid above the kernel's maximum (4194304): certainly not running.
        try Self.expectPrepareRemovesTheCgroups(ofDaemon: "999999999-1-1")
    }

    /// A daemon killed with SIGKILL stays a zombie until its parent reaps it (this machine's init
    /// takes ~2 s): its handlers must not outlive it meanwhile.
    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func prepare_removesTheCgroupsOfADaemonKilledButNotYetReaped() throws {
        let daemon = try UnreapedChild(["/bin/sleep", "60"])
        defer { daemon.reap() }
        let ticks = try #require(ProcessStart.ticks(of: daemon.pid))
        try #require(daemon.killLeavingAZombie())
        try Self.expectPrepareRemovesTheCgroups(ofDaemon: "\(daemon.pid)-\(ticks)-1")
    }

    /// Makes `<flint parent>/<identity>/7` with a process in it, prepares the isolation as a
    /// starting daemon does, and expects that cgroup removed and its process killed.
    private static func expectPrepareRemovesTheCgroups(ofDaemon identity: String) throws {
        let mounts = CgroupMounts.current()
        let base = try #require(mounts.controllers["memory"] ?? mounts.unified) + "/flint"
        let stale = base + "/" + identity, child = stale + "/7"
        try? FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: child, withIntermediateDirectories: true)
        let leftover = try Self.sleeper()
        defer {
            Self.end(leftover)
            try? FileManager.default.removeItem(atPath: child)
            try? FileManager.default.removeItem(atPath: stale)
        }
        try "\(leftover.processIdentifier)".write(toFile: child + "/cgroup.procs", atomically: false, encoding: .utf8)

        let isolation = try HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.cgroup.tests"))
        #expect(isolation.cgroupsUnavailable == nil)
        #expect(!FileManager.default.fileExists(atPath: stale), "the stale parent is removed")
        leftover.waitUntilExit()
        #expect(leftover.terminationReason == .uncaughtSignal && leftover.terminationStatus == SIGKILL)
    }

    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func memberPIDs_readAgain_listWhoIsInTheCgroupNow() throws {
        let pool = try Self.pool()
        let (cgroup, _) = try pool.acquire(function: "members", memoryBytes: 64 << 20)
        defer { pool.release(cgroup, emptied: cgroup.killRemaining(deadline: Sys.monotonicNanoseconds() + 5_000_000_000)) }
        #expect(cgroup.counters.memberPIDs() == [])

        // On cgroup v1 a second read through the same descriptor returns the pid list the kernel
        // cached at the first: still empty.
        let joining = try Self.sleeper()
        defer { Self.end(joining) }
        try "\(joining.processIdentifier)".write(toFile: cgroup.memory + "/cgroup.procs", atomically: false, encoding: .utf8)
        #expect(cgroup.counters.memberPIDs() == [joining.processIdentifier])

        kill(joining.processIdentifier, SIGKILL)
        joining.waitUntilExit()
        #expect(cgroup.counters.memberPIDs() == [], "a process gone is no longer listed (its pid may be another's by now)")
    }

    /// A spawn that joins its cgroup lands in every hierarchy of it. On v1 it joins through each
    /// hierarchy's `tasks`, which moves the one thread of the child without the kernel's global
    /// lock that a `cgroup.procs` write takes (and its RCU grace period after a quiet moment).
    @Test(.enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"))
    func spawnJoiningItsCgroup_landsInEachHierarchy() throws {
        let pool = try Self.pool()
        defer { pool.close() }
        let (cgroup, _) = try pool.acquire(function: "joins", memoryBytes: 64 << 20)
        defer { pool.release(cgroup, emptied: cgroup.killRemaining(deadline: Sys.monotonicNanoseconds() + 5_000_000_000)) }
        let joinFiles = cgroup.joinFDs.map { fd in (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? "" }
        #expect(joinFiles == cgroup.directories.map { $0 + "/" + cgroup.version.joinFile }, "\(joinFiles)")
        if cgroup.version == .v1 { #expect(joinFiles.allSatisfy { $0.hasSuffix("/tasks") }) }

        var options = Self.sleepOptions()
        options.cgroupJoinFDs = cgroup.joinFDs
        let process = try ProcessSpawner.spawn(options)
        defer {
            kill(process.pid, SIGKILL)
            var status: CInt = 0
            waitpid(process.pid, &status, 0)
            [process.pidfd, process.stdin, process.stdout, process.stderr].forEach { close($0) }
        }
        // Compared by the cgroup's own part of the path (`flint/<daemon>/<n>`), which a mount root
        // or a cgroup namespace leaves as it is.
        func ownPart(_ path: String) -> String { path.split(separator: "/").suffix(3).joined(separator: "/") }
        let expected: [(controller: String, directory: String?)] = cgroup.version == .v2
            ? [("", cgroup.memory)] : [("memory", cgroup.memory), ("pids", cgroup.pids), ("cpuacct", cgroup.cpu)]
        for (controller, directory) in expected {
            guard let directory else { continue }
            let path = Self.cgroupPath(of: process.pid, controller: controller)
            #expect(path.map(ownPart) == ownPart(directory), "not in \(directory): \(path ?? "no \(controller) line")")
        }
    }

    /// v1's task count says "empty" only when nothing is in the instance's cgroup: the check
    /// `killRemaining` makes first, before listing and killing members.
    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 hierarchies (v2 lists the members through a descriptor kept open)"))
    func holdsNoTasks_onlyWhileNothingIsInTheCgroup() throws {
        let pool = try Self.pool()
        let (cgroup, _) = try pool.acquire(function: "count", memoryBytes: 64 << 20)
        defer { pool.release(cgroup, emptied: cgroup.killRemaining(deadline: Sys.monotonicNanoseconds() + 5_000_000_000)) }
        let pids = try #require(cgroup.pids, "no pids hierarchy here")
        #expect(cgroup.counters.holdsNoTasks())

        let joining = try Self.sleeper()
        defer { Self.end(joining) }
        try "\(joining.processIdentifier)".write(toFile: pids + "/cgroup.procs", atomically: false, encoding: .utf8)
        try "\(joining.processIdentifier)".write(toFile: cgroup.memory + "/cgroup.procs", atomically: false, encoding: .utf8)
        #expect(!cgroup.counters.holdsNoTasks())
        #expect(cgroup.killRemaining(deadline: Sys.monotonicNanoseconds() + 5_000_000_000))
        joining.waitUntilExit()
        #expect(joining.terminationReason == .uncaughtSignal && joining.terminationStatus == SIGKILL, "the member was not killed")
        #expect(cgroup.counters.holdsNoTasks())
    }

    /// A process whose leader thread ended with `pthread_exit` is a zombie while its other
    /// threads run on; `cgroup.procs` lists only the leader. It is still killed.
    @Test(
        .enabled(if: IsolationAvailability.hasCgroups, "needs a writable cgroup v2 with memory and pids, or the cgroup v1 memory hierarchy"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/cc"), "needs /usr/bin/cc to build the process"))
    func killRemaining_killsAProcessWhoseLeaderThreadHasEnded() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-leaderless-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(at: directory) }
        try """
            #include <pthread.h>
            #include <unistd.h>
            static void *worker(void *unused) { sleep(60); return unused; }
            int main(void) {
                pthread_t thread;
                pthread_create(&thread, 0, worker, 0);
                char byte;
                (void)read(0, &byte, 1);
                pthread_exit(0);
            }
            """.write(toFile: directory.path + "/leaderless.c", atomically: true, encoding: .utf8)
        let compiler = Process()
        compiler.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        compiler.arguments = ["-pthread", "-o", directory.path + "/leaderless", directory.path + "/leaderless.c"]
        try compiler.run()
        compiler.waitUntilExit()
        try #require(compiler.terminationStatus == 0, "cc failed")

        let pool = try Self.pool()
        let (cgroup, _) = try pool.acquire(function: "leaderless", memoryBytes: 64 << 20)
        defer { pool.release(cgroup, emptied: cgroup.killRemaining(deadline: Sys.monotonicNanoseconds() + 5_000_000_000)) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: directory.path + "/leaderless")
        let input = Pipe()
        process.standardInput = input
        try process.run()
        defer { Self.end(process) }
        let pid = process.processIdentifier
        for hierarchy in cgroup.directories {
            try "\(pid)".write(toFile: hierarchy + "/cgroup.procs", atomically: false, encoding: .utf8)
        }
        try input.fileHandleForWriting.write(contentsOf: Data("x".utf8))  // in its cgroups: the leader may end
        #expect(await eventually(within: .seconds(10)) { UnreapedChild.isZombie(pid) }, "the leader thread ends")
        #expect(ProcessStart.isLive(pid), "its other thread runs")

        #expect(cgroup.killRemaining(deadline: Sys.monotonicNanoseconds() + 5_000_000_000))
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
    }

    /// `/bin/sleep 60` as a handler, with limits no test here reaches.
    static func sleepOptions() -> SpawnOptions {
        SpawnOptions(
            command: HandlerCommand(executable: "/bin/sleep", arguments: ["/bin/sleep", "60"]), environment: [],
            workingDirectory: "/", memoryBytes: 0, openFiles: 64, processes: 0, cpuSeconds: 60, descriptorLimit: 1024
        )
    }

    /// The path of `pid`'s cgroup in the hierarchy of `controller` ("" for v2's unified one), from
    /// its `/proc/PID/cgroup` lines ("id:controllers:path"); nil without such a line.
    static func cgroupPath(of pid: pid_t, controller: String) -> String? {
        guard let membership = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
        return membership.split(separator: "\n").map { $0.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false) }
            .first { $0.count == 3 && (controller.isEmpty ? $0[1].isEmpty : $0[1].split(separator: ",").contains { $0 == controller }) }
            .map { String($0[2]) }
    }

    /// A process that only waits (a minute at most), to put into cgroups.
    private static func sleeper() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sleep")
        process.arguments = ["60"]
        try process.run()
        return process
    }

    /// Kills `process` if it still runs, and reaps it.
    private static func end(_ process: Process) {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A pool of this process's own, as a daemon prepares it.
    private static func pool(quietGap: Int64 = CgroupPool.defaultQuietGap) throws -> CgroupPool {
        try CgroupPool.prepare(
            mounts: .current(), processes: 64, emptyingTimeout: CgroupPool.defaultEmptyingTimeout, quietGap: quietGap,
            logger: Logger(label: "flint.cgroup.tests")
        ).get()
    }

    /// Over twice this test process's resident memory: what a standby needs where the process
    /// cannot protect itself from the OOM killer (`OOMProtection.allowsStandby`).
    static let standbyMemory = 4 << 30

    static let hasCgroupV1 = IsolationAvailability.hasCgroups && (try? pool().version) == .v1

    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (on v2 a thread cannot sit in another cgroup than its process)"))
    func standby_waitsInACgroupOfItsOwn_andWhatItSpawnsIsBornThere_withoutJoining() async throws {
        let pool = try Self.pool()
        let (first, none) = try pool.acquire(function: "warm", memoryBytes: Self.standbyMemory, standby: true)
        #expect(none == nil, "no standby before the function's first instance has started")
        defer { pool.release(first, emptied: true) }
        pool.prepareStandby(function: "warm", memoryBytes: Self.standbyMemory)

        var taken: (InstanceCgroup, CgroupStandby)?
        _ = await eventually(within: .seconds(10)) {
            guard let (cgroup, standby) = try? pool.acquire(function: "warm", memoryBytes: Self.standbyMemory, standby: true) else { return false }
            guard let standby else {
                pool.release(cgroup, emptied: true)
                return false
            }
            taken = (cgroup, standby)
            return true
        }
        let (cgroup, standby) = try #require(taken, "the standby gets ready")
        #expect(cgroup.memory != first.memory, "a cgroup of its own, beside the running instance's")
        // The standby's thread moves itself in: a task of this process, which is never a member
        // to kill.
        let joined = await eventually(within: .seconds(10)) {
            let tasks = (try? String(contentsOfFile: cgroup.memory + "/tasks", encoding: .utf8)) ?? ""
            return tasks.split(separator: "\n").contains { Int32($0).map(Self.isThreadOfThisProcess) ?? false }
        }
        #expect(joined, "a thread of this process waits in the cgroup")
        #expect(cgroup.counters.memberPIDs() == [])

        // Spawned from the standby, with no cgroup to join: /bin/sleep is in the cgroup anyway.
        let isolation = InstanceIsolation(
            paths: InstancePaths(functionDirectory: "/", workingDirectory: "/"), credentials: nil, sandbox: nil,
            cgroup: cgroup, standby: standby, pool: pool
        )
        var options = Self.sleepOptions()
        isolation.apply(to: &options)
        #expect(!options.cgroupJoinFDs.isEmpty, "without a standby the spawn would join")
        let seen = Mutex<(joinedNothing: Bool, memoryCgroup: String, oomScore: String)?>(nil)
        let done = DispatchSemaphore(value: 0)
        try isolation.launch(options) { options in
            (try? ProcessSpawner.spawn(options)).map { ($0, options.cgroupJoinFDs.isEmpty) }
        } supervise: { started in
            if let (process, joinedNothing) = started {
                let memory = Self.cgroupPath(of: process.pid, controller: "memory") ?? ""
                let score = (try? String(contentsOfFile: "/proc/\(process.pid)/oom_score_adj", encoding: .utf8)) ?? ""
                seen.withLock { $0 = (joinedNothing, memory, score) }
                kill(process.pid, SIGKILL)
                var status: CInt = 0
                waitpid(process.pid, &status, 0)
            }
            done.signal()
        }
        await Task.detached { done.wait() }.value
        let observed = try #require(seen.withLock { $0 }, "the process started")
        #expect(observed.joinedNothing)
        #expect(!observed.memoryCgroup.isEmpty && cgroup.memory.hasSuffix(observed.memoryCgroup), "\(observed.memoryCgroup)")
        // The OOM killer never prefers the daemon to the handler while the standby is in the
        // cgroup: the daemon is at -1000 (where it may lower its score), or the handler at 1000.
        let ownScore = try String(contentsOfFile: "/proc/self/oom_score_adj", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let handlerScore = observed.oomScore.trimmingCharacters(in: .whitespacesAndNewlines)
        if let restored = OOMProtection.handlerScore {
            #expect(ownScore == "-1000")
            #expect(handlerScore == restored)
        } else {
            #expect(handlerScore == "1000")
        }
        // The standby has ended, and none of Flint's own threads (the supervisor) is left in
        // the function's cgroup.
        let left = await eventually(within: .seconds(10)) { Self.threadsOfThisProcess(in: cgroup.memory) == 0 }
        #expect(left, "no thread of this process stays in the cgroup once the spawn is done")
        _ = isolation.finish()
    }

    /// Starts in quick succession (a burst) join their cgroup at spawn: a standby made per start
    /// would cost more than the joins it saves. Once the starts pause, one is prepared.
    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (on v2 a thread cannot sit in another cgroup than its process)"))
    func standbys_waitForAPauseInTheFunctionsStarts() async throws {
        // Starts 2 s apart count as quiet: those below (but the first of each function) come well within that.
        let pool = try Self.pool(quietGap: 2_000_000_000)
        defer { pool.close() }
        pool.instanceStarted(function: "quiet", memoryBytes: Self.standbyMemory)
        // Prepared shortly after the start (`standbyDelay`), off the thread that spawned.
        let quietStandby = await eventually(within: .seconds(10)) { pool.hasStandby(for: "quiet") }
        #expect(quietStandby, "a function's first start is a quiet one")

        pool.instanceStarted(function: "burst", memoryBytes: Self.standbyMemory)
        let ready = await eventually(within: .seconds(10)) {
            guard let (cgroup, standby) = try? pool.acquire(function: "burst", memoryBytes: Self.standbyMemory, standby: true) else { return false }
            _ = standby?.cancel()
            pool.release(cgroup, emptied: true)
            return standby != nil
        }
        try #require(ready, "the first start's standby was taken by the second start")
        pool.instanceStarted(function: "burst", memoryBytes: Self.standbyMemory)
        pool.instanceStarted(function: "burst", memoryBytes: Self.standbyMemory)
        #expect(!pool.hasStandby(for: "burst"), "starts in quick succession: the next one joins its cgroup")
        let prepared = await eventually(within: .seconds(10)) { pool.hasStandby(for: "burst") }
        #expect(prepared, "once the starts pause, the next start gets a standby")
    }

    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (v2 keeps no idle cgroups)"))
    func keepOnly_removesTheIdleCgroupsAndStandbysOfFunctionsAReloadRemoved() async throws {
        let pool = try Self.pool()
        let (kept, _) = try pool.acquire(function: "kept", memoryBytes: 64 << 20)
        // "gone" with a limit a standby may wait under wherever this process can be OOM-killed.
        let (gone, _) = try pool.acquire(function: "gone", memoryBytes: Self.standbyMemory, standby: true)
        let (resized, _) = try pool.acquire(function: "resized", memoryBytes: 64 << 20)
        pool.prepareStandby(function: "gone", memoryBytes: Self.standbyMemory)
        #expect(pool.hasStandby(for: "gone"))
        let (busy, _) = try pool.acquire(function: "gone", memoryBytes: Self.standbyMemory)
        for cgroup in [kept, gone, resized] { pool.release(cgroup, emptied: true) }

        pool.keepOnly(["kept": 64 << 20, "resized": 128 << 20])
        let removed = await eventually(within: .seconds(10)) {
            !FileManager.default.fileExists(atPath: gone.memory) && !FileManager.default.fileExists(atPath: resized.memory)
        }
        #expect(removed, "the idle cgroups of a removed function, and of an old memory limit, are removed")
        #expect(FileManager.default.fileExists(atPath: kept.memory))
        // One still in use when the reload came is removed when it is handed back.
        pool.release(busy, emptied: true)
        #expect(!FileManager.default.fileExists(atPath: busy.memory))
        // And no standby is kept for the removed function: every cgroup left is the kept one.
        let parent = (kept.memory as NSString).deletingLastPathComponent
        let left = await eventually(within: .seconds(10)) { Self.cgroups(in: parent) == [kept.memory] }
        #expect(left, "\(Self.cgroups(in: parent))")
    }

    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (on v2 a thread cannot sit in another cgroup than its process)"))
    func project_preparesAStandbyForEachFunction_forItsFirstInstance() async throws {
        let isolation = try HandlerIsolation.prepare(IsolationSettings(), logger: Logger(label: "flint.cgroup.tests"))
        let pool = try #require(isolation.cgroups)
        isolation.project([
            FunctionManifest(
                name: "warm", directory: "/tmp", runtime: .lambda, command: ["./bootstrap"], memoryBytes: Self.standbyMemory
            ),
            FunctionManifest(name: "plain", directory: "/tmp", command: ["./handler"], memoryBytes: Self.standbyMemory),
        ])
        let ready = await eventually(within: .seconds(10)) {
            let cgroups = Self.cgroups(in: pool.memoryParent)
            return cgroups.count == 2 && cgroups.allSatisfy { Self.threadsOfThisProcess(in: $0) == 1 }
        }
        #expect(ready, "one cgroup per function, each with its standby in it: \(Self.cgroups(in: pool.memoryParent))")
    }

    /// Page cache an invocation brought in stays charged to its v1 cgroup: one left charged with
    /// much of it is not reused, so the invocations after it meter only their own memory.
    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (v2 gives each instance a fresh cgroup)"))
    func aCgroupLeftChargedWithPageCache_isNotReused_soTheNextPeakIsItsOwn() async throws {
        try await withIsolationFixture { fixture in
            let cache = fixture.root + "/cache"
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o777])
            let writer = try fixture.script("write.sh", "#!/bin/sh\nhead -c 33554432 /dev/zero > \(cache)/data\n")
            let idle = try fixture.script("idle.sh", "#!/bin/sh\nexit 0\n")
            let wrote = await fixture.run([writer], memoryBytes: Self.standbyMemory)
            #expect(wrote.record.outcome == .ok, "\(wrote.logText)")
            #expect(wrote.record.peakRSSBytes >= 32 << 20, "the 32 MiB it wrote are in its peak")
            for _ in 0 ..< 3 {
                let next = await fixture.run([idle], memoryBytes: Self.standbyMemory)
                #expect(next.record.outcome == .ok, "\(next.logText)")
                #expect(next.record.peakRSSBytes < CgroupPool.reuseChargeLimit, "peak \(next.record.peakRSSBytes) bytes: the writer's page cache counted")
            }
        }
    }

    /// An exec function's every invocation is a start: each one after the first is spawned by the
    /// standby its predecessor prepared, born in its cgroup (nothing moved on the way), and with
    /// the OOM score of a standby-spawned handler.
    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (on v2 a thread cannot sit in another cgroup than its process)"))
    func execInvocations_afterTheFirst_startFromAStandby_inTheirCgroup() async throws {
        try await withIsolationFixture { fixture in
            let show = try fixture.script("show.sh", "#!/bin/sh\ncat /proc/self/oom_score_adj\ngrep ':memory:' /proc/self/cgroup\n")
            let first = await fixture.run([show], memoryBytes: Self.standbyMemory)
            #expect(first.record.outcome == .ok, "\(first.logText)")
            let pool = try #require(fixture.isolation.cgroups)
            // The standby the first spawn asked for moves itself into its cgroup in the background.
            let prepared = await eventually(within: .seconds(10)) {
                Self.cgroups(in: pool.memoryParent).contains { Self.threadsOfThisProcess(in: $0) == 1 }
            }
            #expect(prepared, "no standby was prepared after the first spawn: \(Self.cgroups(in: pool.memoryParent))")

            let second = await fixture.run([show], memoryBytes: Self.standbyMemory)
            #expect(second.record.outcome == .ok, "\(second.logText)")
            let lines = second.outputText.split(separator: "\n").map(String.init)
            #expect(lines.first == OOMProtection.standbyHandlerScore, "not spawned from the standby: \(lines)")
            // "N:memory:/PATH": the instance's cgroup is a child of the pool's memory parent.
            let memoryCgroup = lines.dropFirst().first.flatMap { $0.split(separator: ":", maxSplits: 2).last }.map(String.init) ?? ""
            let parent = (memoryCgroup as NSString).deletingLastPathComponent
            #expect(parent.count > 1 && pool.memoryParent.hasSuffix(parent),
                    "the handler ran in \(memoryCgroup), not in an instance cgroup under \(pool.memoryParent)")
        }
    }

    /// bubblewrap's `--die-with-parent` follows the thread that spawned it: a sandboxed handler
    /// spawned by a standby (which ends right after) would be killed at once. None is used.
    @Test(.enabled(if: hasCgroupV1, "needs the cgroup v1 memory hierarchy (on v2 a thread cannot sit in another cgroup than its process)"),
          .enabled(if: IsolationAvailability.hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func sandboxedInvocations_neverStartFromAStandby_andAreNotKilledWithIt() async throws {
        try await withIsolationFixture { fixture in
            let pool = try #require(fixture.isolation.cgroups)
            for invocation in 1...3 {
                let result = await fixture.run(["/bin/sh", "-c", "sleep 0.2; echo alive"], memoryBytes: Self.standbyMemory, isolation: .sandbox)
                #expect(result.record.outcome == .ok, "invocation \(invocation): \(result.record) \(result.logText)")
                #expect(result.outputText == "alive\n")
                let standbys = Self.cgroups(in: pool.memoryParent).filter { Self.threadsOfThisProcess(in: $0) > 0 }
                #expect(standbys.isEmpty, "a standby waits for a sandboxed function: \(standbys)")
            }
        }
    }

    /// The child cgroups of `parent` (its subdirectories; its files are the controller's).
    private static func cgroups(in parent: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
        return names.map { parent + "/" + $0 }.filter { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    private static func threadsOfThisProcess(in directory: String) -> Int {
        let tasks = (try? String(contentsOfFile: directory + "/tasks", encoding: .utf8)) ?? ""
        return tasks.split(separator: "\n").filter { Int32($0).map(isThreadOfThisProcess) ?? false }.count
    }

    private static func isThreadOfThisProcess(_ tid: Int32) -> Bool {
        FileManager.default.fileExists(atPath: "/proc/self/task/\(tid)")
    }
}
