import Foundation
import Testing

/// `flint init` interrupted midway: nothing of the function is left, nor the build it ran.
@Suite(.serialized) struct CLIInitInterruptionTests {
    @Test(arguments: [SIGINT, SIGTERM, SIGHUP])
    func interruptedWhileCompiling_removesWhatItWrote_stopsTheCompiler_andDiesOfTheSignal(signal: Int32) throws {
        let project = try TestProject()
        // A functions directory init makes (it does not exist yet), which someone else writes
        // into meanwhile: what they wrote stays.
        try project.write("flint.yaml", "functions: [fns]\n")
        // A swiftc that says it runs, then never ends: the build is under way when init is interrupted.
        let tools = project.root + "/tools"
        try project.write("tools/swiftc", "#!/bin/sh\necho $$ > \(tools)/pid.tmp && mv \(tools)/pid.tmp \(tools)/pid\nexec sleep 600\n", executable: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: FlintBinary.path)
        process.arguments = ["init", "intr", "--lang", "swift", "--project", project.root]
        process.environment = ["PATH": tools + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()

        let deadline = Date().addingTimeInterval(60)
        var compiler: pid_t?
        while compiler == nil, process.isRunning, Date() < deadline {
            compiler = (try? String(contentsOfFile: tools + "/pid", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if compiler == nil { usleep(10_000) }
        }
        let pid = try #require(compiler, "the compiler started")
        #expect(FileManager.default.fileExists(atPath: project.root + "/fns/intr/handler.swift"), "init had written")
        try project.write("fns/mine/notes.txt", "not init's")

        kill(process.processIdentifier, signal)
        let exitDeadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < exitDeadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()

        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(!FileManager.default.fileExists(atPath: project.root + "/fns/intr"))
        #expect(FileManager.default.fileExists(atPath: project.root + "/fns/mine/notes.txt"), "a file init did not write was removed")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/triggers/intr.yaml"))
        let compilerLeft = kill(pid, 0) == 0
        #expect(!compilerLeft, "the compiler was stopped and reaped before init died")
        if compilerLeft { kill(pid, SIGKILL) }

        // And init may be run again.
        try FileManager.default.removeItem(atPath: tools)
        let again = try FlintBinary.run(["init", "intr", "--project", project.root])
        #expect(again.status == 0, "\(again.stderr)")
    }
}
