import Foundation

/// A Flint project in a fresh temporary directory, removed when released.
final class TestProject: @unchecked Sendable {
    let root: String

    /// When the tests run as root, every flint.yaml written here says `user: root` unless it names
    /// a user itself: most tests' handlers record what they receive into files in this directory,
    /// which is root's. Without it (`handlersAsRoot: false`) handlers run as Flint's default for
    /// root, the unprivileged `nobody`.
    let handlersAsRoot: Bool

    init(listen: String = "127.0.0.1:0", handlersAsRoot: Bool = true) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("flint-e2e-\(UUID().uuidString)").path
        self.handlersAsRoot = handlersAsRoot && getuid() == 0
        try FileManager.default.createDirectory(atPath: root + "/functions", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/triggers", withIntermediateDirectories: true)
        try write("flint.yaml", "listen: \(listen)\nfunctions: [functions]\n")
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// Writes `contents` at `path` (relative to the root), creating directories.
    func write(_ path: String, _ contents: String, executable: Bool = false) throws {
        let url = URL(fileURLWithPath: root + "/" + path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        var contents = contents
        if path == "flint.yaml", handlersAsRoot, !contents.hasPrefix("user:"), !contents.contains("\nuser:") {
            contents += contents.isEmpty || contents.hasSuffix("\n") ? "user: root\n" : "\nuser: root\n"
        }
        try contents.write(to: url, atomically: true, encoding: .utf8)
        if executable {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
    }

    /// A function whose handler is a shell script.
    func addScriptFunction(_ name: String, script: String, manifest extra: String = "") throws {
        try write("functions/\(name)/handler.sh", "#!/bin/sh\n" + script, executable: true)
        try write("functions/\(name)/function.yaml", "name: \(name)\ncommand: [\"./handler.sh\"]\n" + extra)
    }

    /// An HTTP trigger.
    func addRoute(_ name: String, function: String, method: String, path: String, auth: String = "none") throws {
        try write("triggers/\(name).yaml", "source: http\nfunction: \(function)\nmethod: \(method)\npath: \(path)\nauth: \(auth)\n")
    }

    var dataDirectory: String { root + "/.flint" }
}
