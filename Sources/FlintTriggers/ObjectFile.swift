internal import FlintCore
#if canImport(Glibc)
internal import Glibc
#endif

/// Reads what the object index keeps of a file: its metadata and the MD5 of its content.
enum ObjectFile {
    /// The metadata that tells a changed file from an unchanged one.
    struct Metadata: Sendable, Hashable {
        var size: Int64
        var modifiedAtNanos: Int64
        var inode: UInt64

        init(_ info: stat) {
            size = Int64(info.st_size)
            modifiedAtNanos = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
            inode = UInt64(info.st_ino)
        }
    }

    /// What reading an object found.
    enum Reading {
        case object(ObjectVersion)
        /// No regular file is there now (gone, a symlink, a directory, a FIFO...).
        case absent
        /// Something is there, but could not be read now (`errno`): out of descriptors or
        /// memory, an I/O error, no permission. Not a removal.
        case unreadable(Int32)
        /// A regular file larger than the caller would hash now: not read.
        case large
        /// A regular file some process has open for writing (only told when asked): not read,
        /// as what it holds is not final. Its writer's close reports it (`IN_CLOSE_WRITE`).
        case beingWritten
    }

    /// Reads of a file that changes while it is read, at most: one truncated or rewritten once
    /// meanwhile (by `truncate(2)` or `utimensat(2)`, which no close follows) is read again.
    static let readAttempts = 3

    /// The version of the file `key` names in the bucket at `bucketPath`; `.large`, unread, for a
    /// file of more than `hashLimit` bytes. Hashing stops early, as `unreadable(ECANCELED)`, once
    /// `isCancelled` says so.
    ///
    /// The eTag is always the MD5 of as many bytes as the version's size says. A file whose size
    /// or modification time changed while it was read is read again; one still changing at the
    /// last read gets the size of what that read found and the modification time from before it,
    /// so the index holds a version the file no longer matches: its writer's close, or the next
    /// scan, reads it again.
    ///
    /// Opened one component at a time from the bucket's directory, none through a symlink (not
    /// only the last, as `O_NOFOLLOW` on the whole path would check): a directory swapped for a
    /// symlink after the event was queued cannot lead the daemon to read a file outside the bucket.
    ///
    /// `unlessBeingWritten`: a file open for writing is `.beingWritten`, unread. For files a scan
    /// finds (a new directory's, a reload's), which no close has reported yet.
    static func reading(
        inBucket bucketPath: String, key: String, hashLimit: Int64 = .max, unlessBeingWritten: Bool = false,
        isCancelled: () -> Bool = { false }
    ) -> Reading {
        let fd: Int32
        switch FileBeneath.open(key, in: bucketPath) {
        case .success(let opened): fd = opened
        case .failure(let error): return Self.isAbsence(error.code) ? .absent : .unreadable(error.code)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .unreadable(errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { return .absent }
        if unlessBeingWritten, isOpenForWriting(fd) { return .beingWritten }
        var attempt = 1
        while true {
            let before = Metadata(info)
            guard before.size <= hashLimit else { return .large }
            guard lseek(fd, 0, SEEK_SET) == 0 else { return .unreadable(errno) }
            let hashed: (eTag: String, bytes: Int64)
            switch md5(of: fd, isCancelled: isCancelled) {
            case .success(let result): hashed = result
            case .failure(let error): return .unreadable(error.code)
            }
            guard fstat(fd, &info) == 0 else { return .unreadable(errno) }
            let unchanged = Metadata(info) == before && hashed.bytes == before.size
            if unchanged || attempt == readAttempts {
                return .object(ObjectVersion(size: hashed.bytes, modifiedAtNanos: before.modifiedAtNanos, inode: before.inode, eTag: hashed.eTag))
            }
            attempt += 1
        }
    }

    /// Whether some process has the file `fd` (opened read-only) open for writing: the kernel
    /// grants a read lease only when none has (fcntl(2), F_SETLEASE), and the lease is given
    /// back at once. False when that cannot be told (a file of another user without CAP_LEASE,
    /// a file system without leases): the file is read as it is, as before leases were asked.
    ///
    /// While the lease is held (two system calls), a writer's open(2) or truncate(2) of the file
    /// waits until it is given back, and the kernel signals the holder: with SIGIO by default,
    /// which would end the daemon, so the descriptor is set to signal SIGURG, which is ignored
    /// unless a handler is installed (Flint installs none).
    static func isOpenForWriting(_ fd: Int32) -> Bool {
        guard fcntl(fd, fileSetSignal, SIGURG) == 0 else { return false }
        guard fcntl(fd, fileSetLease, Int32(F_RDLCK)) == 0 else { return errno == EAGAIN }
        _ = fcntl(fd, fileSetLease, Int32(F_UNLCK))
        return false
    }

    /// F_SETLEASE and F_SETSIG, which Glibc's Swift module leaves out (_GNU_SOURCE names).
    private static let fileSetLease: Int32 = 1024
    private static let fileSetSignal: Int32 = 10

    /// Errors of opening a path that mean nothing (or no regular file) is there: gone, a
    /// component that is no directory, a symlink met with `O_NOFOLLOW`, a socket (`ENXIO`), a key
    /// component Flint never opens (`.`, `..`, empty).
    private static func isAbsence(_ code: Int32) -> Bool {
        code == ENOENT || code == ENOTDIR || code == ELOOP || code == EINVAL || code == ENXIO
    }

    /// A failed call's `errno`.
    struct SystemError: Error {
        let code: Int32
    }

    /// Whether `path` is a regular file with more than one name.
    static func isHardLink(at path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_nlink > 1
    }

    /// The MD5 of what `fd` holds from where it is, and how many bytes that was.
    private static func md5(of fd: Int32, isCancelled: () -> Bool) -> Result<(eTag: String, bytes: Int64), SystemError> {
        var hasher = MD5.Hasher()
        let chunk = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        var bytes: Int64 = 0
        while true {
            if isCancelled() { return .failure(SystemError(code: ECANCELED)) }
            let count = read(fd, buffer.baseAddress, chunk)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(SystemError(code: errno))
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0 ..< count]))
            bytes += Int64(count)
        }
        return .success((MD5.hex(digest: hasher.finalize()), bytes))
    }
}
