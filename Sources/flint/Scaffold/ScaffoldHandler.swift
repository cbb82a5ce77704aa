internal import FlintCore

/// The handler `flint init` writes: its files, the command that runs it, and what it needs.
///
/// Every handler does the same small thing for its trigger, so that it works as written: an HTTP
/// one answers with a greeting, a queue one logs each message and reports no failures, a bucket
/// one logs each object's key and size, and one with no trigger returns its event.
struct ScaffoldHandler {
    let name: String
    let runtime: Runtime
    let language: FunctionScaffold.Language
    let trigger: FunctionScaffold.TriggerKind

    /// The handler's files, relative to the function's directory.
    var files: [FunctionScaffold.File] {
        switch (runtime, language) {
        case (.exec, .sh): [.init(path: "handler.sh", contents: ShellTemplates.exec(name: name, trigger: trigger), executable: true)]
        case (.lambda, .sh): [.init(path: "bootstrap.sh", contents: ShellTemplates.lambda(name: name, trigger: trigger), executable: true)]
        case (.exec, .python): [.init(path: "handler.py", contents: PythonTemplates.exec(name: name, trigger: trigger))]
        case (.lambda, .python): [.init(path: "handler.py", contents: PythonTemplates.lambda(name: name, trigger: trigger))]
        case (.exec, .swift): [.init(path: "handler.swift", contents: SwiftTemplates.exec(name: name, trigger: trigger))]
        case (.lambda, .swift): [.init(path: "handler.swift", contents: SwiftTemplates.lambda(name: name, trigger: trigger))]
        }
    }

    /// function.yaml's `command`.
    var command: [String] {
        switch (runtime, language) {
        case (.exec, .sh): ["./handler.sh"]
        case (.lambda, .sh): ["./bootstrap.sh"]
        case (.exec, .python): ["python3", "-I", "./handler.py"]
        case (.lambda, .python): ["python3", "-m", "awslambdaric", "handler.handler"]
        case (_, .swift): ["./handler"]
        }
    }

    /// function.yaml's `env`.
    var environment: [String: String] {
        runtime == .lambda && language == .python ? ["PYTHONPATH": "vendor"] : [:]
    }

    /// What must run in the function's directory before the handler can: compiling it, or
    /// vendoring its runtime like a Lambda deployment package.
    struct BuildStep {
        /// Said before it runs.
        let description: String
        let command: [String]
        /// What it makes, relative to the function's directory.
        let product: String
        /// Whether it runs with the handlers' own `PATH`, so that it prepares what the handler will
        /// find; otherwise with the user's (a compiler). Arguments starting with `./` are paths in
        /// the function's directory (`command` rules).
        var asHandler = false
    }

    var buildStep: BuildStep? {
        switch (runtime, language) {
        case (_, .swift):
            BuildStep(description: "compiling handler.swift", command: Self.swiftBuild, product: "handler")
        case (.lambda, .python):
            BuildStep(
                description: "installing awslambdaric into vendor/ for the handler's python3", command: Self.vendorRuntimeInterfaceClient,
                product: "vendor", asHandler: true)
        default:
            nil
        }
    }

    /// A line for function.yaml when the handler must be built before it runs.
    var buildNote: String? {
        language == .swift ? "Built by flint init; after editing handler.swift, rebuild: \(Self.swiftBuild.joined(separator: " "))" : nil
    }

    /// Compiles handler.swift into ./handler (run in the function's directory).
    static let swiftBuild = ["swiftc", "-O", "-o", "./handler", "./handler.swift"]

    /// awslambdaric for the python3 the handler finds, into ./vendor (PYTHONPATH in function.yaml).
    static let vendorRuntimeInterfaceClient = [
        "python3", "-m", "pip", "install", "-q", "--disable-pip-version-check", "--root-user-action=ignore",
        "--target", "./vendor", "awslambdaric==4.2.2",
    ]
}
