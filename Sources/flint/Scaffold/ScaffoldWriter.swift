internal import FlintCore
internal import Foundation

/// Writes `flint init`'s files, never over anything, and takes them all back if a step fails.
final class ScaffoldWriter {
    let root: String
    /// What was written, relative to the root, in order.
    private(set) var written: [String] = []
    /// Directories this writer made, to remove on failure (deepest last).
    private var madeDirectories: [String] = []
    private var madeFiles: [String] = []
    private var committed = false

    init(root: String) {
        self.root = root
    }

    deinit {
        if !committed { rollback() }
    }

    /// `path` as the user knows it: relative to the project when inside it.
    func display(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }

    func refuseExisting(_ path: String) throws {
        if FileManager.default.fileExists(atPath: path) {
            throw CLIError("\(display(path)) already exists; pick another name, or remove it first (flint init never overwrites)")
        }
    }

    func write(_ files: [FunctionScaffold.File], into directory: String) throws {
        try makeDirectory(directory)
        for file in files {
            let path = directory + "/" + file.path
            try refuseExisting(path)
            do {
                try Data(file.contents.utf8).write(to: URL(fileURLWithPath: path), options: .withoutOverwriting)
                madeFiles.append(path)
                try FileManager.default.setAttributes([.posixPermissions: file.executable ? 0o755 : 0o644], ofItemAtPath: path)
            } catch {
                throw CLIError("cannot write \(display(path)): \(error.localizedDescription)")
            }
            written.append(display(path))
        }
    }

    /// Runs `step` in `directory` (Flint's own runner: clean environment, own process group,
    /// rlimits, a timeout); its output is shown only when it fails.
    func build(_ step: ScaffoldHandler.BuildStep, in directory: String) async throws {
        let result = try await step.run(in: directory)
        // Whatever it made is taken back if a later step fails, even half of it.
        madeFiles.append(directory + "/" + step.product)
        guard result.record.outcome == .ok else {
            let printed = String(decoding: result.output + result.log, as: UTF8.self)
            let reason = result.record.errorMessage ?? "outcome \(result.record.outcome.rawValue)"
            throw CLIError("cannot prepare the handler (\(step.description)): \(step.command.joined(separator: " ")): \(reason)"
                + (printed.isEmpty ? "" : "\n" + printed) + "\n(install what it needs, or choose another --lang)")
        }
        written.append(display(directory + "/" + step.product))
    }

    /// Keeps what was written: call once every step has succeeded.
    func commit() { committed = true }

    private func makeDirectory(_ directory: String) throws {
        var missing: [String] = []
        var path = directory
        while !path.isEmpty, path != "/", !FileManager.default.fileExists(atPath: path) {
            missing.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        for path in missing.reversed() {
            do {
                try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            } catch {
                throw CLIError("cannot make \(display(path)): \(error.localizedDescription)")
            }
            madeDirectories.append(path)
        }
    }

    private func rollback() {
        for file in madeFiles.reversed() { try? FileManager.default.removeItem(atPath: file) }
        for directory in madeDirectories.reversed() { try? FileManager.default.removeItem(atPath: directory) }
    }
}
