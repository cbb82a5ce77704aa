internal import Hummingbird

/// `POST /v1/reload`: loads the project again, as SIGHUP does, and answers with the outcome.
struct ReloadRoutes: Sendable {
    let requests: ReloadRequests

    /// What the route answers: 200 with `reloaded: true` and the changes, or 422 with the
    /// problems (the previous configuration still runs), or 503 while stopping.
    struct Reply: Encodable {
        var reloaded: Bool
        var changes: [String] = []
        var deferredSettings: [String] = []
        var warnings: [String] = []
        var problems: [String] = []

        enum CodingKeys: String, CodingKey {
            case reloaded, changes, problems, warnings
            case deferredSettings = "deferred_settings"
        }
    }

    func register(on v1: RouterGroup<FlintRequestContext>) {
        v1.post("/reload") { _, _ in
            switch await requests.reload() {
            case .reloaded(let changes, let deferred, let warnings):
                return Response.json(Reply(reloaded: true, changes: changes, deferredSettings: deferred, warnings: warnings))
            case .refused(let problems):
                return Response.json(Reply(reloaded: false, problems: problems), status: .unprocessableContent)
            case .stopping:
                return Response.message(.serviceUnavailable, "Flint is stopping and reloads no more")
            }
        }
    }
}
