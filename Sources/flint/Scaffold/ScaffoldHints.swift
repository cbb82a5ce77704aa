internal import FlintCore

/// How `flint init` suggests calling the new function once `flint up` runs: command lines to paste
/// into the shell, in the directory where `flint init` ran.
struct ScaffoldHints {
    let name: String
    let trigger: FunctionScaffold.TriggerKind
    /// Where Flint listens (`daemon.json`, else flint.yaml's `listen`); on any but a loopback
    /// address the route needs the admin token.
    let listen: ListenAddress
    /// The admin token's file, as the shell reaches it from the current directory.
    let adminToken: String
    /// The project's root when it is not the current directory: the flint commands then need
    /// `--project`.
    let project: String?

    var lines: [String] {
        switch trigger {
        case .http:
            [
                "curl -s -X POST http://\(reachableAddress)/\(name)"
                    + (listen.isLoopback ? "" : " -H \"Authorization: Bearer $(cat \(ShellWord.quoted(adminToken)))\"")
                    + " -d '{\"name\": \"you\"}'   (or \(flint("invoke", [name])))"
            ]
        case .queue:
            [flint("publish", [name], options: ["--data", "'{\"hello\": \"queue\"}'"]), flint("logs", [name])]
        case .bucket:
            ["echo hello > hello.txt && " + flint("put", [name, "hello.txt"]), flint("logs", [name])]
        case .none:
            [flint("invoke", [name], options: ["--data", "'{\"hello\": \"flint\"}'"])]
        }
    }

    /// `flint COMMAND ARGUMENTS OPTIONS`. An argument starting with a dash (a function named
    /// `-abc`) would be taken for an option: then the options come first, and `--` before the
    /// arguments.
    private func flint(_ command: String, _ arguments: [String], options: [String] = []) -> String {
        let options = options + (project.map { ["--project", ShellWord.quoted($0)] } ?? [])
        let words = arguments.contains { $0.hasPrefix("-") } ? options + ["--"] + arguments : arguments + options
        return (["flint", command] + words).joined(separator: " ")
    }

    /// Where this machine reaches the listener: a wildcard address is reached on loopback; port 0
    /// (chosen at start-up) is the one `flint up` prints.
    private var reachableAddress: String {
        let host = ["0.0.0.0", "::"].contains(listen.host) ? "127.0.0.1" : listen.host
        let address = ListenAddress(host: host, port: listen.port).description
        return listen.port == 0 ? address.dropLast() + "PORT" : address  // `...:0` -> `...:PORT`
    }
}
