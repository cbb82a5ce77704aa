internal import CInotifyTools
internal import FlintCore
#if canImport(Glibc)
internal import Glibc
#endif

/// One inotify event.
struct InotifyEvent: Sendable, Hashable {
    var watch: Int32
    var mask: UInt32
    var cookie: UInt32
    /// The entry's name inside the watched directory; empty for events about the directory
    /// itself; nil when it is not UTF-8 (no object key can name it).
    var name: String?
    /// When `name` is nil: the name with its invalid bytes replaced (U+FFFD), for messages.
    var unnamable: String?

    func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }
    var isDirectory: Bool { has(IN_ISDIR) }
}

/// A directory of a bucket being watched.
struct WatchedDirectory: Sendable, Hashable {
    var bucket: String
    /// Relative to the bucket, `/`-separated; empty for the bucket itself.
    var path: String

    /// The key of an entry named `name` in this directory.
    func key(of name: String) -> String { path.isEmpty ? name : "\(path)/\(name)" }
}

/// The watches on the buckets' directories, through libinotifytools.
///
/// Not thread-safe, like the library: one thread (the bucket watcher's) owns it. It keeps its own
/// map from watch descriptor to directory, renamed along with the directories, so that events
/// are attributed to where a directory is now, whatever the library's own bookkeeping does.
final class InotifyWatches {
    /// What a bucket directory is watched for: the events that create or remove objects and
    /// directories. Never follows a symlink; only directories.
    static let mask: Int32 = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE
        | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW

    struct WatchError: Error, CustomStringConvertible {
        var description: String
        /// The directory is no longer there (renamed or removed since it was listed): its own
        /// events say where it went, so there is nothing to report.
        var isGone = false
        /// Whether a later scan can find what the directory holds (not when its path is too long,
        /// which no scan can list either).
        var scanCanFind = true
    }

    /// Watches as they were at one moment, by descriptor, each with the count of `watch` calls
    /// when it was last (re)watched: what a directory moved away took with it.
    struct Capture: Sendable {
        fileprivate var watches: [Int32: UInt64] = [:]
    }

    let root: String
    let descriptor: Int32
    private var directories: [Int32: WatchedDirectory] = [:]
    /// Per descriptor, the value of `watchCalls` when it was last watched.
    private var watchedAt: [Int32: UInt64] = [:]
    private var watchCalls: UInt64 = 0

    init(root: String) throws(InotifySupport.Unavailable) {
        self.root = root
        descriptor = try InotifySupport.initialize()
        _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
    }

    func absolutePath(of directory: WatchedDirectory) -> String {
        directory.path.isEmpty ? "\(root)/\(directory.bucket)" : "\(root)/\(directory.bucket)/\(directory.path)"
    }

    func directory(of watch: Int32) -> WatchedDirectory? { directories[watch] }

    var count: Int { directories.count }

    /// Starts watching `directory` (or refreshes its entry if it already is).
    func watch(_ directory: WatchedDirectory) throws(WatchError) {
        let path = absolutePath(of: directory)
        // Adding a watch the instance already has is a no-op that returns its descriptor (the
        // library does not return it). A directory watched before (since renamed) only gets its
        // new name here: libinotifytools keys watches by name too, and renaming one in place
        // (`inotifytools_set_filename_by_wd`) would leave its name tree out of order.
        let wd = inotify_add_watch(descriptor, path, UInt32(bitPattern: Self.mask))
        guard wd > 0 else {
            let code = errno
            let hint = switch code {
            case ENOSPC: "; raise fs.inotify.max_user_watches (sysctl)"
            case ENAMETOOLONG: "; Linux refuses paths over \(PATH_MAX) bytes, so nothing under it fires until it is shortened"
            default: ""
            }
            throw WatchError(
                description: "cannot watch \(path): \(String(cString: strerror(code)))\(hint)", isGone: code == ENOENT || code == ENOTDIR,
                scanCanFind: code != ENAMETOOLONG
            )
        }
        if directories[wd] == nil {
            guard inotifytools_watch_file(path, Self.mask) != 0 else {
                let code = inotifytools_error()
                throw WatchError(description: "libinotifytools cannot watch \(path): \(String(cString: strerror(code)))")
            }
        }
        directories[wd] = directory
        watchCalls += 1
        watchedAt[wd] = watchCalls
    }

    /// The watches on `directory` and every directory below it, as they are now: what it takes
    /// along when it is renamed away. Later steps act on these descriptors, not on names, which
    /// a new directory may take meanwhile (`mv d away; mkdir d`).
    func capture(under directory: WatchedDirectory) -> Capture {
        var capture = Capture()
        for (wd, watched) in directories where watched.bucket == directory.bucket && Self.isWithin(watched.path, directory.path) {
            capture.watches[wd] = watchedAt[wd] ?? 0
        }
        return capture
    }

    /// Stops the captured watches (their directories left the buckets), except those watched
    /// again since the capture: a directory moved back in keeps its descriptor.
    func unwatch(_ capture: Capture) {
        for (wd, generation) in capture.watches where watchedAt[wd] == generation {
            _ = inotifytools_remove_watch_by_wd(wd)
            directories[wd] = nil
            watchedAt[wd] = nil
        }
    }

    /// The captured watches, of `old` and below, were renamed to `new` inside the buckets.
    func rename(_ capture: Capture, from old: WatchedDirectory, to new: WatchedDirectory) {
        for wd in capture.watches.keys {
            guard let watched = directories[wd], watched.bucket == old.bucket, Self.isWithin(watched.path, old.path) else { continue }
            let rest = watched.path.dropFirst(old.path.count)
            directories[wd] = WatchedDirectory(bucket: new.bucket, path: new.path + rest)
        }
    }

    /// Stops every watch: the library's instance outlives this watcher, and must not keep
    /// queueing events for directories nobody will read.
    func unwatchAll() {
        for wd in directories.keys {
            _ = inotifytools_remove_watch_by_wd(wd)
        }
        directories.removeAll()
        watchedAt.removeAll()
        while nextEvent() != nil {}
    }

    /// The kernel dropped a watch (its directory was deleted or unmounted).
    func forget(_ watch: Int32) {
        directories[watch] = nil
        watchedAt[watch] = nil
    }

    /// Events read from the descriptor and not yet handed out.
    private var buffer: [UInt8] = []
    private var bufferOffset = 0
    private static let readSize = 64 * 1024

    /// The next event, without waiting; nil when none is ready.
    ///
    /// Read here rather than with `inotifytools_next_event`: in libinotifytools 3.22 a timeout
    /// of 0 blocks (its select() gets no timeout at all) and the shortest wait is a second, so
    /// the library cannot say "nothing more for now" — which is when a batch is committed — nor
    /// be woken to stop. The library never reads the descriptor itself, so nothing is taken
    /// from under it; it still owns the instance and the watches.
    func nextEvent() -> InotifyEvent? {
        let header = MemoryLayout<inotify_event>.size
        if buffer.count - bufferOffset < header {
            guard refill() else { return nil }
        }
        return buffer.withUnsafeBytes { raw -> InotifyEvent? in
            guard let start = raw.baseAddress else { return nil }
            let base = start.advanced(by: bufferOffset)
            let event = base.loadUnaligned(as: inotify_event.self)
            let length = Int(event.len)
            // The kernel writes whole events only: a short one means a corrupt buffer.
            guard raw.count - bufferOffset >= header + length else {
                bufferOffset = raw.count
                return nil
            }
            var name: String? = ""
            var unnamable: String?
            if length > 0 {
                let bytes = UnsafeRawBufferPointer(start: base.advanced(by: header), count: length).prefix { $0 != 0 }
                name = String(validating: bytes, as: UTF8.self)
                if name == nil { unnamable = String(decoding: bytes, as: UTF8.self) }
            }
            bufferOffset += header + length
            return InotifyEvent(watch: event.wd, mask: event.mask, cookie: event.cookie, name: name, unnamable: unnamable)
        }
    }

    /// Reads what the kernel has queued, without waiting; false when there is nothing.
    private func refill() -> Bool {
        buffer.removeFirst(bufferOffset)
        bufferOffset = 0
        let kept = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: Self.readSize))
        let count = buffer.withUnsafeMutableBytes { raw -> Int in
            guard let start = raw.baseAddress else { return 0 }
            return read(descriptor, start.advanced(by: kept), Self.readSize)
        }
        buffer.removeLast(Self.readSize - max(0, count))
        return count > 0
    }

    /// Whether `path` is `ancestor` or below it.
    /// Byte for byte: `café` spelt precomposed and decomposed are two directories.
    private static func isWithin(_ path: String, _ ancestor: String) -> Bool {
        ancestor.isEmpty || ByteExactKey(path) == ByteExactKey(ancestor) || path.utf8.starts(with: (ancestor + "/").utf8)
    }
}
