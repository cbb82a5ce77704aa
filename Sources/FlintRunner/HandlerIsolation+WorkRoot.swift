import Glibc
import Logging

extension HandlerIsolation {
    /// Makes `workRoot` (where working and scratch directories are made) passable for the handler
    /// user, when handlers run as another user: 0711, so they reach their own directory in it
    /// without listing anyone else's. Logged, not thrown: handlers then fail with a clear error.
    func openWorkRoot(_ workRoot: String, logger: Logger) {
        guard user != nil else { return }
        do throws(SystemError) {
            try WorkingDirectory.makeDirectories(workRoot)
            try Sys.fchmodat(AT_FDCWD, workRoot, mode: 0o711)
        } catch {
            logger.error("cannot make the work root \(workRoot) passable for the handler user: \(error)")
        }
    }
}
