internal import FlintCore

/// The files `flint init` writes for a new function: its directory's files and its trigger.
struct FunctionScaffold {
    enum Language: String, CaseIterable {
        case sh, python, swift
    }

    enum TriggerKind: String, CaseIterable {
        case http, queue, bucket, none
    }

    /// One file to write, relative to the function's directory (or the triggers directory).
    struct File {
        var path: String
        var contents: String
        var executable = false
    }

    let name: String
    let runtime: Runtime
    let language: Language
    let trigger: TriggerKind
    /// flint.yaml's `listen`: an http trigger is public (`auth: none`) only on a loopback
    /// listener, where `flint up` allows it.
    var listen: ListenAddress = .defaultAddress

    var handler: ScaffoldHandler {
        ScaffoldHandler(name: name, runtime: runtime, language: language, trigger: trigger)
    }

    /// The function's own files: function.yaml and the handler.
    var functionFiles: [File] {
        [File(path: "function.yaml", contents: manifest(handler))] + handler.files
    }

    /// `triggers/NAME.yaml`, unless the function is to be invoked directly only.
    var triggerFile: File? {
        let body: String
        switch trigger {
        case .none: return nil
        case .http: body = "source: http\nfunction: \(name)\nmethod: POST\npath: /\(name)\nauth: \(listen.isLoopback ? "none" : "token")\n"
        case .queue: body = "source: queue\nfunction: \(name)\ntopic: \(name)\nbatch: 10\n"
        case .bucket: body = "source: bucket\nfunction: \(name)\nbucket: \(name)\nevents: [created]\n"
        }
        return File(path: "\(name).yaml", contents: "# Made by flint init: \(describe(trigger)) invokes \(name).\n" + body)
    }

    private func describe(_ trigger: TriggerKind) -> String {
        switch trigger {
        case .http: "POST /\(name)"
        case .queue: "each batch of messages on topic \(name)"
        case .bucket: "each object created in bucket \(name)"
        case .none: "nothing"
        }
    }

    private func manifest(_ handler: ScaffoldHandler) -> String {
        var lines = [
            "# Made by flint init (\(runtime.rawValue), \(language.rawValue)). Every key: docs/configuration.md.",
            "name: \(name)",
            "runtime: \(runtime.rawValue)",
            "command: [" + handler.command.map { "\"\($0)\"" }.joined(separator: ", ") + "]",
            "timeout: 30s",
            "memory: 128Mi",
            "concurrency: 4",
        ]
        if runtime == .lambda { lines.append("idle: 30s") }
        if trigger != .http { lines.append("retries: 2") }
        if !handler.environment.isEmpty {
            lines.append("env:")
            lines += handler.environment.sorted { $0.key < $1.key }.map { "  \($0.key): \"\($0.value)\"" }
        }
        if let note = handler.buildNote { lines.insert("# \(note)", at: 1) }
        return lines.joined(separator: "\n") + "\n"
    }
}
