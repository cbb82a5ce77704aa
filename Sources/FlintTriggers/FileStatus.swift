#if canImport(Glibc)
internal import Glibc
#endif

/// What `fstat`/`fstatat` say of a file, as far as the bucket code reads it. Here, where Glibc's
/// `stat` is at hand, so that modules importing Foundation and Dispatch need not name it.
public struct FileStatus: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case regular, directory, symlink, other
    }

    public var kind: Kind
    /// The permission bits (`0o7777` of `st_mode`).
    public var permissions: UInt32
    public var inode: UInt64
    /// The owner's user and group ids.
    public var owner: UInt32
    public var group: UInt32
    /// How many names the file has (hard links).
    public var links: UInt64

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        permissions = UInt32(info.st_mode & 0o7777)
        inode = UInt64(info.st_ino)
        owner = UInt32(info.st_uid)
        group = UInt32(info.st_gid)
        links = UInt64(info.st_nlink)
    }

    /// The file open as `descriptor`; nil when it cannot be read.
    public static func of(descriptor: Int32) -> FileStatus? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? FileStatus(info) : nil
    }

    /// The entry `name` of the directory open as `directory`, itself (a symlink is not followed);
    /// nil when it cannot be read (gone, say).
    public static func of(_ name: String, in directory: Int32) -> FileStatus? {
        var info = stat()
        return fstatat(directory, name, &info, AT_SYMLINK_NOFOLLOW) == 0 ? FileStatus(info) : nil
    }
}
