import Foundation
import Glibc
import Testing

@testable import FlintRunner

/// What a spawned process is left holding: its stdio, and the one descriptor passed to it.
@Suite struct ProcessSpawnerTests {
    /// The open descriptors a shell sees, and where its descriptor 4 leads, from its stdout.
    static func descriptors(passing passed: CInt?) throws -> String {
        var options = SpawnOptions(
            command: HandlerCommand(
                executable: "/bin/sh",
                arguments: ["/bin/sh", "-c", #"for fd in /proc/$$/fd/*; do printf '%s ' "${fd##*/}"; done; readlink /proc/$$/fd/4 || echo none"#]),
            environment: [], workingDirectory: "/", memoryBytes: 0, openFiles: 64, processes: 0, cpuSeconds: 60, descriptorLimit: 1024
        )
        options.passedFD = passed
        let process = try ProcessSpawner.spawn(options)
        defer { [process.pidfd, process.stdin, process.stdout, process.stderr].forEach { close($0) } }
        close(process.stdin)
        var status: CInt = 0
        waitpid(process.pid, &status, 0)
        var output = [UInt8](repeating: 0, count: 4096)
        let count = read(process.stdout, &output, output.count)
        return String(decoding: output.prefix(max(0, count)), as: UTF8.self)
    }

    @Test func aPassedDescriptor_isNumbered4_andNothingElseOfTheDaemonsIsLeft() throws {
        // 3 is the shell's own, listing /proc/$$/fd.
        #expect(try Self.descriptors(passing: nil) == "0 1 2 3 none\n")
        let file = open("/etc/hostname", O_RDONLY | O_CLOEXEC)
        try #require(file >= 0)
        defer { close(file) }
        #expect(try Self.descriptors(passing: file) == "0 1 2 3 4 /etc/hostname\n")
    }
}
