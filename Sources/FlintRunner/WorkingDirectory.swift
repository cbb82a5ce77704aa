import Glibc

/// The fresh directory an invocation runs in: `<workRoot>/<invocation id>`, mode 0700.
enum WorkingDirectory {
    /// Why a working directory could not be made.
    enum CreationError: Error, CustomStringConvertible {
        case invalidName(String)
        case system(path: String, SystemError)

        var description: String {
            switch self {
            case .invalidName(let name): "invalid invocation id \"\(name)\" for a working directory"
            case .system(let path, let error): "cannot create working directory \(path): \(error)"
            }
        }
    }

    /// How many `<name>.N` alternatives are tried when `<root>/<name>` exists.
    static let alternativeNames = 16

    /// Creates `<root>/<name>` (and `root`, mode 0700, when it is missing). When that exists (the
    /// same invocation delivered twice at once, or left over by a crash) it is not touched: the
    /// directory is `<root>/<name>.2`, `.3`, ... instead.
    static func create(in root: String, named name: String) throws(CreationError) -> String {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/"), !name.utf8.contains(0) else {
            throw .invalidName(name)
        }
        let path = HandlerCommand.join(root, name)
        var candidate = path
        var suffix = 1
        while true {
            do throws(SystemError) {
                try makeDirectory(candidate, root: root)
                return candidate
            } catch where error.errno == EEXIST && suffix < alternativeNames {
                suffix += 1
                candidate = "\(path).\(suffix)"
            } catch {
                throw .system(path: candidate, error)
            }
        }
    }

    /// mkdir, creating `root` first if it is missing.
    private static func makeDirectory(_ path: String, root: String) throws(SystemError) {
        do throws(SystemError) {
            try Sys.mkdir(path, mode: 0o700)
        } catch where error.errno == ENOENT {
            try makeDirectories(root)
            try Sys.mkdir(path, mode: 0o700)
        }
    }

    /// Removes `path` and everything in it, whatever the handler did to it.
    static func remove(_ path: String) throws(SystemError) {
        do throws(SystemError) {
            // Most handlers leave their directory empty: one system call.
            try Sys.rmdir(path)
        } catch where error.errno == ENOENT {
            return
        } catch {
            try TreeRemover.remove(path)
        }
    }

    /// `mkdir -p` with mode 0700 for every directory it creates.
    static func makeDirectories(_ path: String) throws(SystemError) {
        do throws(SystemError) {
            try Sys.mkdir(path, mode: 0o700)
        } catch where error.errno == EEXIST {
            return
        } catch where error.errno == ENOENT {
            guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")), slash != path.utf8.startIndex else {
                throw error
            }
            try makeDirectories(String(path[..<slash]))
            try Sys.mkdir(path, mode: 0o700)
        }
    }
}
