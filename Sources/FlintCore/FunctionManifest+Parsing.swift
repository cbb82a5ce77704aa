internal import Yams

extension FunctionManifest {
    /// Parses and validates a `function.yaml`, collecting every issue before throwing.
    ///
    /// - Parameters:
    ///   - yaml: The file's contents.
    ///   - file: The file's path as messages show it, relative to the project's root
    ///     (`samples/echo/function.yaml`).
    ///   - directory: The absolute path of the function's directory; `command[0]` is resolved and
    ///     checked against it.
    public static func parse(yaml: String, file: String, directory: String) throws(ProjectLoadError) -> FunctionManifest {
        let parsed = parseCollectingIssues(yaml: yaml, file: file, directory: directory)
        guard let manifest = parsed.manifest, parsed.issues.isEmpty else {
            throw ProjectLoadError(issues: parsed.issues)
        }
        return manifest
    }

    /// Every key `function.yaml` may have.
    static let manifestKeys = [
        "name", "runtime", "command", "timeout", "memory", "concurrency", "idle", "retries", "env", "isolation",
        "on_success", "on_failure", "output", "network",
    ]

    /// What `name` allows.
    static let nameRule = "a-z, 0-9 and -"

    /// Parses a `function.yaml` into a manifest, or into as much as could be read and the issues.
    static func parseCollectingIssues(yaml: String, file: String, directory: String) -> ParsedFunction {
        var (document, issues) = YAMLDocuments.composeSingle(yaml, file: file)
        guard let document else {
            if issues.isEmpty {
                issues.append(ConfigIssue(
                    location: SourceLocation(file: file, line: 0), key: nil,
                    message: "is empty; a function needs at least name and command"
                ))
            }
            return ParsedFunction(manifest: nil, name: nil, issues: issues)
        }
        guard var map = YAMLMapping.root(document, file: file, expected: "a mapping with name, command, ...", issues: &issues) else {
            return ParsedFunction(manifest: nil, name: nil, issues: issues)
        }

        let name = map.value(
            "name", required: true, hint: "1 to 64 characters of \(nameRule)",
            ScalarConversion.identifier(maxLength: 64, rule: nameRule) { $0.isLowercaseASCIILetterOrDigit || $0 == "-" }
        )
        let runtime = map.value("runtime", hint: ScalarConversion.choices(Runtime.self), ScalarConversion.oneOf(Runtime.self))
        let timeout = map.value("timeout", hint: ScalarConversion.durationHint, ScalarConversion.duration(in: timeoutRange))
        let memory = map.value("memory", hint: ScalarConversion.byteSizeHint, ScalarConversion.byteSize(in: memoryRange))
        let concurrency = map.value("concurrency", hint: "a whole number", ScalarConversion.integer(in: concurrencyRange))
        let idle = map.value("idle", hint: ScalarConversion.durationHint, ScalarConversion.duration(in: idleRange))
        let retries = map.value("retries", hint: "a whole number", ScalarConversion.integer(in: retriesRange))
        let isolation = map.value("isolation", hint: ScalarConversion.choices(Isolation.self), ScalarConversion.oneOf(Isolation.self))
        let onSuccess = map.value("on_success", hint: ScalarConversion.topicNameHint, ScalarConversion.topicName)
        let onFailure = map.value("on_failure", hint: ScalarConversion.topicNameHint, ScalarConversion.topicName)
        let output = map.value("output", hint: ScalarConversion.bucketNameHint, ScalarConversion.bucketName)
        let network = map.value("network", hint: "true or false", ScalarConversion.boolean)
        if let network, !network.value, isolation?.value != .sandbox {
            map.report("false needs isolation: sandbox; without a sandbox a handler always has the host's network", at: network)
        }
        let environment = parseEnvironment(&map)
        let displayDirectory = file.lastIndex(of: "/").map { String(file[..<$0]) } ?? directory
        let command = parseCommand(&map, directory: directory, displayDirectory: displayDirectory, searchPath: environment["PATH"])
        map.reportUnreadKeys(notAKeyOf: "function.yaml", keys: manifestKeys)
        issues += map.issues
        issues += unavailableFeatures(runtime: runtime, isolation: isolation, output: output, file: file)

        guard issues.isEmpty, let name, let command else {
            return ParsedFunction(manifest: nil, name: name, issues: issues)
        }
        let manifest = FunctionManifest(
            name: name.value,
            directory: directory,
            runtime: runtime?.value ?? .exec,
            command: command,
            timeout: timeout?.value ?? defaultTimeout,
            memoryBytes: memory?.value ?? defaultMemoryBytes,
            concurrency: concurrency?.value ?? defaultConcurrency,
            idle: idle?.value ?? defaultIdle,
            retries: retries?.value ?? defaultRetries,
            environment: environment,
            isolation: isolation?.value ?? .process,
            network: network?.value ?? false,
            onSuccess: onSuccess?.value,
            onFailure: onFailure?.value,
            output: output?.value
        )
        return ParsedFunction(manifest: manifest, name: name, issues: [])
    }

    // MARK: capabilities of this version

    /// Values that are valid alone but not together. Refused rather than run with less than asked.
    static func unavailableFeatures(
        runtime: Located<Runtime>?, isolation: Located<Isolation>?, output: Located<String>?, file: String
    ) -> [ConfigIssue] {
        var issues: [ConfigIssue] = []
        // The sandbox runs in a working directory and network namespace of its own, while a warm
        // instance works in its function's directory and reaches its Runtime API on the host's
        // loopback: refused rather than run with less.
        if let runtime, runtime.value == .lambda, let isolation, isolation.value == .sandbox {
            issues.append(ConfigIssue(
                location: SourceLocation(file: file, line: isolation.line), key: "isolation",
                message: "sandbox is not available for runtime: lambda in this version (a warm instance reaches its Runtime API on the host's loopback); use isolation: process, or runtime: exec"))
        }
        // A warm instance's environment is fixed when it starts: there is no per-invocation
        // FLINT_OUTPUT_DIR to collect outputs from.
        if let runtime, runtime.value == .lambda, let output {
            issues.append(ConfigIssue(
                location: SourceLocation(file: file, line: output.line), key: "output",
                message: "bucket outputs need runtime: exec (a warm lambda instance has no per-invocation FLINT_OUTPUT_DIR); use runtime: exec, or remove output"))
        }
        return issues
    }

    // MARK: env

    /// Names a handler may not set: Flint sets them (`FLINT_*`), or they are Lambda's own, which
    /// Flint sets for Lambda runtimes or which would change how a runtime such as awslambdaric
    /// runs (`AWS_LAMBDA_MAX_CONCURRENCY`, `_LAMBDA_TELEMETRY_LOG_FD`). Other `AWS_` names are the
    /// user's: credentials, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, and `AWS_REGION` /
    /// `AWS_DEFAULT_REGION`, which replace Flint's `local` (there is no IAM role to supply them).
    static let reservedVariablePrefixes = ["FLINT_", "AWS_LAMBDA_"]
    static let reservedVariableNames: Set<String> = [
        "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_EXECUTION_ENV", "_LAMBDA_TELEMETRY_LOG_FD",
    ]

    /// The valid entries of `env`; invalid ones are reported and left out.
    private static func parseEnvironment(_ map: inout YAMLMapping) -> [String: String] {
        let valueHint = "a string, number or boolean; write \"\" for an empty string"
        let parsed = map.mapping("env", hint: "a mapping of NAME: value") { env -> [String: String] in
            var result: [String: String] = [:]
            for (name, value) in env.allEntries() {
                let nameProblem = problem(withVariableName: name.value)
                if let nameProblem { env.report(nameProblem, at: name) }
                guard let text = env.text(of: value, hint: valueHint), nameProblem == nil else { continue }
                result[name.value] = text.value
            }
            return result
        }
        return parsed?.value ?? [:]
    }

    /// Why `name` cannot be an environment variable a manifest sets, or nil when it can.
    static func problem(withVariableName name: String) -> String? {
        guard let first = name.first, first == "_" || (first.isASCII && first.isLetter),
              name.allSatisfy({ $0 == "_" || $0.isASCIILetterOrDigit })
        else {
            return "\"\(name)\" is not a variable name (letters, digits and _, not starting with a digit)"
        }
        if let prefix = reservedVariablePrefixes.first(where: { name.hasPrefix($0) }) {
            return "names starting with \(prefix) are reserved for the variables Flint sets"
        }
        if reservedVariableNames.contains(name) {
            return "\(name) is reserved for the variables Flint sets"
        }
        return nil
    }

    // MARK: command

    /// argv, when every element is valid and `command[0]` resolves to an executable file.
    private static func parseCommand(
        _ map: inout YAMLMapping, directory: String, displayDirectory: String, searchPath: String?
    ) -> [String]? {
        let hint = "a list such as [\"./handler.sh\", \"--verbose\"]"
        guard let node = map.node("command", required: true, hint: hint) else { return nil }
        if case .scalar(let scalar) = node.value, !node.value.isNull {
            let words = scalar.string.split(whereSeparator: \.isWhitespace).map { "\"\($0)\"" }
            map.report(
                "\"\(scalar.string)\" is a string; use a list such as [\(words.joined(separator: ", "))] (a command is never run through a shell)",
                at: node
            )
            return nil
        }
        guard let elements = map.elements(of: node, hint: hint) else { return nil }
        guard !elements.value.isEmpty else {
            map.report("is empty; it needs at least the program to run (\(hint))", at: node)
            return nil
        }
        var argv: [String] = []
        for element in elements.value {
            guard let text = map.text(of: element, hint: "a non-empty string") else { continue }
            guard !text.value.isEmpty else {
                map.report("must not be an empty string", at: text)
                continue
            }
            argv.append(text.value)
        }
        guard argv.count == elements.value.count, let program = elements.value.first else { return nil }

        switch ExecutableLookup.resolve(argv[0], in: directory, searchPath: searchPath) {
        case .success:
            return argv
        case .failure(let failure):
            let location = Located(value: argv[0], line: program.line, key: program.key)
            map.report(message(for: failure, program: argv[0], displayDirectory: displayDirectory), at: location)
            return nil
        }
    }

    private static func message(for failure: ExecutableLookup.Failure, program: String, displayDirectory: String) -> String {
        // Paths as the user wrote them: relative ones are shown against the function's directory.
        let relative = program.hasPrefix("./") ? String(program.dropFirst(2)) : program
        let shown = program.hasPrefix("/") ? program : "\(displayDirectory)/\(relative)"
        switch failure {
        case .missing:
            return program.hasPrefix("/") ? "\(program) does not exist" : "\(program) does not exist in \(displayDirectory)"
        case .isDirectory:
            return "\(program) is a directory, not a program"
        case .notExecutable:
            return "\(program) is not executable (chmod +x \(shown))"
        case .notOnSearchPath(let directories):
            let searched = directories.isEmpty ? "an empty PATH" : directories.joined(separator: ":")
            return "\(program) is not found on \(searched) (install it, set env.PATH, or give a path such as ./\(program))"
        }
    }
}

/// What parsing one `function.yaml` produced.
struct ParsedFunction {
    /// The manifest; nil when there are issues.
    var manifest: FunctionManifest?
    /// The name when it is valid, even when other keys are not, so triggers naming the function
    /// are not reported as naming an unknown one.
    var name: Located<String>?
    var issues: [ConfigIssue]
}
