internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

/// Makes a directory and the parents it lacks, saying in plain words what stopped it (Foundation's
/// errors read `Error Domain=NSCocoaErrorDomain Code=513 ...`).
public enum DirectoryMaker {
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The directories it makes, the parents it lacked included, get `mode` (not narrowed by the
    /// umask); existing ones are left as they are.
    public static func make(_ path: String, mode: UInt32) throws(Failure) {
        var prefix = path.utf8.first == UInt8(ascii: "/") ? "" : "."
        for component in PathComponents.of(path, omittingEmpty: true) {
            prefix += "/" + component
            if mkdir(prefix, mode_t(mode)) == 0 {
                _ = chmod(prefix, mode_t(mode))
                continue
            }
            let code = errno
            var info = stat()
            if code == EEXIST, stat(prefix, &info) != 0, lstat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                throw Failure(description: danglingLink(prefix))
            }
            guard code == EEXIST, stat(prefix, &info) == 0 else {
                throw Failure(description: "cannot make the directory \(prefix): \(String(cString: strerror(code)))")
            }
            guard info.st_mode & S_IFMT == S_IFDIR else {
                throw Failure(description: notADirectory(prefix))
            }
        }
    }

    /// What would stop `make(path)` that is already on the way, without making anything: a
    /// component that is a file, or a symbolic link to nothing. Nil when nothing is (what is
    /// missing would be made; permissions are not checked).
    public static func problem(making path: String) -> String? {
        var prefix = path.utf8.first == UInt8(ascii: "/") ? "" : "."
        for component in PathComponents.of(path, omittingEmpty: true) {
            prefix += "/" + component
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else { return notADirectory(prefix) }
                continue
            }
            if lstat(prefix, &info) == 0, info.st_mode & S_IFMT == S_IFLNK { return danglingLink(prefix) }
            return nil
        }
        return nil
    }

    private static func danglingLink(_ path: String) -> String {
        "\(path) is a symbolic link to nothing (its target is missing); create the directory it points to, or replace the link"
    }

    private static func notADirectory(_ path: String) -> String {
        "\(path) is a file, not a directory"
    }
}
