import Foundation
import Testing

/// `flint init` and the file system: the modes of what it makes, what stands in its way.
@Suite(.serialized) struct CLIInitFilesTests {
    private func initFunction(_ project: TestProject, _ arguments: [String]) throws -> FlintBinary.Output {
        try FlintBinary.run(["init"] + arguments + ["--project", project.root], timeout: 120)
    }

    /// `flint init ARGS` under umask 077, set by a shell that then executes flint in its place.
    private func initFunctionUnderUmask077(_ project: TestProject, _ arguments: [String]) throws -> FlintBinary.Output {
        try Subprocess.run(
            "/bin/sh", ["-c", "umask 077 && exec \"$0\" \"$@\"", FlintBinary.path, "init"] + arguments + ["--project", project.root],
            timeout: 120)
    }

    private func mode(_ project: TestProject, _ path: String) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: project.root + "/" + path)[.posixPermissions] as? Int)
    }

    @Test func underUmask077_whatInitMakes_isForHandlersToRead_andFlintUpRunsIt() async throws {
        // Handlers run as nobody when the tests run as root: the modes must let them in.
        let project = try TestProject(handlersAsRoot: false)
        for directory in ["functions", "triggers"] { try FileManager.default.removeItem(atPath: project.root + "/" + directory) }

        let shell = try initFunctionUnderUmask077(project, ["um"])
        #expect(shell.status == 0, "\(shell.stderr)")
        let compiled = try initFunctionUnderUmask077(project, ["um-swift", "--lang", "swift", "--trigger", "none"])
        #expect(compiled.status == 0, "\(compiled.stderr)")
        for directory in ["functions", "functions/um", "functions/um-swift", "triggers"] {
            #expect(try mode(project, directory) == 0o755, "\(directory)")
        }
        for file in ["functions/um/function.yaml", "functions/um-swift/handler.swift", "triggers/um.yaml"] {
            #expect(try mode(project, file) == 0o644, "\(file)")
        }
        #expect(try mode(project, "functions/um/handler.sh") == 0o755)
        #expect(try mode(project, "functions/um-swift/handler") & 0o005 == 0o005, "what swiftc made is opened up too")

        let daemon = try RunningDaemon(project)
        let reply = try await daemon.request("POST", "/um", body: Data("{}".utf8))
        #expect(reply.status == 200, "\(reply.text)")
        let invoked = try FlintBinary.run(["invoke", "um-swift", "--data", "{\"a\":1}", "--project", project.root])
        #expect(invoked.status == 0, "\(invoked.stderr)")
        #expect(invoked.stdout == "{\"a\":1}\n")
    }

    @Test(.enabled(if: getuid() == 0, "handlers run as another user only when flint up runs as root"))
    func anExistingFunctionsDirectory_handlersCannotEnter_isSaid_andKeepsItsMode() throws {
        let project = try TestProject(handlersAsRoot: false)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: project.root + "/functions")

        let made = try initFunction(project, ["closed"])
        #expect(made.status == 1)
        #expect(made.stderr.contains("flint init closed wrote nothing: flint up would not run it."), "\(made.stderr)")
        #expect(made.stderr.contains("handlers run as nobody (65534), who cannot read the function's directory: \(project.root)/functions (mode 0700"), "\(made.stderr)")
        #expect(made.stderr.contains("chmod o+rx"), "\(made.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/functions/closed"))
        #expect(!FileManager.default.fileExists(atPath: project.root + "/triggers/closed.yaml"))
        #expect(try mode(project, "functions") == 0o700, "a directory that existed keeps its mode")
    }

    @Test(arguments: [
        ("functions", "functions: \"functions\" is not a directory, and flint init writes functions/tf in it; move the file away, or name another directory in flint.yaml (functions:)"),
        ("triggers", "triggers: \"triggers\" is not a directory, and flint init writes triggers/tf.yaml in it; move the file away, or name another directory in flint.yaml (triggers:)"),
    ])
    func aFileWhereItsDirectoryShouldBe_isSaidInPlainWords(directory: String, message: String) throws {
        let project = try TestProject()
        try FileManager.default.removeItem(atPath: project.root + "/" + directory)
        try project.write(directory, "not a directory\n")

        let made = try initFunction(project, ["tf"])
        #expect(made.status == 1)
        #expect(made.stderr.contains(message), "\(made.stderr)")
        #expect(!made.stderr.contains("NSCocoaErrorDomain"))
        #expect(try String(contentsOfFile: project.root + "/" + directory, encoding: .utf8) == "not a directory\n")
        #expect(!FileManager.default.fileExists(atPath: project.root + "/functions/tf"), "nothing is left behind")
    }
}
