/// How a manifest's `command` arguments after the first are read, for code outside this module
/// (`flint validate`'s note on a bare file name).
public enum HandlerArguments {
    /// Whether `argument` is taken relative to the function's directory (it begins with `./` or
    /// `../`); every other one is passed as written.
    public static func isResolvedAgainstFunctionDirectory(_ argument: String) -> Bool {
        argument.hasPrefix("./") || argument.hasPrefix("../")
    }
}

/// A manifest's `command` made ready for execve: the executable's path and the argument vector.
struct HandlerCommand: Equatable {
    /// The path execve receives (also argv[0], so a handler can find itself).
    var executable: String
    /// The full argument vector, argv[0] included.
    var arguments: [String]

    /// Why a command cannot be run, before anything is started.
    enum ResolutionError: Error, Equatable, CustomStringConvertible {
        case empty
        case containsNUL(String)
        case notFoundOnPath(name: String, path: String)

        var description: String {
            switch self {
            case .empty: "the command is empty"
            case .containsNUL(let argument): "command argument \"\(argument)\" contains a NUL byte"
            case .notFoundOnPath(let name, let path): "\(name): not found on PATH (\(path))"
            }
        }
    }

    /// Resolves `command` as the manifest documents it: `command[0]` against `directory` unless it is
    /// absolute or a bare name (a bare name is searched on `searchPath`, the PATH the handler will
    /// see; relative PATH entries are skipped), every later argument beginning with `./` or `../`
    /// against `directory`, everything else verbatim. Never a shell.
    init(resolving command: [String], in directory: String, searchPath: String) throws(ResolutionError) {
        guard let name = command.first, !name.isEmpty else {
            throw .empty
        }
        for argument in command where argument.utf8.contains(0) {
            throw .containsNUL(argument)
        }
        let executable: String
        if name.hasPrefix("/") {
            executable = name
        } else if name.contains("/") {
            executable = Self.join(directory, name)
        } else if let found = Self.search(name, in: searchPath) {
            executable = found
        } else {
            throw .notFoundOnPath(name: name, path: searchPath)
        }
        var arguments = [executable]
        arguments.reserveCapacity(command.count)
        for argument in command.dropFirst() {
            arguments.append(HandlerArguments.isResolvedAgainstFunctionDirectory(argument) ? Self.join(directory, argument) : argument)
        }
        self.executable = executable
        self.arguments = arguments
    }

    /// `directory` + `relative`, without a leading `./` (which the kernel would skip anyway).
    static func join(_ directory: String, _ relative: String) -> String {
        let tail = relative.hasPrefix("./") ? relative.dropFirst(2) : Substring(relative)
        return directory.hasSuffix("/") ? directory + tail : directory + "/" + tail
    }

    /// The first regular, executable file named `name` in the absolute entries of `searchPath`.
    static func search(_ name: String, in searchPath: String) -> String? {
        for entry in searchPath.split(separator: ":") where entry.hasPrefix("/") {
            let candidate = join(String(entry), name)
            if Sys.isExecutableFile(candidate) {
                return candidate
            }
        }
        return nil
    }
}
