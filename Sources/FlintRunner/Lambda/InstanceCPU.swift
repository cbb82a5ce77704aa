import Glibc

/// A warm instance's CPU time so far, user and system, in microseconds: fields 14 and 15 of
/// /proc/<pid>/stat (every thread of the runtime process) plus 16 and 17 (its children it has
/// waited for, as `wait4` counts them when the instance ends), read through a descriptor kept open.
///
/// The kernel reports them in clock ticks (10 ms with USER_HZ 100), so one invocation's figure
/// (the difference of two reads) is coarse; but the differences add up to the instance's true total,
/// so sums over many invocations (`flint usage`) are right to within a tick.
final class InstanceCPU {
    struct Times: Equatable {
        var userMicros: Int64
        var systemMicros: Int64

        static let zero = Times(userMicros: 0, systemMicros: 0)

        static func - (later: Times, earlier: Times) -> Times {
            Times(
                userMicros: max(0, later.userMicros - earlier.userMicros),
                systemMicros: max(0, later.systemMicros - earlier.systemMicros)
            )
        }
    }

    /// /proc/<pid>/stat is a few hundred bytes.
    static let bufferSize = 1024
    private static let microsPerTick = 1_000_000 / max(1, Int64(sysconf(CInt(_SC_CLK_TCK))))

    private var fd: CInt
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: InstanceCPU.bufferSize, alignment: 16)

    init(pid: pid_t) {
        fd = (try? Sys.open("/proc/\(pid)/stat", flags: O_RDONLY | O_CLOEXEC)) ?? -1
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// The times now, or nil when they cannot be read (the process is gone).
    func read() -> Times? {
        guard fd >= 0, let count = try? Sys.pread(fd, into: buffer, offset: 0), count > 0 else { return nil }
        return Self.parse(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }

    func close() {
        if fd >= 0 {
            Sys.close(fd)
            fd = -1
        }
    }

    /// utime + cutime and stime + cstime from `pid (comm) state ppid ...`: the comm may hold
    /// spaces and parentheses, so fields are counted from the last `)`.
    static func parse(_ stat: UnsafeRawBufferPointer) -> Times? {
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        // After ")": field 3 (state) is the first; utime is field 14, stime 15, cutime 16, cstime 17.
        var field = 2
        var values: [Int64] = []
        var index = close + 1
        while index < stat.count, values.count < 4 {
            while index < stat.count, stat[index] == UInt8(ascii: " ") { index += 1 }
            field += 1
            var value: Int64 = 0
            while index < stat.count, stat[index] != UInt8(ascii: " ") {
                let digit = stat[index] &- UInt8(ascii: "0")
                if digit < 10 { value = value &* 10 &+ Int64(digit) }
                index += 1
            }
            if (14 ... 17).contains(field) { values.append(value) }
        }
        guard values.count == 4 else { return nil }
        return Times(userMicros: (values[0] + values[2]) * microsPerTick, systemMicros: (values[1] + values[3]) * microsPerTick)
    }
}
