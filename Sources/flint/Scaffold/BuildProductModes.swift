#if canImport(Glibc)
internal import Glibc
#endif

/// Opens up what a build step made (swiftc's `handler`, pip's `vendor/`) to every user. Tools
/// create files with the mode the umask leaves, and under a umask such as 077 a handler running
/// as another user (`nobody`, when `flint up` runs as root) could neither read nor run them.
///
/// Directories and files get read for all, and execute for all where their owner has it (every
/// directory, programs); write stays the owner's. Symbolic links are neither changed nor
/// followed, so nothing outside the product is touched. Names are used as the bytes the file
/// system holds.
enum BuildProductModes {
    /// Opens up `name` inside the open directory `directory`, and all it holds.
    static func openUp(_ name: UnsafePointer<CChar>, in directory: CInt) throws(SystemCallError) {
        let info = try FileSystemCall.status(of: name, in: directory)
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            try FileSystemCall.changeMode(of: name, in: directory, to: widened(info.st_mode))
        case S_IFDIR:
            try FileSystemCall.changeMode(of: name, in: directory, to: widened(info.st_mode))
            let inner = try FileSystemCall.openDirectory(name, in: directory)
            defer { FileSystemCall.closeIgnoringErrors(inner) }
            for entry in try FileSystemCall.entryNames(of: inner) {
                try openUp(entry, in: inner)
            }
        default:
            return
        }
    }

    /// `mode` with read for everyone, and execute for everyone when its owner may execute it.
    static func widened(_ mode: mode_t) -> mode_t {
        let permissions = mode & 0o7777
        return permissions | 0o444 | (permissions & 0o100 != 0 ? 0o111 : 0)
    }
}
