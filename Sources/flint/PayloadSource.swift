internal import Foundation

/// Reads what a `--data` option names: the text itself, `@FILE` for a file's contents, or `-` for
/// stdin. Shared by `flint invoke` and `flint publish`.
enum PayloadSource {
    static func read(_ argument: String) throws -> Data {
        if argument == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        if argument.hasPrefix("@") {
            let path = String(argument.dropFirst())
            do {
                return try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                let reason = !exists ? "it does not exist" : isDirectory.boolValue ? "it is a directory" : "it cannot be read (permissions?)"
                throw CLIError("--data @\(path): \(reason); give a readable file, the JSON itself, or - for stdin")
            }
        }
        return Data(argument.utf8)
    }
}
