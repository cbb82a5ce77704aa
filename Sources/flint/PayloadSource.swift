internal import Foundation

/// Reads what a `--data` option names: the text itself, `@FILE` for a file's contents, or `-` for
/// stdin. Shared by `flint invoke` and `flint publish`.
enum PayloadSource {
    static func read(_ argument: String) throws -> Data {
        if argument == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        if argument.hasPrefix("@") {
            let path = String(argument.dropFirst())
            guard let contents = FileManager.default.contents(atPath: path) else {
                throw CLIError("--data @\(path): cannot read \(path)")
            }
            return contents
        }
        return Data(argument.utf8)
    }
}
