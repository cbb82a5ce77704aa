internal import FlintCore
internal import FlintRunner
internal import Foundation
internal import Logging
#if canImport(Glibc)
internal import Glibc
#endif

/// Handler isolation as `flint up` sets it up for a project: the user, the cgroups and the
/// sandbox (`HandlerIsolation`), every function checked against them before anything is served,
/// and the data directory closed to handlers.
enum DaemonIsolation {
    /// Prepares the isolation, refusing to start when any function would get less than it asks
    /// for. `flint up` then says what each function gets (`HandlerIsolation.summary(of:)`).
    ///
    /// Call once the data directory, its scratch roots and the database exist: their modes are set
    /// here (`closeDataDirectory`).
    static func prepare(
        project: Project, files: DaemonFiles, processes: Int, logger: Logger
    ) throws -> HandlerIsolation {
        let settings = IsolationSettings(
            user: project.config.user, processes: processes, hiddenPaths: hiddenPaths(project: project, files: files)
        )
        let isolation: HandlerIsolation
        do {
            isolation = try HandlerIsolation.prepare(settings, logger: logger)
        } catch {
            throw DaemonError.startup("\(error)")
        }
        let functions = project.functions.values.sorted { $0.name < $1.name }
        let refusals = functions.compactMap { isolation.refusal(of: $0) }
        guard refusals.isEmpty else {
            throw DaemonError.startup(
                "cannot isolate every function as it asks; Flint does not run a function with less isolation than it asked for:\n  "
                    + refusals.joined(separator: "\n  "))
        }
        try closeDataDirectory(files)
        if isolation.runsAsRootByRequest {
            logger.warning("handlers run as root, because flint.yaml says user: root")
        }
        return isolation
    }

    /// What a sandbox covers with empty directories: the project root, the data directory, the
    /// buckets root, the work root, every `functions:` directory of flint.yaml and the `triggers:`
    /// one, which may be outside the project (an absolute path, or `../shared`): otherwise a
    /// handler could read the other functions' `function.yaml` (their `env`). Its own function
    /// directory is bound back. Normalized (`..` resolved), as the sandbox finds paths inside
    /// others by their text; and each also with its symbolic links resolved, so that a `.flint`
    /// or `buckets` that is a link to elsewhere has its target hidden too, not only its name
    /// inside the hidden project. A function directory that is a link has its target hidden too.
    static func hiddenPaths(project: Project, files: DaemonFiles) -> [String] {
        let paths = [project.root, files.directory, project.bucketsDirectory, files.workRoot]
            + project.config.functions.map(project.resolve) + [project.resolve(project.config.triggers)]
        let linkedFunctions = project.functions.values.map(\.directory).sorted().compactMap { directory -> String? in
            let url = URL(fileURLWithPath: directory)
            let target = url.resolvingSymlinksInPath().path
            return target == url.standardizedFileURL.path ? nil : target
        }
        var seen: Set<String> = []
        return (paths.flatMap { path -> [String] in
            let url = URL(fileURLWithPath: path)
            return [url.standardizedFileURL.path, url.resolvingSymlinksInPath().path]
        } + linkedFunctions).filter { seen.insert($0).inserted }
    }

    /// Lets handlers pass through the data directory to their output directories, but not list it
    /// nor read what is in it: the directory and its scratch roots 0711, every file in it 0600
    /// (the database and its WAL, the admin token). SQLite gives the WAL and shared-memory files it
    /// creates later the database file's mode. `daemon.json` (the pid and the address, no secret)
    /// is written afterwards and stays readable.
    static func closeDataDirectory(_ files: DaemonFiles) throws {
        for directory in [files.directory, files.outputsRoot, files.workRoot] {
            guard chmod(directory, 0o711) == 0 || errno == ENOENT else {
                throw DaemonError.startup("cannot set the mode of \(directory): \(String(cString: strerror(errno))); Flint needs to own its data directory")
            }
        }
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: files.directory)) ?? []
        for entry in entries {
            let path = files.directory + "/" + entry
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular,
                let mode = attributes[.posixPermissions] as? Int, mode & 0o077 != 0
            else { continue }
            guard chmod(path, 0o600) == 0 else {
                throw DaemonError.startup("cannot make \(path) private (mode 0600): \(String(cString: strerror(errno)))")
            }
        }
    }
}
