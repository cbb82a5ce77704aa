import Foundation

/// Loads a project from disk: `flint.yaml`, every function and every trigger, each file validated
/// and then all of them checked against each other.
public enum ProjectLoader {
    /// The project's settings file, at its root.
    public static let configFileName = "flint.yaml"
    /// The manifest that makes a directory a function.
    static let manifestFileName = "function.yaml"

    /// Loads the project at `root`: `flint.yaml` (optional; a missing file means all defaults),
    /// every function in the immediate subdirectories of each `functions` directory, and every
    /// trigger file (`*.yaml`, `*.yml`) in the triggers directory.
    ///
    /// Throws every issue found, not only the first: bad values in each file, duplicate function
    /// names, triggers naming unknown functions, http triggers claiming the same route. File paths
    /// in messages are relative to `root`.
    ///
    /// - Parameter accountExists: given on the machine that runs the handlers (`flint up`,
    ///   `validate`, a reload), whether it has the account `user` names; its absence is then one
    ///   of the issues, at its line.
    public static func load(root: String, accountExists: ((String) -> Bool)? = nil) throws(ProjectLoadError) -> Project {
        var loading = ProjectLoading(root: absolutePath(root), accountExists: accountExists)
        let project = loading.load()
        guard let project, loading.issues.isEmpty else { throw ProjectLoadError(issues: loading.issues) }
        return project
    }

    /// `path` made absolute against the current directory, without `.`/`..` components or a
    /// trailing `/`.
    static func absolutePath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return (absolute as NSString).standardizingPath
    }
}

/// One load of one project; accumulates issues as it goes.
private struct ProjectLoading {
    let root: String
    let accountExists: ((String) -> Bool)?
    var issues: [ConfigIssue] = []

    init(root: String, accountExists: ((String) -> Bool)?) {
        self.root = root
        self.accountExists = accountExists
    }

    /// The project, or nil when the root cannot be read at all; `issues` says what is wrong either way.
    mutating func load() -> Project? {
        guard FileSystem.isDirectory(root) else {
            let problem = FileSystem.exists(root) ? "is not a directory" : "does not exist"
            issues.append(ConfigIssue(
                location: SourceLocation(file: root, line: 0), key: nil,
                message: "\(problem) (a project's root, where flint.yaml is)"
            ))
            return nil
        }
        let parsedConfig = loadConfig()
        let config = parsedConfig.config

        // Skip what depends on a refused setting: its errors would only echo the first one.
        var functions: [String: FunctionManifest] = [:]
        var knownNames: Set<String>?
        if !parsedConfig.invalidKeys.contains("functions") {
            let loaded = loadFunctions(config, explicit: parsedConfig.explicitFunctions)
            functions = loaded.functions
            // A function whose manifest gave no name (invalid YAML) most likely has its directory's:
            // a trigger naming it would only echo the manifest's problem. A functions directory that
            // could not be listed may hold any function: every trigger would echo that.
            if !loaded.unlistedDirectory {
                knownNames = loaded.names.union(loaded.unnamedDirectories)
            }
        }
        var triggers: [(file: String, parsed: ParsedTrigger)] = []
        if !parsedConfig.invalidKeys.contains("triggers") {
            triggers = loadTriggers(config, explicit: parsedConfig.explicitTriggers)
        }
        if let knownNames {
            checkFunctionReferences(triggers, knownNames: knownNames)
        }
        checkRouteConflicts(triggers)
        return Project(root: root, config: config, functions: functions, triggers: triggers.compactMap(\.parsed.definition))
    }

    // MARK: flint.yaml

    private mutating func loadConfig() -> ParsedConfig {
        let path = resolve(ProjectLoader.configFileName)
        guard FileSystem.exists(path) else { return ParsedConfig(config: FlintConfig()) }
        guard let yaml = read(path) else { return ParsedConfig(config: FlintConfig(), invalidKeys: Set(FlintConfig.configKeys)) }
        let parsed = FlintConfig.parseCollectingIssues(yaml: yaml, file: ProjectLoader.configFileName)
        issues += parsed.issues
        if let user = parsed.explicitUser, let accountExists, !accountExists(user.value) {
            issues.append(ConfigIssue(
                location: SourceLocation(file: ProjectLoader.configFileName, line: user.line), key: user.key,
                message: "there is no user \"\(user.value)\" on this machine (see /etc/passwd); name an existing unprivileged account, or write user: root to run handlers as root"
            ))
        }
        return parsed
    }

    // MARK: functions

    /// The valid manifests by name, every name declared validly (even in a manifest with other
    /// problems), so that triggers naming those are not reported too, the directories whose
    /// manifest gave no name at all, and whether a functions directory could not be listed.
    private mutating func loadFunctions(
        _ config: FlintConfig, explicit: [Located<String>]?
    ) -> (functions: [String: FunctionManifest], names: Set<String>, unnamedDirectories: Set<String>, unlistedDirectory: Bool) {
        var functions: [String: FunctionManifest] = [:]
        var unlistedDirectory = false
        var unnamedDirectories: Set<String> = []
        var firstDeclaration: [String: SourceLocation] = [:]
        var seenDirectories: Set<String> = []
        for (index, directory) in config.functions.enumerated() {
            let written = explicit?[index]
            let path = resolve(directory)
            let issuesBefore = issues.count
            guard let entries = listDirectory(path, writtenAt: written, mustExist: written != nil) else {
                // A default directory that is missing is no problem: it holds no function.
                if issues.count > issuesBefore { unlistedDirectory = true }
                continue
            }
            for entry in entries {
                let functionDirectory = path + "/" + entry
                let manifestPath = functionDirectory + "/" + ProjectLoader.manifestFileName
                // An easy slip that would otherwise leave the function silently missing.
                let misnamed = functionDirectory + "/function.yml"
                if !FileSystem.isRegularFile(manifestPath), FileSystem.isRegularFile(misnamed) {
                    issues.append(ConfigIssue(
                        location: SourceLocation(file: display(misnamed), line: 0), key: nil,
                        message: "Flint reads a function's manifest from function.yaml, not function.yml; rename it"))
                }
                guard FileSystem.isDirectory(functionDirectory), FileSystem.isRegularFile(manifestPath),
                      seenDirectories.insert(functionDirectory).inserted,
                      let yaml = read(manifestPath)
                else { continue }
                let file = display(manifestPath)
                let parsed = FunctionManifest.parseCollectingIssues(yaml: yaml, file: file, directory: functionDirectory)
                issues += parsed.issues
                guard let name = parsed.name else {
                    if !parsed.issues.isEmpty { unnamedDirectories.insert(entry) }
                    continue
                }
                if let first = firstDeclaration[name.value] {
                    report(
                        "\"\(name.value)\" is also the name of the function in \(first); function names must be unique",
                        file: file, at: name
                    )
                    continue
                }
                firstDeclaration[name.value] = SourceLocation(file: file, line: name.line)
                functions[name.value] = parsed.manifest
            }
        }
        return (functions, Set(firstDeclaration.keys), unnamedDirectories, unlistedDirectory)
    }

    // MARK: triggers

    private mutating func loadTriggers(_ config: FlintConfig, explicit: Located<String>?) -> [(file: String, parsed: ParsedTrigger)] {
        let path = resolve(config.triggers)
        guard let entries = listDirectory(path, writtenAt: explicit, mustExist: explicit != nil) else { return [] }
        var result: [(file: String, parsed: ParsedTrigger)] = []
        var fileByBaseName: [String: String] = [:]
        for entry in entries {
            let filePath = path + "/" + entry
            guard let baseName = ProjectLoader.triggerBaseName(entry), FileSystem.isRegularFile(filePath), let yaml = read(filePath) else {
                continue
            }
            let file = display(filePath)
            if let problem = ProjectLoader.triggerFileNameProblem(baseName) {
                issues.append(ConfigIssue(location: SourceLocation(file: file, line: 0), key: nil, message: problem))
                continue
            }
            if let other = fileByBaseName[baseName] {
                issues.append(ConfigIssue(
                    location: SourceLocation(file: file, line: 0), key: nil,
                    message: "its triggers would be named \(baseName), like those of \(other); rename one of the files"
                ))
                continue
            }
            fileByBaseName[baseName] = file
            let parsed = TriggerDefinition.parseAllCollectingIssues(yaml: yaml, file: file, baseName: baseName)
            issues += parsed.issues
            result += parsed.triggers.map { (file, $0) }
        }
        return result
    }

    // MARK: Cross-checks

    private mutating func checkFunctionReferences(_ triggers: [(file: String, parsed: ParsedTrigger)], knownNames: Set<String>) {
        let known = knownNames.isEmpty ? "the project has no functions" : "known: \(knownNames.sorted().joined(separator: ", "))"
        for (file, trigger) in triggers {
            guard let function = trigger.function, !knownNames.contains(function.value) else { continue }
            report("\"\(function.value)\" is not a function of this project (\(known))", file: file, at: function)
        }
    }

    /// Two http triggers conflict when their paths have the same shape and their methods are the
    /// same or either is `ANY`: a request could not tell which one it is for.
    private mutating func checkRouteConflicts(_ triggers: [(file: String, parsed: ParsedTrigger)]) {
        let routes = triggers.compactMap { file, trigger -> (file: String, route: Located<HTTPTrigger>)? in
            guard trigger.definition != nil, let route = trigger.route else { return nil }
            return (file, route)
        }
        for (index, later) in routes.enumerated() {
            let route = later.route.value
            guard let earlier = routes[..<index].first(where: { other in
                let otherRoute = other.route.value
                return otherRoute.path.shape == route.path.shape
                    && (otherRoute.method == route.method || otherRoute.method == "ANY" || route.method == "ANY")
            }) else { continue }
            report(
                "\(route.method) \(route.path) conflicts with \(earlier.route.value.method) \(earlier.route.value.path) at \(earlier.file):\(earlier.route.line)",
                file: later.file, at: later.route
            )
        }
    }

    // MARK: Files

    private mutating func report<Value>(_ message: String, file: String, at value: Located<Value>) {
        issues.append(ConfigIssue(location: SourceLocation(file: file, line: value.line), key: value.key, message: message))
    }

    /// The visible entries of the directory at `path`, sorted by name; nil (with an issue when the
    /// directory was named explicitly at `written`, or exists but cannot be listed) otherwise.
    private mutating func listDirectory(_ path: String, writtenAt written: Located<String>?, mustExist: Bool) -> [String]? {
        let problem: String
        if !FileSystem.exists(path) {
            guard mustExist else { return nil }
            problem = "directory \"\(display(path))\" does not exist"
        } else if !FileSystem.isDirectory(path) {
            problem = "\"\(display(path))\" is not a directory"
        } else {
            do {
                return try FileManager.default.contentsOfDirectory(atPath: path).filter { !$0.hasPrefix(".") }.sorted()
            } catch {
                problem = "directory \"\(display(path))\" cannot be read: \(error.localizedDescription)"
            }
        }
        if let written {
            report(problem, file: ProjectLoader.configFileName, at: written)
        } else {
            issues.append(ConfigIssue(location: SourceLocation(file: display(path), line: 0), key: nil, message: problem))
        }
        return nil
    }

    /// The contents of a UTF-8 file; nil with an issue when it cannot be read.
    private mutating func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else {
            issues.append(ConfigIssue(location: SourceLocation(file: display(path), line: 0), key: nil, message: "cannot be read"))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            issues.append(ConfigIssue(location: SourceLocation(file: display(path), line: 0), key: nil, message: "is not UTF-8 text"))
            return nil
        }
        return text
    }

    /// `path` resolved against the root, unless absolute.
    private func resolve(_ path: String) -> String {
        (path.hasPrefix("/") ? path : (root as NSString).appendingPathComponent(path) as String).standardizedPath
    }

    /// `path` as messages show it: relative to the root when it is inside it.
    private func display(_ path: String) -> String {
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

extension ProjectLoader {
    /// Why triggers cannot be named after the file `baseName`.yaml, if they cannot: the bus names
    /// its own subscriptions `flint.invoke.FUNCTION`, `flint.schedule.TRIGGER` and
    /// `flint.bucket.TRIGGER` (a queue trigger's is its own name), and a file's second and later
    /// triggers are `NAME#2`, `NAME#3`, ...
    static func triggerFileNameProblem(_ baseName: String) -> String? {
        if baseName.hasPrefix(TopicName.reservedPrefix) {
            return "trigger names starting with \(TopicName.reservedPrefix) are Flint's own (its asynchronous invocations, schedules and bucket events use them); rename the file"
        }
        if baseName.contains("#") {
            return "a trigger file's name cannot contain #: the second and later triggers of a file are named NAME#2, NAME#3, ...; rename the file"
        }
        return nil
    }

    /// The trigger name a file in the triggers directory gives its first trigger: its name without
    /// `.yaml`/`.yml`; nil for other files.
    static func triggerBaseName(_ fileName: String) -> String? {
        for suffix in [".yaml", ".yml"] where fileName.hasSuffix(suffix) && fileName.count > suffix.count {
            return String(fileName.dropLast(suffix.count))
        }
        return nil
    }
}

private extension String {
    var standardizedPath: String { (self as NSString).standardizingPath }
}

/// The few file-system questions loading asks.
private enum FileSystem {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    static func isRegularFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
