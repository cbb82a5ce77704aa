import Foundation

/// Finds the program a function's `command[0]` names, the way validation and spawning must agree
/// on: a name with a `/` is a path (relative to the function's directory unless absolute); a bare
/// name is looked up on the search path, like `execvp`, but never the daemon's own `PATH`.
package enum ExecutableLookup {
    /// Where bare names are looked up unless the manifest's `env.PATH` says otherwise.
    package static let defaultSearchPath = "/usr/local/bin:/usr/bin:/bin"

    /// Why a program could not be resolved.
    package enum Failure: Error, Sendable, Hashable {
        /// A path that names nothing.
        case missing(path: String)
        /// A path that names a directory.
        case isDirectory(path: String)
        /// A path that names a file without execute permission.
        case notExecutable(path: String)
        /// A bare name found in none of these directories.
        case notOnSearchPath(directories: [String])
    }

    /// The absolute path of the program `program` names, for a function in `directory`.
    /// `searchPath` is the manifest's `env.PATH`, if it sets one; its relative entries are ignored,
    /// since a handler's working directory is a fresh one per invocation.
    package static func resolve(_ program: String, in directory: String, searchPath: String?) -> Result<String, Failure> {
        if program.contains("/") {
            let path = program.hasPrefix("/") ? program : (directory as NSString).appendingPathComponent(program)
            return check((path as NSString).standardizingPath)
        }
        let directories = (searchPath ?? defaultSearchPath)
            .split(separator: ":")
            .map(String.init)
            .filter { $0.hasPrefix("/") }
        for candidateDirectory in directories {
            let candidate = (candidateDirectory as NSString).appendingPathComponent(program)
            if case .success(let path) = check(candidate) { return .success(path) }
        }
        return .failure(.notOnSearchPath(directories: directories))
    }

    private static func check(_ path: String) -> Result<String, Failure> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return .failure(.missing(path: path))
        }
        guard !isDirectory.boolValue else { return .failure(.isDirectory(path: path)) }
        guard FileManager.default.isExecutableFile(atPath: path) else { return .failure(.notExecutable(path: path)) }
        return .success(path)
    }
}
