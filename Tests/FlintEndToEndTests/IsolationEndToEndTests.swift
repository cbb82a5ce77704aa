import Foundation
import Testing

/// Handler isolation through a real `flint up`: the unprivileged handler user, the bubblewrap
/// sandbox, and what `flint up` says each function gets. Each mechanism is checked at run time;
/// tests needing one this machine lacks are skipped, saying why.
@Suite(.serialized) struct IsolationEndToEndTests {
    static let isRoot = getuid() == 0
    static let hasPython = FileManager.default.isExecutableFile(atPath: "/usr/bin/python3")
    static let hasBubblewrap = ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"].contains {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Reports what it could reach as a JSON list: the daemon's admin token and database (by
    /// their paths, as a handler that guessed them would), the port in the event's body (the
    /// daemon's own listener), and its whole environment.
    static let probe = """
        #!/usr/bin/python3
        import json, os, socket, sys
        event = json.load(sys.stdin)
        found = []
        for name in ("admin-token", "flint.sqlite"):
            try:
                open(os.environ["PROJECT"] + "/.flint/" + name, "rb").read(1)
                found.append(name + " readable")
            except OSError as error:
                found.append(name + " " + type(error).__name__)
        port, _, unix_socket = event["body"].partition(" ")
        try:
            socket.create_connection(("127.0.0.1", int(port)), timeout=5).close()
            found.append("network reachable")
        except OSError as error:
            found.append("network " + type(error).__name__)
        if unix_socket:
            try:
                client = socket.socket(socket.AF_UNIX)
                client.connect(unix_socket)
                client.close()
                found.append("socket reachable")
            except OSError as error:
                found.append("socket " + type(error).__name__)
        found.append("uid %d" % os.getuid())
        print(json.dumps({"found": found, "environment": dict(os.environ)}))
        """

    private static func addProbe(_ project: TestProject, _ name: String, manifest: String = "") throws {
        try project.write("functions/\(name)/probe.py", probe, executable: true)
        try project.write(
            "functions/\(name)/function.yaml",
            "name: \(name)\ncommand: [./probe.py]\nenv: {PROJECT: \"\(project.root)\"}\n" + manifest
        )
        try project.addRoute(name, function: name, method: "POST", path: "/\(name)")
    }

    /// Invokes `function` with the daemon's port (and a Unix socket to try) as the body; returns
    /// what the probe found.
    /// A function directory `directory/name` outside any project, whose manifest holds a secret
    /// (`env: {SECRET: s3cret}`) and whose handler is the shell `script` (after `#!/bin/sh`).
    private static func writeFunctionWithASecret(in directory: String, named name: String, manifest extra: String = "", script: String) throws {
        try FileManager.default.createDirectory(atPath: directory + "/" + name, withIntermediateDirectories: true)
        try "name: \(name)\ncommand: [./handler.sh]\n\(extra)env: {SECRET: s3cret}\n"
            .write(toFile: directory + "/\(name)/function.yaml", atomically: false, encoding: .utf8)
        try ("#!/bin/sh\n" + script).write(toFile: directory + "/\(name)/handler.sh", atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory + "/\(name)/handler.sh")
    }

    private static func probe(_ daemon: RunningDaemon, _ function: String, unixSocket: String? = nil) async throws -> [String] {
        let body = "\(daemon.url.port ?? 0)" + (unixSocket.map { " " + $0 } ?? "")
        let reply = try await daemon.request("POST", "/\(function)", body: Data(body.utf8))
        #expect(reply.status == 200, "\(reply.text)")
        #expect(!reply.text.contains(daemon.token), "the admin token reached the handler")
        let object = try reply.json()
        #expect((object["environment"] as? [String: String])?.keys.contains { $0.hasPrefix("FLINT_TOKEN") } == false)
        return object["found"] as? [String] ?? []
    }

    @Test(.enabled(if: isRoot, "needs root: only root runs handlers as another user"),
          .enabled(if: hasPython, "needs /usr/bin/python3"))
    func asRoot_handlersRunAsNobody_neverSeeTheAdminTokenNorTheDatabase_andFlintUpSaysSo() async throws {
        let project = try TestProject(handlersAsRoot: false)
        try Self.addProbe(project, "peek")
        let daemon = try RunningDaemon(project)
        let found = try await Self.probe(daemon, "peek")
        #expect(found == ["admin-token PermissionError", "flint.sqlite PermissionError", "network reachable", "uid 65534"])
        let (status, stdout) = try daemon.stop()
        #expect(status == 0)
        #expect(stdout.contains("  isolation peek  user nobody (65534), "), "\(stdout)")
        #expect(stdout.contains("no sandbox (isolation: process)"), "\(stdout)")
    }

    @Test(.enabled(if: hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"),
          .enabled(if: hasPython, "needs /usr/bin/python3"))
    func sandbox_hidesTheDataDirectory_andHasNoNetwork_unlessTheManifestAllowsIt() async throws {
        // Handlers as root where the tests run as root: only the sandbox stands between them and .flint.
        let project = try TestProject()
        try Self.addProbe(project, "boxed", manifest: "isolation: sandbox\n")
        try Self.addProbe(project, "netted", manifest: "isolation: sandbox\nnetwork: true\n")
        let daemon = try RunningDaemon(project)
        let uid = "uid \(Self.isRoot ? 0 : Int(getuid()))"

        let boxed = try await Self.probe(daemon, "boxed")
        #expect(boxed == ["admin-token FileNotFoundError", "flint.sqlite FileNotFoundError", "network ConnectionRefusedError", uid])
        // A socket file of the host's /run (as D-Bus's or a container engine's): not there inside.
        // Making one in /run takes root.
        if Self.isRoot {
            let listener = try UnixSocketListener(path: "/run/flint-e2e-\(UUID().uuidString).sock")
            defer { listener.close() }
            #expect(try await Self.probe(daemon, "boxed", unixSocket: listener.path).contains("socket FileNotFoundError"))
            #expect(try await Self.probe(daemon, "netted", unixSocket: listener.path).contains("socket FileNotFoundError"))
        }
        let netted = try await Self.probe(daemon, "netted")
        #expect(netted == ["admin-token FileNotFoundError", "flint.sqlite FileNotFoundError", "network reachable", uid])

        let (_, stdout) = try daemon.stop()
        #expect(stdout.contains("  isolation boxed  "), "\(stdout)")
        #expect(stdout.contains("sandbox (bubblewrap, no network)"), "\(stdout)")
        #expect(stdout.contains("sandbox (bubblewrap, host network)"), "\(stdout)")
    }

    @Test(.enabled(if: hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func sandbox_hidesFunctionsDirectoriesOutsideTheProject_butShowsEachItsOwn() async throws {
        // Outside the project and outside /tmp (which the sandbox replaces anyway): /var/tmp.
        let shared = "/var/tmp/flint-e2e-shared-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: shared) }
        try Self.writeFunctionWithASecret(
            in: shared, named: "keeper", manifest: "isolation: sandbox\n",
            script: "cat > /dev/null\ngrep -q s3cret \"$LAMBDA_TASK_ROOT/function.yaml\" && echo '\"own visible\"' || echo '\"own hidden\"'\n")

        // A function directory that is a link to a place no functions: entry names.
        let elsewhere = "/var/tmp/flint-e2e-linked-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try Self.writeFunctionWithASecret(
            in: elsewhere, named: "linked", manifest: "isolation: sandbox\n",
            script: "cat > /dev/null\ngrep -q s3cret \"\(elsewhere)/linked/function.yaml\" && echo '\"own visible\"' || echo '\"own hidden\"'\n")

        let project = try TestProject()
        try FileManager.default.createDirectory(atPath: project.root + "/functions", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: project.root + "/functions/linked", withDestinationPath: elsewhere + "/linked")
        try project.write("flint.yaml", "listen: 127.0.0.1:0\nfunctions: [functions, \(shared)]\n")
        try project.addScriptFunction("boxed", script: """
            cat > /dev/null
            cat "\(shared)/keeper/function.yaml" > /dev/null 2>&1 && echo '"visible"' || echo '"hidden"'
            """, manifest: "isolation: sandbox\n")
        try project.addScriptFunction("boxed2", script: """
            cat > /dev/null
            cat "\(elsewhere)/linked/function.yaml" > /dev/null 2>&1 && echo '"visible"' || echo '"hidden"'
            """, manifest: "isolation: sandbox\n")
        try project.addRoute("boxed", function: "boxed", method: "GET", path: "/boxed")
        try project.addRoute("boxed2", function: "boxed2", method: "GET", path: "/boxed2")
        try project.addRoute("keeper", function: "keeper", method: "GET", path: "/keeper")
        try project.addRoute("linked", function: "linked", method: "GET", path: "/linked")
        let daemon = try RunningDaemon(project)
        #expect(try await daemon.request("GET", "/boxed").text == "hidden", "another function's function.yaml (its env)")
        #expect(try await daemon.request("GET", "/boxed2").text == "hidden", "a linked function directory's target")
        let keeper = try await daemon.request("GET", "/keeper")
        #expect(keeper.text == "own visible", "\(keeper.status) \(keeper.text)")
        let linked = try await daemon.request("GET", "/linked")
        #expect(linked.text == "own visible", "by its target: \(linked.status) \(linked.text)")
        _ = try daemon.stop()
    }

    @Test(.enabled(if: isRoot, "needs root: only root runs handlers as another user"),
          .enabled(if: hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func bucketInvocation_asNobody_inASandbox_readsOnlyItsObject_andItsOutputsReachTheBucket() async throws {
        let project = try TestProject(handlersAsRoot: false)
        try project.addScriptFunction("shout", script: """
            cat > /dev/null
            name=$(basename "$FLINT_OBJECT_PATH")
            if [ ! -e "$FLINT_OBJECT_PATH" ]; then echo gone > "$FLINT_OUTPUT_DIR/$name.removed"; exit 0; fi
            tr a-z A-Z < "$FLINT_OBJECT_PATH" > "$FLINT_OUTPUT_DIR/$name"
            ls "$(dirname "$FLINT_OBJECT_PATH")" > "$FLINT_OUTPUT_DIR/$name.listing"
            id -u > "$FLINT_OUTPUT_DIR/$name.uid"
            """, manifest: "isolation: sandbox\noutput: loud\n")
        try project.addBucketTrigger("uploads", function: "shout", bucket: "uploads", events: ["created", "removed"])
        try project.addWatcherProbe(function: "shout")
        let daemon = try await project.startWatchingDaemon()
        let uploads = project.bucketPath("uploads"), loud = project.bucketPath("loud")
        try writeObject(uploads + "/a.txt", Data("first".utf8))
        try await BusEndToEndTests.waitUntil("a.txt's outputs", within: 10) { FileManager.default.fileExists(atPath: loud + "/a.txt.uid") }
        // b.txt's invocation runs while a.txt is in the bucket too: the sandbox shows it only its own.
        try writeObject(uploads + "/b.txt", Data("second".utf8))
        try await BusEndToEndTests.waitUntil("b.txt's outputs", within: 10) { FileManager.default.fileExists(atPath: loud + "/b.txt.uid") }

        let read = { (name: String) in try String(contentsOfFile: loud + "/" + name, encoding: .utf8) }
        #expect(try read("a.txt") == "FIRST")
        #expect(try read("b.txt") == "SECOND")
        #expect(try read("b.txt.listing") == "b.txt\n")
        #expect(try read("b.txt.uid") == "65534\n")
        let owner = try FileManager.default.attributesOfItem(atPath: loud + "/b.txt")[.ownerAccountID] as? Int
        #expect(owner == Int(geteuid()), "outputs become the daemon's: no handler can change them in the bucket")

        // A removal's handler runs too, finding nothing at its object's path.
        try FileManager.default.removeItem(atPath: uploads + "/a.txt")
        try await BusEndToEndTests.waitUntil("a.txt's removal handled", within: 10) { FileManager.default.fileExists(atPath: loud + "/a.txt.removed") }
        _ = daemon
    }

    /// A function directory that is a link, added by a reload: sandboxes started after it hide
    /// its target too, as they would after a start.
    @Test(.enabled(if: hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func sandbox_hidesTheTargetOfALinkedFunctionDirectoryAddedByAReload() async throws {
        let elsewhere = "/var/tmp/flint-e2e-reloaded-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try Self.writeFunctionWithASecret(in: elsewhere, named: "later", script: "cat\n")

        let project = try TestProject()
        try project.addScriptFunction("boxed", script: """
            cat > /dev/null
            cat "\(elsewhere)/later/function.yaml" > /dev/null 2>&1 && echo '"visible"' || echo '"hidden"'
            """, manifest: "isolation: sandbox\n")
        try project.addRoute("boxed", function: "boxed", method: "GET", path: "/boxed")
        let daemon = try RunningDaemon(project)
        #expect(try await daemon.request("GET", "/boxed").text == "visible", "not a function yet: nothing hides it")

        try FileManager.default.createSymbolicLink(atPath: project.root + "/functions/later", withDestinationPath: elsewhere + "/later")
        let reload = try FlintBinary.run(["reload", "--project", project.root])
        #expect(reload.status == 0, "\(reload.stderr)")
        #expect(try await daemon.request("GET", "/boxed").text == "hidden", "a function's target, after the reload")
        _ = try daemon.stop()
    }

    /// An uploader who swaps an object for a link before its handler runs (here, while the one
    /// slot is busy) must not show the sandbox what the link points to: the object is bound from
    /// what the daemon opened without following links, and a link is bound as nothing.
    @Test(.enabled(if: isRoot, "needs root: only root runs handlers as another user"),
          .enabled(if: hasBubblewrap, "needs bubblewrap (apt-get install bubblewrap)"))
    func anObjectSwappedForALink_beforeItsHandlerRuns_showsTheSandboxNothing() async throws {
        let project = try TestProject(handlersAsRoot: false)
        try project.addScriptFunction("peek", script: """
            cat > /dev/null
            name=$(basename "$FLINT_OBJECT_PATH")
            if [ "$name" = slow.txt ]; then sleep 2; fi
            if [ -e "$FLINT_OBJECT_PATH" ]; then ls -A "$FLINT_OBJECT_PATH" > "$FLINT_OUTPUT_DIR/$name.$FLINT_INVOCATION_ID.seen" 2>&1
            else echo gone > "$FLINT_OUTPUT_DIR/$name.$FLINT_INVOCATION_ID.gone"; fi
            """, manifest: "isolation: sandbox\noutput: seen\nconcurrency: 1\n")
        try project.addBucketTrigger("uploads", function: "peek", bucket: "uploads", events: ["created", "removed"])
        try project.addWatcherProbe(function: "peek")
        let daemon = try await project.startWatchingDaemon()
        let uploads = project.bucketPath("uploads"), seen = project.bucketPath("seen")
        let database = project.dataDirectory + "/flint.sqlite"
        try writeObject(uploads + "/slow.txt", Data("slow".utf8))
        try writeObject(uploads + "/victim.txt", Data("victim".utf8))
        try FileManager.default.createDirectory(atPath: uploads + "/dir", withIntermediateDirectories: true)
        try writeObject(uploads + "/dir/inner.txt", Data("inner".utf8))
        try project.write("inner.txt", "secret")
        try await BusEndToEndTests.waitUntil("victim.txt and dir/inner.txt indexed", within: 10) {
            try BusEndToEndTests.sqlite(database, "SELECT count(*) FROM objects WHERE bucket = 'uploads' AND key IN ('victim.txt', 'dir/inner.txt')") == "2"
        }
        // slow.txt's handler holds the one slot for 2 s: the created events wait. Meanwhile the
        // object becomes a link to the project, and the directory on the way to the other one a
        // relative link to it (where an inner.txt waits).
        try FileManager.default.removeItem(atPath: uploads + "/victim.txt")
        try FileManager.default.createSymbolicLink(atPath: uploads + "/victim.txt", withDestinationPath: project.root)
        try FileManager.default.removeItem(atPath: uploads + "/dir")
        try FileManager.default.createSymbolicLink(atPath: uploads + "/dir", withDestinationPath: "../..")

        let outputs = { (try? FileManager.default.contentsOfDirectory(atPath: seen)) ?? [] }
        try await BusEndToEndTests.waitUntil("the created and removed events handled", within: 20) {
            outputs().filter { $0.hasPrefix("victim.txt.") || $0.hasPrefix("inner.txt.") }.count == 4
        }
        #expect(outputs().filter { $0.hasPrefix("victim.txt.") || $0.hasPrefix("inner.txt.") }.allSatisfy { $0.hasSuffix(".gone") }, "\(outputs())")
        #expect(outputs().contains { $0.hasPrefix("slow.txt.") && $0.hasSuffix(".seen") }, "\(outputs())")
        _ = daemon
    }

    @Test func sandbox_withoutBubblewrap_refusesToStart_neverRunsUnsandboxed() throws {
        let project = try TestProject()
        try project.addScriptFunction("boxed", script: "cat\n", manifest: "isolation: sandbox\n")
        // A PATH without bwrap on it: what a machine without the package looks like to flint up.
        let up = try FlintBinary.run(["up", "--project", project.root], environment: ["PATH": "/nonexistent"], timeout: 30)
        #expect(up.status != 0)
        #expect(up.stderr.contains("function boxed: isolation: sandbox needs bubblewrap (bwrap), which is not installed or not on PATH; install it (apt-get install bubblewrap) or set isolation: process"), "\(up.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.dataDirectory + "/daemon.json"))
    }
}

/// A listening Unix socket, for a sandboxed handler to try.
private final class UnixSocketListener {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket: \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else {
            Glibc.close(descriptor)
            throw TestFailure("cannot listen on \(path): \(errno)")
        }
        self.fd = descriptor
        self.path = path
    }

    func close() {
        Glibc.close(fd)
        unlink(path)
    }
}
