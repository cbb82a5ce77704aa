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

    /// The file's version, or nil when `path` is not a regular file now (gone, a symlink — never
    /// followed —, a directory, a FIFO...).
    static func version(at path: String) -> ObjectVersion? {
        // O_NOFOLLOW: a symlink is not an object, wherever it points. O_NONBLOCK: opening a FIFO
        // must not wait for a writer.
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        guard let eTag = md5(of: fd) else { return nil }
        // Metadata after reading: a write that raced the read changes mtime, and its close fires
        // again, so the index keeps what was read only until then.
        guard fstat(fd, &info) == 0 else { return nil }
        let metadata = Metadata(info)
        return ObjectVersion(size: metadata.size, modifiedAtNanos: metadata.modifiedAtNanos, inode: metadata.inode, eTag: eTag)
    }

    /// Whether `path` is a regular file with more than one name.
    static func isHardLink(at path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && info.st_nlink > 1
    }

    private static func md5(of fd: Int32) -> String? {
        var hasher = MD5.Hasher()
        let chunk = 256 * 1024
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let count = read(fd, buffer.baseAddress, chunk)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0 ..< count]))
        }
        return MD5.hex(digest: hasher.finalize())
    }
}
