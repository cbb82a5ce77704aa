internal import FlintCore
internal import FlintRunner
internal import Logging

/// Whether `flint up` would run a function `flint init` wrote: when it runs as root, handlers run
/// as another user (`nobody`, or flint.yaml's `user:`), who must be able to reach the function's
/// directory, through directories that existed before (`functions/` made under a umask of 077),
/// and run its command.
enum HandlerAccessCheck {
    /// Why `flint up`, run by this same user, would refuse `function` (the rule it applies:
    /// `HandlerIsolation.refusal(of:)`), or nil when it would run it.
    static func refusal(of function: FunctionManifest, user: String?) -> String? {
        // Without cgroups, preparing only looks the user up. A `user:` that cannot be honoured
        // is flint validate's and flint up's to report, with the whole project's problems.
        let settings = IsolationSettings(user: user, cgroups: false)
        guard let isolation = try? HandlerIsolation.prepare(settings, logger: Logger(label: "flint.init")) else { return nil }
        return isolation.refusal(of: function)
    }
}
