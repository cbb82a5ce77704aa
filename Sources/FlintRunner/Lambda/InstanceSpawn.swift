import FlintCore
import Foundation

/// The one place a warm instance's process is described: executable, arguments, environment,
/// working directory and limits. Isolation (credentials, cgroup, sandbox) belongs here, so that
/// every instance gets it the same way.
struct InstanceSpawn {
    let function: FunctionManifest
    /// Where the runtime reaches its Runtime API: `127.0.0.1:PORT`, no scheme.
    let runtimeAPI: String
    /// The instance's own scratch directory: `HOME` and `TMPDIR`, removed when it stops.
    let scratchDirectory: String
    let instanceID: String
    let settings: ExecRunnerSettings
    let host: HostLimits

    /// Why an instance cannot be started, before anything runs.
    enum Failure: Error, CustomStringConvertible {
        case environment(HandlerEnvironment.InvalidVariable)
        case command(HandlerCommand.ResolutionError)

        var description: String {
            switch self {
            case .environment(let error): "cannot start the instance: \(error); fix env in function.yaml"
            case .command(let error): "cannot start the instance: \(error); fix command in function.yaml"
            }
        }
    }

    func options(startedAt: Date) throws(Failure) -> SpawnOptions {
        let environment = try self.environment(startedAt: startedAt)
        let command: HandlerCommand
        do throws(HandlerCommand.ResolutionError) {
            command = try HandlerCommand(
                resolving: function.command, in: function.directory,
                searchPath: environment["PATH"] ?? HandlerEnvironment.defaultPath
            )
        } catch {
            throw .command(error)
        }
        return SpawnOptions(
            command: command, environment: environment.map { "\($0.key)=\($0.value)" },
            // LAMBDA_TASK_ROOT is the working directory, as on Lambda: handlers open their own files
            // by relative paths.
            workingDirectory: function.directory,
            memoryBytes: function.memoryBytes, openFiles: settings.openFiles, processes: settings.processes,
            // RLIMIT_CPU counts over the whole life of a process, which for a warm instance spans many
            // invocations: each invocation's deadline bounds it instead.
            cpuSeconds: 0, descriptorLimit: host.descriptorLimit
        )
    }

    /// Layers, later ones winning: fixed defaults, the manifest's `env`, then the Lambda and Flint
    /// variables (which a manifest cannot set). Nothing of the daemon's own environment.
    func environment(startedAt: Date) throws(Failure) -> [String: String] {
        var variables: [String: String] = [
            "PATH": HandlerEnvironment.defaultPath,
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "HOME": scratchDirectory,
            "TMPDIR": scratchDirectory,
        ]
        for (name, value) in function.environment {
            guard HandlerEnvironment.isValid(name: name), !value.utf8.contains(0) else {
                throw .environment(HandlerEnvironment.InvalidVariable(name: name))
            }
            variables[name] = value
        }
        variables["AWS_LAMBDA_RUNTIME_API"] = runtimeAPI
        // Lambda's configured handler; awslambdaric reads it from argv, custom runtimes from here.
        if function.command.count > 1, let handler = function.command.last { variables["_HANDLER"] = handler }
        variables["LAMBDA_TASK_ROOT"] = function.directory
        variables["AWS_LAMBDA_FUNCTION_NAME"] = function.name
        variables["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(function.memoryMB)
        // A manifest's own region (for SDK calls to AWS) replaces Flint's.
        variables["AWS_REGION"] = function.environment["AWS_REGION"] ?? settings.region
        variables["AWS_DEFAULT_REGION"] = function.environment["AWS_DEFAULT_REGION"] ?? settings.region
        variables["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/\(function.name)"
        variables["AWS_LAMBDA_LOG_STREAM_NAME"] = HandlerEnvironment.logStreamName(invocationID: instanceID, at: startedAt)
        variables["FLINT_FUNCTION"] = function.name
        return variables
    }
}
