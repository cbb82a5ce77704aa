internal import FlintRunner
internal import ServiceLifecycle

/// Ends every `flint logs -f` stream when shutdown begins. It runs last so it stops first: the
/// HTTP server's graceful shutdown waits for open responses, and a follower's never ends by itself.
struct LogHubService: Service {
    let hub: LogHub

    func run() async throws {
        try? await gracefulShutdown()
        hub.close()
    }
}
