internal import Foundation

extension DaemonClient {
    /// Opens `GET path` as a stream of lines, authenticated like `send`, with no read timeout.
    func stream(_ path: String, query: [URLQueryItem] = []) throws -> HTTPLineStream {
        let request = try target(path, query: query, headers: [("Accept", "application/x-ndjson")])
        do {
            return try HTTPLineStream(host: request.host, port: request.port, method: "GET", target: request.target, headers: request.fields)
        } catch {
            throw CLIError("cannot reach Flint at \(baseURL): \(error); is `flint up` running?")
        }
    }
}
