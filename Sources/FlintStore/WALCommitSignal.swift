internal import Foundation
internal import Synchronization

/// What the writer's WAL hook shares with the checkpoint thread: after each commit the hook
/// wakes the thread if the WAL holds `WALCheckpointer.pagesBetweenCheckpoints` pages or more, as
/// SQLite's own automatic checkpoint would run then. Once a checkpoint has copied every page, the
/// writer's next transaction starts the WAL over and the count falls; while a reader keeps that
/// from happening, each commit asks again.
final class WALCommitSignal: Sendable {
    struct State {
        /// Pages in the WAL after the writer's last commit.
        var pagesSeen: Int32 = 0
        /// Woken and not done yet: the hook does not wake it again meanwhile.
        var requested = false
        var stopped = false
        var restarts = 0
        var checkpointsDone = 0
    }

    let state = Mutex(State())
    let wakeUp = DispatchSemaphore(value: 0)

    /// On the writer's queue, after each of its commits.
    func writerCommitted(pagesInWAL pages: Int32) {
        let wake = state.withLock { state -> Bool in
            if pages < state.pagesSeen { state.restarts += 1 }
            state.pagesSeen = pages
            guard !state.requested, !state.stopped, pages >= WALCheckpointer.pagesBetweenCheckpoints else { return false }
            state.requested = true
            return true
        }
        if wake { wakeUp.signal() }
    }
}
