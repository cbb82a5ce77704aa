/// Removes a directory tree that handlers could write in (an output or working directory, the
/// daemon's work root), for code outside this module. Never through a path: a handler still
/// running (or one that outlived its invocation without a cgroup) could swap a directory in it for
/// a symbolic link while it is removed, and the daemon, often root, would delete where the link
/// points. `TreeRemover` descends by descriptor and never follows a link.
public enum HandlerTree {
    /// Why a tree could not be removed.
    public struct RemovalError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Removes the directory at `path` and everything in it; nothing when it does not exist.
    /// `path` itself must not be a link the handler controls: only what is inside it may be.
    public static func remove(_ path: String) throws(RemovalError) {
        do throws(SystemError) {
            try WorkingDirectory.remove(path)
        } catch {
            throw RemovalError(description: error.description)
        }
    }

    /// Removes everything in the directory at `path`, and leaves it in place, empty.
    public static func empty(_ path: String) throws(RemovalError) {
        do throws(SystemError) {
            try TreeRemover.remove(path, keepingTheDirectory: true)
        } catch {
            throw RemovalError(description: error.description)
        }
    }
}
