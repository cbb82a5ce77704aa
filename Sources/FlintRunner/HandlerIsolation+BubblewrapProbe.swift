import Glibc

extension HandlerIsolation {
    /// Whether `bwrap --help` lists `--ro-bind-fd`. Spawned as handlers are (`ProcessSpawner`,
    /// which retries an `execve` of a file still busy from a concurrent fork), with 10 s of CPU.
    static func support(of bwrap: String) -> BubblewrapSupport {
        let options = SpawnOptions(
            command: HandlerCommand(executable: bwrap, arguments: [bwrap, "--help"]), environment: [],
            workingDirectory: "/", memoryBytes: 0, openFiles: 64, processes: 0, cpuSeconds: 10, descriptorLimit: 1024
        )
        let process: SpawnedProcess
        do {
            process = try ProcessSpawner.spawn(options)
        } catch {
            return .cannotRun(error.description)
        }
        Sys.close(process.stdin)
        Sys.close(process.stderr)
        let help = readToEnd(process.stdout)
        Sys.close(process.stdout)
        var status: CInt = 0
        var usage = rusage()
        try? Sys.wait4(process.pid, status: &status, usage: &usage)
        Sys.close(process.pidfd)
        return String(decoding: help, as: UTF8.self).contains("--ro-bind-fd") ? .bindsDescriptors : .lacksDescriptorBinding
    }

    /// Everything until end of file from the non-blocking pipe `fd` (what was read, on an error).
    private static func readToEnd(_ fd: CInt) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        var ready = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let count: Int?
            do {
                count = try chunk.withUnsafeMutableBytes { buffer throws(SystemError) in try Sys.read(fd, into: buffer) }
            } catch {
                return bytes
            }
            guard let count else {
                // Nothing yet: wait for more, or for the end (10 s at most: `--help` takes milliseconds).
                guard let events = try? Sys.poll(&ready, count: 1, timeoutMillis: 10_000), events > 0 else { return bytes }
                continue
            }
            if count == 0 { return bytes }
            bytes += chunk.prefix(count)
        }
    }
}
