internal import Foundation
internal import Synchronization

/// Remembers which files Flint itself is about to move into a bucket, and at which causation
/// depth: the watcher's event for such a file continues the chain of the invocation that made
/// it instead of starting a new one, so the loop guard can stop a function that triggers itself.
///
/// Files are known by inode, which a rename keeps. An entry is used once: dropped when the event
/// it gave its depth to is committed (`forget`); one never used (its event was lost to an
/// overflow and found by a scan) is dropped after `lifetime`. One table serves the daemon's whole
/// life: an invocation of a configuration replaced by a reload still moves its outputs after it.
final class OutputCausation: Sendable {
    private struct Entry {
        var depth: Int
        var expiresAt: Date
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    let lifetime: TimeInterval

    init(lifetime: TimeInterval = 600) {
        self.lifetime = lifetime
    }

    /// The file with `inode` will appear in a bucket as an output of an invocation at
    /// `depth - 1`.
    func expect(inode: UInt64, depth: Int, now: Date = Date()) {
        entries.withLock { entries in
            if entries.count > 10_000 { entries = entries.filter { $0.value.expiresAt > now } }
            entries[inode] = Entry(depth: depth, expiresAt: now.addingTimeInterval(lifetime))
        }
    }

    /// The depth of the event for the file with `inode`: the one expected for it, else 0 (the
    /// file came from outside Flint). Kept until `forget`: a transaction that fails is retried,
    /// and its events must continue the same chains.
    func depth(of inode: UInt64, now: Date = Date()) -> Int {
        entries.withLock { entries in
            guard let entry = entries[inode], entry.expiresAt > now else { return 0 }
            return entry.depth
        }
    }

    /// The events for these files are committed: their entries are used.
    func forget(inodes: some Sequence<UInt64>) {
        entries.withLock { entries in
            for inode in inodes { entries[inode] = nil }
        }
    }
}
