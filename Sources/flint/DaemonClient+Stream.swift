internal import Foundation

extension DaemonClient {
    /// Opens `GET path` as a stream of lines, authenticated like `send`, with no read timeout.
    func stream(_ path: String, query: [URLQueryItem] = []) throws -> HTTPLineStream {
        guard let host = baseURL.host, let port = baseURL.port ?? (baseURL.scheme == "http" ? 80 : nil), baseURL.scheme == "http" else {
            throw CLIError("\(baseURL) is not an http://HOST:PORT address; set FLINT_URL to one")
        }
        var components = URLComponents()
        components.path = baseURL.path + path
        if !query.isEmpty { components.queryItems = query }
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var fields: [(String, String)] = [("Accept", "application/x-ndjson")]
        if let token { fields.append(("Authorization", "Bearer \(token)")) }
        do {
            return try HTTPLineStream(host: host, port: port, method: "GET", target: target, headers: fields)
        } catch {
            throw CLIError("cannot reach Flint at \(baseURL): \(error); is `flint up` running?")
        }
    }
}
