@testable import FlintServer
import FlintRunner
import Foundation
import Testing

@Suite struct DaemonFilesTests {
    @Test func paths_areUnderTheDataDirectory() {
        let files = DaemonFiles(directory: "/srv/project/.flint")
        #expect(files.database == "/srv/project/.flint/flint.sqlite")
        #expect(files.adminToken == "/srv/project/.flint/admin-token")
        #expect(files.daemonInfo == "/srv/project/.flint/daemon.json")
    }

    @Test func workRoot_isStableForADataDirectoryAndDistinctBetweenThem() {
        let a = DaemonFiles(directory: "/srv/a/.flint").workRoot
        #expect(a == DaemonFiles(directory: "/srv/a/.flint").workRoot)
        #expect(a != DaemonFiles(directory: "/srv/b/.flint").workRoot)
        // FNV-1a 64 of "a" is af63dc4c8601ec8c: the hash must not change between releases.
        #expect(DaemonFiles.stableHash("a") == "af63dc4c8601ec8c")
    }

    /// Anyone can make the tmpfs work root's guessable name first, to stop Flint from starting
    /// (it never adopts another user's directory): the data directory takes the work instead.
    @Test(
        .enabled(if: geteuid() == 0, "needs root to make a directory owned by another user"),
        .enabled(if: DaemonFiles.sharedWorkRoot(for: "/") != nil, "needs a writable /dev/shm"))
    func workRoot_takenByAnotherUser_isTheDataDirectorysInstead() throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("flint-data-\(UUID().uuidString)").path
        let shared = try #require(DaemonFiles.sharedWorkRoot(for: data))
        #expect(DaemonFiles(directory: data).workRoot == shared)
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: shared) }
        #expect(chown(shared, 65534, 65534) == 0)
        #expect(DaemonFiles(directory: data).workRoot == data + "/work")
    }

    @Test func daemonInfo_roundTripsThroughItsFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("flint-daemon-\(UUID().uuidString).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let info = DaemonInfo(pid: 42, host: "::1", port: 8080, startedAt: Date(timeIntervalSince1970: 1_700_000_000), workRoot: "/dev/shm/flint-0-1")
        #expect(info.url == "http://[::1]:8080")
        try info.write(to: path)
        #expect(DaemonInfo.read(from: path) == info)
        #expect(DaemonInfo.read(from: path + ".missing") == nil)
    }

    /// A daemon is the process with the recorded pid and the recorded start, whatever its program
    /// is named (a renamed binary, `flint-1.2`); a later process given the same pid is not.
    @Test func daemonInfo_isAlive_forThePIDWithTheRecordedStartOnly() throws {
        let start = try #require(ProcessStart.ticks(of: getpid()))
        let info = { (start: UInt64?) in
            DaemonInfo(pid: getpid(), host: "127.0.0.1", port: 8080, startedAt: Date(), workRoot: "/dev/shm/x", processStart: start)
        }
        #expect(info(start).isAlive, "this test process, whose name does not end in flint")
        #expect(!info(start + 1).isAlive, "another process given the pid")
        #expect(!info(nil).isAlive, "an older file: the name decides")
        #expect(ProcessStart.ticks(of: getppid()).map { $0 <= start } == true)
    }

    /// Every command tells a live daemon by its lock, where it can be opened: a `daemon.json`
    /// whose pid and start are a live process's still names no daemon once the lock is free.
    @Test func liveDaemon_isTheOneHoldingTheLock() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-data-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let files = DaemonFiles(directory: directory)
        let start = try #require(ProcessStart.ticks(of: getpid()))
        let info = DaemonInfo(pid: getpid(), host: "127.0.0.1", port: 8080, startedAt: Date(), workRoot: "/dev/shm/x", processStart: start)
        try info.write(to: files.daemonInfo)
        do {
            let lock = try #require(try DaemonLock.acquire(at: files.lock))
            withExtendedLifetime(lock) {
                #expect(files.liveDaemon?.port == 8080)
            }
        }
        #expect(files.liveDaemon == nil, "the lock is free, although the pid is this live process's")
    }
}
