import Foundation
import Glibc

/// Runs one handler to its end on the calling (dedicated) thread: a blocking poll(2) over the stdin
/// pipe, the stdout and stderr pipes, the pidfd and the cancellation eventfd, with the timeout (or
/// the next memory sample, if sooner) as poll's timeout. Samples the handler's memory as it goes
/// (`PeakMemorySampler`), unless its cgroup measures it. Ends by killing the process group and reaping the process; closes every
/// descriptor of `SpawnedProcess`.
struct ProcessSupervisor: ~Copyable {
    private enum Phase {
        case running
        /// SIGTERM sent; SIGKILL at this CLOCK_MONOTONIC instant.
        case terminating(killAt: Int64)
        case killed
    }

    private enum Slot {
        static let stdin = 0, stdout = 1, stderr = 2, pidfd = 3, cancellation = 4, count = 5
    }

    /// Once the handler has exited, at most this much more stderr is read (a process that escaped the
    /// group may still hold the pipe).
    static let finalLogDrainLimit = 1024 * 1024

    private let process: SpawnedProcess
    private let limits: SupervisionLimits
    private let input: Data
    private let samplesMemory: Bool
    private var inputOffset = 0
    private var fds: [pollfd]
    private var output: OutputBuffer
    /// The handler's stderr: its tail, and its lines for live followers (`flint logs -f`).
    private let log: LogCapture
    private var phase = Phase.running
    private var stopReason: StopReason?

    /// - Parameter samplesMemory: false when the handler's cgroup measures its peak memory.
    init(
        process: SpawnedProcess, input: Data, cancellation: CancellationSignal, limits: SupervisionLimits, log: LogCapture,
        samplesMemory: Bool = true
    ) {
        self.process = process
        self.samplesMemory = samplesMemory
        self.log = log
        self.limits = limits
        self.input = input
        self.output = OutputBuffer(limit: limits.outputLimit)
        var fds = [pollfd](repeating: pollfd(fd: -1, events: 0, revents: 0), count: Slot.count)
        fds[Slot.stdin] = pollfd(fd: process.stdin, events: Int16(POLLOUT), revents: 0)
        fds[Slot.stdout] = pollfd(fd: process.stdout, events: Int16(POLLIN), revents: 0)
        fds[Slot.stderr] = pollfd(fd: process.stderr, events: Int16(POLLIN), revents: 0)
        fds[Slot.pidfd] = pollfd(fd: process.pidfd, events: Int16(POLLIN), revents: 0)
        fds[Slot.cancellation] = pollfd(fd: cancellation.fd, events: Int16(POLLIN), revents: 0)
        self.fds = fds
    }

    /// Call right after the spawn. The first memory sample is taken before the handler has its event
    /// (or, for an empty one, the end of its stdin): one that waits for it is then certainly alive,
    /// however briefly it runs once it has it.
    consuming func run() -> Supervision {
        var now = Sys.monotonicNanoseconds()
        var memory = samplesMemory ? PeakMemorySampler(pid: process.pid, now: now) : PeakMemorySampler(notSamplingFrom: now)
        if input.isEmpty {
            close(Slot.stdin)
        }
        while true {
            let ready: Int
            let timeout = pollTimeout(now: now, sampleAt: memory.nextSampleAt)
            do throws(SystemError) {
                ready = try fds.withUnsafeMutableBufferPointer { buffer throws(SystemError) in
                    guard let base = buffer.baseAddress else { return 0 }
                    return try Sys.poll(base, count: buffer.count, timeoutMillis: timeout)
                }
            } catch {
                stop(.supervisionFailed(error))
                now = Sys.monotonicNanoseconds()
                break
            }
            now = Sys.monotonicNanoseconds()
            // Before the I/O: a wake-up often means the handler is finishing. But a hang-up on
            // stdout or stderr nearly always means it has exited, and the kernel releases a
            // process's memory before its descriptors: then there is nothing left to sample.
            if !isReady(Slot.pidfd), !hasHungUp(Slot.stdout), !hasHungUp(Slot.stderr) {
                memory.sample(now: now)
            }
            if ready > 0 {
                if isReady(Slot.stdin) { writeInput() }
                if isReady(Slot.stdout) { readOutput() }
                if isReady(Slot.stderr) { readLog() }
                if isReady(Slot.cancellation) {
                    stop(.cancelled)
                    fds[Slot.cancellation].fd = -1
                }
                if isReady(Slot.pidfd) { break }
            }
            advanceTimers(now: now)
        }
        let exitedAt = now
        let endedAt = Date()

        // Leftover children of the handler die with it. The leader is a zombie until reaped below,
        // so its pid, which is the group's id, cannot have been reused.
        Sys.kill(-process.pid, SIGKILL)
        var status: CInt = 0
        var usage = rusage()
        var waitStatus: CInt?
        do throws(SystemError) {
            try Sys.wait4(process.pid, status: &status, usage: &usage)
            waitStatus = status
        } catch {
            stop(.supervisionFailed(error))
        }
        memory.close()
        let peakRSSBytes = PeakMemorySampler.peakRSSBytes(
            handlerMaxRSSKiB: Int64(usage.ru_maxrss), daemonMaxRSSKiB: Sys.maxRSSKiBOfSelf(),
            sampledPeakKiB: memory.sampledPeakKiB
        )
        // What the handler wrote before it exited is still in the pipes.
        while fds[Slot.stdout].fd >= 0, readOutput() {}
        var drained = 0
        while fds[Slot.stderr].fd >= 0, drained < Self.finalLogDrainLimit, let count = readLog() {
            drained += count
        }
        let log = self.log.finish()
        close(Slot.stdin)
        close(Slot.stdout)
        close(Slot.stderr)
        Sys.close(process.pidfd)
        return Supervision(
            waitStatus: waitStatus, usage: usage, peakRSSBytes: peakRSSBytes, exitedAt: exitedAt, endedAt: endedAt,
            stopReason: stopReason, output: output.takeData(), log: log
        )
    }

    // MARK: Events

    private func isReady(_ slot: Int) -> Bool {
        fds[slot].fd >= 0 && fds[slot].revents != 0
    }

    private func hasHungUp(_ slot: Int) -> Bool {
        fds[slot].fd >= 0 && fds[slot].revents & Int16(POLLHUP) != 0
    }

    /// Writes as much of the event as the pipe takes. A handler that exits or closes stdin without
    /// reading it all is normal: EPIPE (SIGPIPE is ignored by the daemon) just ends the writing.
    private mutating func writeInput() {
        let offset = inputOffset
        let fd = fds[Slot.stdin].fd
        let result = input.withUnsafeBytes { bytes in
            Result { () throws(SystemError) in
                try Sys.write(fd, from: UnsafeRawBufferPointer(rebasing: bytes[offset...]))
            }
        }
        switch result {
        case .success(let written?):
            inputOffset += written
            if inputOffset >= input.count { close(Slot.stdin) }
        case .success(nil):
            break
        case .failure:
            close(Slot.stdin)
        }
    }

    /// Reads once from stdout. Returns false when nothing more can be read now.
    @discardableResult
    private mutating func readOutput() -> Bool {
        let space = output.writableSpace()
        guard space.count > 0, !output.isOverLimit else {
            return overflowed()
        }
        do throws(SystemError) {
            guard let count = try Sys.read(fds[Slot.stdout].fd, into: space) else { return false }
            guard count > 0 else {
                close(Slot.stdout)
                return false
            }
            output.didWrite(count)
            return output.isOverLimit ? overflowed() : true
        } catch {
            close(Slot.stdout)
            return false
        }
    }

    private mutating func overflowed() -> Bool {
        stop(.outputTooLarge)
        close(Slot.stdout)
        return false
    }

    /// Reads once from stderr into the log. Returns the byte count, or nil when nothing more can be
    /// read now.
    @discardableResult
    private mutating func readLog() -> Int? {
        do throws(SystemError) {
            guard let count = try log.read(from: fds[Slot.stderr].fd) else { return nil }
            guard count > 0 else {
                close(Slot.stderr)
                return nil
            }
            return count
        } catch {
            close(Slot.stderr)
            return nil
        }
    }

    // MARK: Stopping

    /// Records the first reason and signals the group: SIGTERM for a timeout (then SIGKILL after the
    /// grace period), SIGKILL straight away otherwise.
    private mutating func stop(_ reason: StopReason) {
        if stopReason == nil {
            stopReason = reason
        }
        switch (reason, phase) {
        case (_, .killed):
            break
        case (.timeout, .running):
            Sys.kill(-process.pid, SIGTERM)
            phase = .terminating(killAt: Sys.monotonicNanoseconds() + limits.killGrace)
        default:
            Sys.kill(-process.pid, SIGKILL)
            phase = .killed
        }
    }

    private mutating func advanceTimers(now: Int64) {
        switch phase {
        case .running where now >= limits.deadline:
            stop(.timeout)
        case .terminating(let killAt) where now >= killAt:
            Sys.kill(-process.pid, SIGKILL)
            phase = .killed
        default:
            break
        }
    }

    /// Until the next timer: the deadline or the kill, or the next memory sample if sooner.
    private func pollTimeout(now: Int64, sampleAt: Int64) -> CInt {
        let wakeAt: Int64
        switch phase {
        case .running: wakeAt = min(limits.deadline, sampleAt)
        case .terminating(let killAt): wakeAt = min(killAt, sampleAt)
        case .killed: return -1
        }
        let remaining = max(0, wakeAt - now)
        // Round up: waking a little early would only spin.
        return CInt(clamping: (remaining + 999_999) / 1_000_000)
    }

    /// Closes one of the pipes and stops polling it.
    private mutating func close(_ slot: Int) {
        if fds[slot].fd >= 0 {
            Sys.close(fds[slot].fd)
            fds[slot].fd = -1
        }
    }
}
