@testable import FlintStore
import Foundation
import GRDB
import Testing

/// Opening the project's database: what a file that cannot be written is said to be.
@Suite struct FlintDatabaseOpeningTests {
    /// Whether `chattr` can make a file immutable here (root, and a file system that has the flag).
    static let canMakeImmutable: Bool = {
        guard getuid() == 0, let directory = try? TemporaryDirectory() else { return false }
        let probe = directory.path + "/probe"
        guard FileManager.default.createFile(atPath: probe, contents: nil) else { return false }
        defer { _ = run("/usr/bin/chattr", ["-i", probe]) }
        return run("/usr/bin/chattr", ["+i", probe])
    }()

    static func run(_ executable: String, _ arguments: [String]) -> Bool {
        guard FileManager.default.isExecutableFile(atPath: executable) else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    @Test(.enabled(if: canMakeImmutable, "needs root and chattr on a file system with the immutable flag"))
    func opening_anImmutableDatabase_saysItIsReadOnly_andWhatToDo() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        _ = try FlintDatabase(path: path)
        #expect(Self.run("/usr/bin/chattr", ["+i", path]))
        defer { _ = Self.run("/usr/bin/chattr", ["-i", path]) }
        #expect(throws: BusError.databaseReadOnly(path: path)) { _ = try FlintDatabase(path: path) }
        #expect(BusError.databaseReadOnly(path: path).description.hasSuffix("is read-only for this user; fix its permissions (and those of its directory, which holds the -wal file)"))
    }

    @Test func opening_aFileThatIsNotADatabase_saysSo_andWhatToDo() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        try Data("not a database, but long enough to have a header\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: BusError.database(
            path: path, message: "is not a SQLite database; move it away (Flint then makes a new one) or set data: in flint.yaml to another directory"
        )) { _ = try FlintDatabase(path: path) }
    }

    @Test func opening_aDirectoryInTheFilesPlace_saysItCannotBeOpened_andWhatToCheck() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        do {
            _ = try FlintDatabase(path: path)
            Issue.record("a directory opened as a database")
        } catch let error as BusError {
            #expect("\(error)".hasPrefix("\(path): cannot be opened ("), "\(error)")
            #expect("\(error)".contains("check that it is a file (not a directory) this user can read and write"), "\(error)")
        }
    }

    /// Whether this process may mount a small tmpfs (root, outside a container that forbids it).
    static let canMountTmpfs: Bool = {
        guard getuid() == 0, let directory = try? TemporaryDirectory() else { return false }
        guard mount("tmpfs", directory.path, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(directory.path)
        return true
    }()

    /// A full disk stops SQLite with SQLITE_FULL, or, where it cannot extend the -shm file it
    /// maps, with a bare "disk I/O error": both say the disk is full.
    @Test(.enabled(if: canMountTmpfs, "needs root to mount a small tmpfs"))
    func opening_onAFullDisk_saysItIsFull_andWhatToDo() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        try #require(mount("tmpfs", directory.path, "tmpfs", 0, "size=1m") == 0)
        defer { #expect(umount2(directory.path, Int32(MNT_DETACH)) == 0, "the test's tmpfs is left mounted at \(directory.path)") }
        // A database closed cleanly (no -wal, no -shm), then a disk filled to the last block.
        _ = try FlintDatabase(path: path)
        let filler = open(directory.path + "/filler", O_WRONLY | O_CREAT | O_CLOEXEC, 0o600)
        try #require(filler >= 0)
        let block = [UInt8](repeating: 0, count: 4096)
        while write(filler, block, block.count) > 0 {}
        close(filler)

        do {
            _ = try FlintDatabase(path: path)
            Issue.record("a database opened on a full disk")
        } catch let error as BusError {
            #expect("\(error)".contains(": the filesystem holding it is full"), "\(error)")
            #expect("\(error)".hasSuffix("free space there (Flint needs room for the database's -wal and -shm files beside it) and try again"), "\(error)")
        }
        let full = DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full")
        #expect(BusError.from(full, path: path).description.contains("the filesystem holding it is full"))
    }
}
