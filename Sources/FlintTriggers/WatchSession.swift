internal import FlintCore
internal import Foundation
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// The bucket watcher's state on its own thread: the watches, and the translation of inotify
/// events into object changes.
struct WatchSession {
    let watcher: BucketWatcher
    let watches: InotifyWatches
    /// Reads the files over the watcher's `hashLimit`, so that reading one holds up no other event.
    let hasher: ObjectHasher
    /// Changes not yet recorded; recorded before any scan (a scan reads the index) and at the
    /// end of each batch of events.
    private var pending: [ObjectChange] = []
    /// Objects handed to the hasher and not yet back, with how many times each: every later
    /// event of such an object goes the same way, so that its changes are recorded in order.
    private var hashing: [BucketObject: Int] = [:]

    /// Events handled per transaction at most: a burst is committed in groups this large.
    static let batchLimit = 512

    init(watcher: BucketWatcher, watches: InotifyWatches, hasher: ObjectHasher) {
        self.watcher = watcher
        self.watches = watches
        self.hasher = hasher
    }

    /// Creates and watches every bucket, and fires what changed while nobody watched.
    mutating func start() {
        var watched: [String] = []
        var trees: [(WatchedDirectory, BucketTree)] = []
        for bucket in watcher.buckets {
            let path = "\(watcher.root)/\(bucket)"
            do throws(DirectoryMaker.Failure) {
                try DirectoryMaker.make(path, mode: 0o755)
            } catch {
                watcher.logger.error("cannot create bucket \(bucket) at \(path): \(error); its triggers will not fire")
                continue
            }
            if (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil {
                watcher.logger.error("bucket \(bucket) at \(path) is a symbolic link, and Flint never follows one; make it a real directory (or set buckets: in flint.yaml to where the files are); its triggers will not fire")
                continue
            }
            trees.append((WatchedDirectory(bucket: bucket, path: ""), walk(WatchedDirectory(bucket: bucket, path: ""), watching: true)))
            watched.append(bucket)
        }
        watcher.logger.info("watching \(watched.count) bucket(s), \(watches.count) directories, under \(watcher.root)")
        // Every directory is watched: nothing from now on can be missed, so the daemon may say
        // it is ready while what changed before is compared and recorded.
        watcher.markWatching(watched)
        for (start, tree) in trees {
            reconcile(start, with: tree, moved: false)
        }
    }

    /// Handles up to `batchLimit` events; true when that many were read, so that more may be
    /// waiting (read from the kernel already, where poll(2) cannot see them). What a stop leaves
    /// unread, the next start-up scan finds.
    mutating func processEventBatch() -> Bool {
        var events: [InotifyEvent] = []
        while events.count < Self.batchLimit, let event = watches.nextEvent() {
            events.append(event)
        }
        if !events.isEmpty { handle(events) }
        return events.count == Self.batchLimit
    }

    private mutating func handle(_ events: [InotifyEvent]) {
        var overflowed = false
        // Directories renamed away in this batch, by cookie: renamed within the buckets if the
        // matching IN_MOVED_TO follows, else moved out.
        var movedAway: [UInt32: (directory: WatchedDirectory, watches: InotifyWatches.Capture)] = [:]
        for event in events {
            if event.has(IN_Q_OVERFLOW) {
                overflowed = true
                continue
            }
            guard let directory = watches.directory(of: event.watch) else { continue }
            if event.has(IN_IGNORED) {
                watches.forget(event.watch)
                continue
            }
            if event.has(IN_DELETE_SELF) {
                if directory.path.isEmpty {
                    watcher.logger.warning("bucket \(directory.bucket) was deleted; its triggers stop firing until it is created again and Flint reloads (flint reload) or restarts")
                }
                continue
            }
            // A subdirectory's move is its parent's IN_MOVED_FROM; only a bucket's own needs saying.
            if event.has(IN_MOVE_SELF) {
                if directory.path.isEmpty {
                    watcher.logger.warning("bucket \(directory.bucket) was moved or renamed; its triggers stop firing until a directory of that name is back and Flint reloads (flint reload) or restarts")
                    // What happens in the moved directory is no longer the bucket's: its watches
                    // would report it under the bucket's name (a removal for a key that a new
                    // directory of that name may hold).
                    watches.unwatch(watches.capture(under: directory))
                }
                continue
            }
            guard let name = event.name else {
                // Once per file (its close or its arrival, not each of its events) and once per
                // directory (its creation or arrival: nothing in it can be named either).
                if event.has(IN_CLOSE_WRITE) || event.has(IN_MOVED_TO) || (event.isDirectory && event.has(IN_CREATE)) {
                    let path = "\(watches.absolutePath(of: directory))/\(event.unnamable ?? "")"
                    let what = event.isDirectory ? "no object key can name what it holds" : "no object key can name it"
                    watcher.logger.warning("ignored \(path)\(event.isDirectory ? "/" : ""): its name is not UTF-8, so \(what); rename it")
                }
                continue
            }
            if name.isEmpty { continue }
            let key = directory.key(of: name)
            if event.isDirectory ? ObjectKey.holdsNoObjects(directory: key) : ObjectKey.isIgnored(key) { continue }
            if event.isDirectory {
                let child = WatchedDirectory(bucket: directory.bucket, path: key)
                if event.has(IN_MOVED_FROM) {
                    movedAway[event.cookie] = (child, watches.capture(under: child))
                } else if event.has(IN_MOVED_TO) {
                    if let old = movedAway.removeValue(forKey: event.cookie) {
                        watches.rename(old.watches, from: old.directory, to: child)
                        scan(old.directory, moved: true, watching: false)
                    }
                    scan(child, moved: true, watching: true)
                } else if event.has(IN_CREATE) {
                    // Files written into it before its watch existed are found by this scan.
                    scan(child, moved: false, watching: true)
                } else if event.has(IN_DELETE) {
                    scan(child, moved: false, watching: false)
                }
            } else if event.has(IN_CLOSE_WRITE) {
                observe(bucket: directory.bucket, key: key, moved: false)
            } else if event.has(IN_CREATE) {
                // A new name for an existing file (a hard link) arrives complete, with no close
                // to follow; a file being written has one name until it is closed.
                if ObjectFile.isHardLink(at: "\(watcher.root)/\(directory.bucket)/\(key)") {
                    observe(bucket: directory.bucket, key: key, moved: false)
                }
            } else if event.has(IN_MOVED_TO) {
                // Renamed in while still being written: its writer's close will report it.
                observe(bucket: directory.bucket, key: key, moved: true, closeWillBeReported: true)
            } else if event.has(IN_DELETE) || event.has(IN_MOVED_FROM) {
                remove(BucketObject(bucket: directory.bucket, key: key))
            }
        }
        for old in movedAway.values {
            watches.unwatch(old.watches)
            // Reconciles what is under the old name now (nothing, or a directory that took it).
            scan(old.directory, moved: false, watching: false)
        }
        flush()
        if overflowed {
            watcher.logger.warning("inotify dropped events (queue overflow); scanning every bucket for what changed")
            for bucket in watcher.buckets {
                scan(WatchedDirectory(bucket: bucket, path: ""), moved: false, watching: true)
            }
        }
    }

    /// The file at `key` as it is now: created (with its content's version), or removed if it is
    /// gone or no longer a regular file (a symlink is never followed). One that cannot be read
    /// now (the daemon out of descriptors, an I/O error) changes nothing: it is no removal. A
    /// file over the watcher's `hashLimit` is read by the hasher, as is any file the hasher has
    /// not given back yet.
    ///
    /// `closeWillBeReported`: found by a scan, or renamed in, in a watched directory (not reported
    /// by a close). A file still open for writing is then left alone: it is not final, and its
    /// writer's close will report it (a scan watches each directory before listing it).
    private mutating func observe(bucket: String, key: String, moved: Bool, closeWillBeReported: Bool = false) {
        let request = ObjectHasher.Request(object: BucketObject(bucket: bucket, key: key), kind: .read(moved: moved))
        if hashing[request.object] != nil { return hand(request) }
        take(
            ObjectFile.reading(inBucket: "\(watcher.root)/\(bucket)", key: key, hashLimit: watcher.hashLimit, unlessBeingWritten: closeWillBeReported),
            of: request
        )
    }

    /// The object is gone; said after what the hasher still reads of it, if anything.
    private mutating func remove(_ object: BucketObject) {
        if hashing[object] != nil {
            hand(ObjectHasher.Request(object: object, kind: .remove))
        } else {
            pending.append(ObjectChange(bucket: object.bucket, key: object.key, kind: .removed))
        }
    }

    private mutating func take(_ reading: ObjectFile.Reading, of request: ObjectHasher.Request) {
        switch reading {
        case .object(let version):
            pending.append(ObjectChange(bucket: request.object.bucket, key: request.object.key, kind: request.kind.change(version)))
        case .absent:
            pending.append(ObjectChange(bucket: request.object.bucket, key: request.object.key, kind: .removed))
        case .large:
            hand(request)
        case .beingWritten:
            break
        case .unreadable(let error):
            watcher.logger.error(
                "cannot read \(request.object.bucket)/\(request.object.key): \(String(cString: strerror(error))); no event for it, and its index entry is left as it was, until a scan (a restart, a reload, an inotify overflow) can read it"
            )
        }
    }

    private mutating func hand(_ request: ObjectHasher.Request) {
        if hasher.submit(request) { hashing[request.object, default: 0] += 1 }
    }

    /// Records what the hasher has read since it was last asked, in the order it was handed.
    mutating func recordHashed() {
        for done in hasher.takeReadings() {
            let object = done.request.object
            let left = (hashing[object] ?? 1) - 1
            hashing[object] = left > 0 ? left : nil
            take(done.reading, of: done.request)
        }
        flush()
    }

    /// Compares `start` (and everything below it) with the index and records the difference:
    /// files that are new or changed are created (`moved` or put), indexed objects that are
    /// gone are removed. With `watching`, each directory is watched before it is listed.
    private mutating func scan(_ start: WatchedDirectory, moved: Bool, watching: Bool) {
        flush()
        reconcile(start, with: walk(start, watching: watching), moved: moved)
    }

    /// Lists `start` and everything below it; with `watching`, each directory is watched
    /// before it is listed.
    private func walk(_ start: WatchedDirectory, watching: Bool) -> BucketTree {
        let tree = BucketTree.walk(root: watcher.root, from: start) { directory in
            // Without `watching`, the directories were watched before (or their failure said).
            guard watching else { return true }
            do throws(InotifyWatches.WatchError) {
                try watches.watch(directory)
                return true
            } catch where !error.isGone {
                watcher.logger.error("\(error)\(error.scanCanFind ? "; objects created there will be found only by the next scan" : "")")
                return false
            } catch {
                return true
            }
        }
        for path in tree.unnamable {
            watcher.logger.warning("ignored \(path): its name is not UTF-8, so no object key can name it; rename it")
        }
        for (path, error) in tree.unlisted {
            let place = path.isEmpty ? "bucket \(start.bucket)" : "directory \(path) of bucket \(start.bucket)"
            let fix = error == ENAMETOOLONG
                ? "shorten the path (Linux refuses paths over \(PATH_MAX) bytes)"
                : "make it readable by the daemon"
            watcher.logger.error(
                "cannot list \(place): \(String(cString: strerror(error))); its objects are left as indexed (no events) until a scan can list it: \(fix)"
            )
        }
        return tree
    }

    /// Records the difference between `tree` (what `start` holds) and the index.
    private mutating func reconcile(_ start: WatchedDirectory, with tree: BucketTree, moved: Bool) {
        flush()
        let prefix = start.path.isEmpty ? "" : start.path + "/"
        guard var indexed = watcher.persistently("read the object index of bucket \(start.bucket)", {
            try watcher.sink.indexedObjects(in: start.bucket, under: prefix)
        }) else { return }
        for (key, metadata) in tree.files.sorted(by: { $0.key < $1.key }) {
            let known = indexed.removeValue(forKey: key)
            if let known, known.version.matches(size: metadata.size, modifiedAtNanos: metadata.modifiedAtNanos, inode: metadata.inode) {
                continue
            }
            // A file still being written is left for its writer's close, when that will be reported.
            let watched = tree.unwatched.isEmpty || !tree.unwatched.contains(PathComponents.parent(of: key.string))
            observe(bucket: start.bucket, key: key.string, moved: moved, closeWillBeReported: watched)
            if pending.count >= Self.batchLimit { flush() }
        }
        for key in indexed.keys.sorted() where !tree.isUnlisted(key.string) {
            remove(BucketObject(bucket: start.bucket, key: key.string))
            if pending.count >= Self.batchLimit { flush() }
        }
        // Not indexed yet, as the hasher is still reading them, and gone now (a directory moved
        // away under a large file): their removal follows what the hasher reads.
        let goneWhileRead = hashing.keys.filter {
            $0.bucket == start.bucket && $0.key.utf8.starts(with: prefix.utf8)
                && tree.files[ByteExactKey($0.key)] == nil && indexed[ByteExactKey($0.key)] == nil
                && !tree.isUnlisted($0.key)
        }
        for object in goneWhileRead.sorted(by: { ByteExactKey($0.key) < ByteExactKey($1.key) }) {
            remove(object)
        }
        flush()
    }

    /// Records what is pending, retrying until it is stored (or the watcher stops: then the
    /// next start-up scan finds it, as the index was not updated).
    private mutating func flush() {
        guard !pending.isEmpty else { return }
        let changes = pending
        pending.removeAll(keepingCapacity: true)
        _ = watcher.persistently("record \(changes.count) object change(s)") { try watcher.sink.record(changes) }
    }
}
