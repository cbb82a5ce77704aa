import FlintCore
import Foundation

/// The environment a handler starts with: nothing of the daemon's.
///
/// Layers, later ones winning: fixed defaults (`PATH`, `LANG`, `TZ`, `HOME`), the manifest's
/// `environment`, then Flint's own `FLINT_*` and Lambda variables, which a manifest cannot override.
struct HandlerEnvironment {
    /// The same PATH validation resolves bare command names against.
    static let defaultPath = ExecutableLookup.defaultSearchPath

    /// A manifest variable that cannot be passed to execve.
    struct InvalidVariable: Error, Equatable, CustomStringConvertible {
        var name: String
        var description: String { "invalid environment variable name \"\(name)\" or value" }
    }

    /// The variables, by name.
    private(set) var variables: [String: String]

    /// - Parameters:
    ///   - startedAt: when the invocation starts; its timeout runs from here (`FLINT_DEADLINE_MS`).
    ///   - region: `AWS_REGION` and `AWS_DEFAULT_REGION`.
    init(
        request: InvocationRequest, function: FunctionManifest, workingDirectory: String,
        startedAt: Date, region: String
    ) throws(InvalidVariable) {
        var variables: [String: String] = [
            "PATH": Self.defaultPath,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "HOME": workingDirectory,
        ]
        variables.reserveCapacity(function.environment.count + 20)
        for (name, value) in function.environment {
            guard Self.isValid(name: name), !value.utf8.contains(0) else {
                throw InvalidVariable(name: name)
            }
            variables[name] = value
        }
        let deadline = startedAt.timeIntervalSince1970 + function.timeout.timeInterval
        let deadlineMillis = Int64((deadline * 1000).rounded(.down))
        variables["FLINT_FUNCTION"] = function.name
        variables["FLINT_INVOCATION_ID"] = request.id
        variables["FLINT_DEADLINE_MS"] = String(deadlineMillis)
        variables["FLINT_SOURCE"] = request.source.rawValue
        variables["FLINT_ATTEMPT"] = String(request.attempt)
        if let objectPath = request.objectPath { variables["FLINT_OBJECT_PATH"] = objectPath }
        if let outputDirectory = request.outputDirectory { variables["FLINT_OUTPUT_DIR"] = outputDirectory }
        variables["AWS_LAMBDA_FUNCTION_NAME"] = function.name
        variables["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(function.memoryMB)
        // A manifest's own region (for SDK calls to AWS) replaces Flint's.
        variables["AWS_REGION"] = function.environment["AWS_REGION"] ?? region
        variables["AWS_DEFAULT_REGION"] = function.environment["AWS_DEFAULT_REGION"] ?? region
        variables["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/\(function.name)"
        variables["AWS_LAMBDA_LOG_STREAM_NAME"] = Self.logStreamName(invocationID: request.id, at: startedAt)
        variables["LAMBDA_TASK_ROOT"] = function.directory
        self.variables = variables
    }

    /// The PATH the handler will see, for resolving a bare command name.
    var searchPath: String { variables["PATH"] ?? "" }

    /// `NAME=value` strings for execve.
    var entries: [String] { variables.map { "\($0.key)=\($0.value)" } }

    /// The manifest's variables arrive unchecked from YAML: execve cannot carry these.
    static func isValid(name: String) -> Bool {
        !name.isEmpty && !name.utf8.contains(UInt8(ascii: "=")) && !name.utf8.contains(0)
    }

    /// Lambda's `YYYY/MM/DD/[$LATEST]<instance id>`; in exec mode each invocation is its own instance.
    static func logStreamName(invocationID: String, at date: Date) -> String {
        "\(UTCTimestamp(date).slashedDate)/[$LATEST]\(invocationID.filter { $0 != "-" })"
    }
}
