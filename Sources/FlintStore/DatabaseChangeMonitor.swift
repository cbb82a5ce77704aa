internal import FlintCore
internal import Foundation
internal import Synchronization
#if canImport(Glibc)
internal import Glibc
#endif

/// Calls `onChange` soon after any process commits to the database, without polling: SQLite in
/// WAL mode appends every commit to `NAME-wal`, and inotify reports the write.
///
/// One thread waits in `poll(2)` on the inotify descriptor and a pipe that `stop()` writes to.
/// A commit becomes visible to readers only when SQLite updates the WAL index (`-shm`, written
/// through mmap, which inotify cannot see) after its last WAL write — and, for a writer with
/// `synchronous=FULL` (the sqlite3 shell's and Python's default), after the `fsync` of the WAL,
/// which a busy disk can stretch past 100 ms. So a reader woken by that write may be too early:
/// after the writes stop, the monitor calls again 1 ms, 10 ms, 100 ms and 1 s later (then waits
/// without a timeout). Writes are coalesced: the first after a quiet
/// moment calls at once; while they go on (a busy daemon's own commits, one WAL write per page),
/// the thread sleeps through the first millisecond after each call and calls once for all that
/// came meanwhile, so it wakes and calls at most about a thousand times a second.
///
/// A write seen while `ownWriteUnderWay` says this process is writing itself is most likely its
/// own: the first call for it comes 4 ms later (`ownWriteDelayMillis`) instead of at once, when
/// the caller's look (at the writer connection, say) would queue behind that very write and then
/// run beside whatever it set going; and while this process goes on writing, calls come that far
/// apart. Another process's commit made meanwhile is seen up to that much later.
public final class DatabaseChangeMonitor: Sendable {
    private let inotify: Int32
    private let stopSignal: StopSignal
    private let walName: String
    private let databaseName: String
    private let onChange: @Sendable () -> Void
    private let onDatabaseGone: @Sendable () -> Void
    private let ownWriteUnderWay: @Sendable () -> Bool
    private let stopped = Mutex(false)

    /// Watches the directory of `databasePath` (the `-wal` file may not exist yet, and is
    /// recreated after a checkpoint that removes it). `onDatabaseGone` is called, once, if the
    /// database file is deleted or renamed away: its users go on with the file they opened, which
    /// nothing else can reach any more. `ownWriteUnderWay`: whether this process is writing to
    /// the database now (see above).
    public init(
        databasePath: String, ownWriteUnderWay: @escaping @Sendable () -> Bool = { false },
        onDatabaseGone: @escaping @Sendable () -> Void = {}, onChange: @escaping @Sendable () -> Void
    ) throws(DatabaseChangeMonitorError) {
        let url = URL(fileURLWithPath: databasePath)
        databaseName = url.lastPathComponent
        walName = url.lastPathComponent + "-wal"
        let directory = url.deletingLastPathComponent().path
        let inotify = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard inotify >= 0 else { throw .init("inotify_init1 failed: \(String(cString: strerror(errno))); raise fs.inotify.max_user_instances") }
        let mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_DELETE | IN_MOVED_FROM
        guard inotify_add_watch(inotify, directory, UInt32(mask)) >= 0 else {
            let reason = String(cString: strerror(errno))
            close(inotify)
            throw .init("cannot watch \(directory) with inotify: \(reason)")
        }
        do {
            stopSignal = try StopSignal()
        } catch {
            close(inotify)
            throw .init("\(error)")
        }
        self.inotify = inotify
        self.onChange = onChange
        self.onDatabaseGone = onDatabaseGone
        self.ownWriteUnderWay = ownWriteUnderWay
    }

    deinit {
        close(inotify)
    }

    /// Starts the watching thread.
    public func start() {
        DedicatedThread.start(named: "flint-db-watch") { [self] in watch() }
    }

    /// Ends the watching thread soon after; it makes no more calls once it has seen this.
    public func stop() {
        stopped.withLock { $0 = true }
        stopSignal.signal()
    }

    /// How long after a WAL write seen while this process writes the first call comes: past the
    /// moment that write's transaction has committed and what it set going (a handler's start, a
    /// millisecond or so) has run.
    static let ownWriteDelayMillis: Int32 = 4

    private func watch() {
        // The stop pipe first: while cooling down, only it is polled.
        var fds = [pollfd(fd: stopSignal.descriptor, events: Int16(POLLIN), revents: 0), pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
        let bufferSize = 64 * 1024
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: bufferSize, alignment: MemoryLayout<inotify_event>.alignment)
        defer { buffer.deallocate() }
        var databaseGone = false
        // Reads every event queued; whether one was a write to the WAL (or an overflow).
        func walChanged() -> Bool {
            var changed = false
            while true {
                let count = read(inotify, buffer, bufferSize)
                guard count > 0 else { break }
                let seen = events(in: buffer, count: count)
                changed = seen.walChanged || changed
                if seen.databaseGone, !databaseGone {
                    databaseGone = true
                    onDatabaseGone()
                }
            }
            return changed
        }
        // Milliseconds to the next trailing call, in order, after the last change seen; the
        // first a few milliseconds on when the change is most likely this process's own write.
        let trailing: [Int32] = [1, 9, 90, 900]
        let trailingOwnWrite = [Self.ownWriteDelayMillis] + trailing.dropFirst()
        func trailingCalls(ownWrite: Bool) -> ArraySlice<Int32> { ownWrite ? trailingOwnWrite[...] : trailing[...] }
        var pendingTrailing = trailing[trailing.endIndex...]
        // Set by a call for a change: until the first trailing call, changes wait to be read then.
        var coolingDown = false
        while !stopped.withLock({ $0 }) {
            fds[0].revents = 0
            fds[1].revents = 0
            let ready = poll(&fds, coolingDown ? 1 : 2, pendingTrailing.first ?? -1)
            if ready < 0 {
                if errno == EINTR { continue }
                return
            }
            if ready == 0 {
                let changedMeanwhile = coolingDown && walChanged()
                onChange()
                if changedMeanwhile {
                    pendingTrailing = trailingCalls(ownWrite: ownWriteUnderWay())
                } else {
                    pendingTrailing = pendingTrailing.dropFirst()
                    coolingDown = false
                }
                continue
            }
            if fds[0].revents != 0 { return }
            if walChanged() {
                let ownWrite = ownWriteUnderWay()
                // This process's own write, most likely: the first trailing call looks instead.
                if !ownWrite { onChange() }
                pendingTrailing = trailingCalls(ownWrite: ownWrite)
                coolingDown = true
            }
        }
    }

    /// What `buffer`'s events say: a write to the WAL (or an overflow, which may hide one), and
    /// the database file deleted or renamed away.
    private func events(in buffer: UnsafeMutableRawPointer, count: Int) -> (walChanged: Bool, databaseGone: Bool) {
        var seen = (walChanged: false, databaseGone: false)
        var offset = 0
        let header = MemoryLayout<inotify_event>.size
        while offset + header <= count {
            let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
            if event.mask & UInt32(IN_Q_OVERFLOW) != 0 { seen.walChanged = true }
            if event.len > 0 {
                let name = String(cString: buffer.advanced(by: offset + header).assumingMemoryBound(to: CChar.self))
                if event.mask & UInt32(IN_DELETE | IN_MOVED_FROM) != 0 {
                    if name == databaseName { seen.databaseGone = true }
                } else if name == walName {
                    seen.walChanged = true
                }
            }
            offset += header + Int(event.len)
        }
        return seen
    }
}

public struct DatabaseChangeMonitorError: Error, Sendable, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
