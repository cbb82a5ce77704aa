internal import FlintCore
internal import FlintServer
internal import Foundation

/// Talks to the running daemon's HTTP API.
struct DaemonClient {
    let baseURL: URL
    let token: String?
    /// The token is FLINT_TOKEN's, not read from the project's `.flint/admin-token`.
    var tokenFromEnvironment = false

    /// The daemon of the project at `root`: `FLINT_URL`/`FLINT_TOKEN`, else `daemon.json` and `admin-token`.
    static func forProject(root: String) throws -> DaemonClient {
        let environment = ProcessInfo.processInfo.environment
        // A mistyped --project is said as such, not as a daemon that is not running.
        if environment["FLINT_URL"] == nil { _ = try ProjectLocator.existingRoot(root) }
        let files = try daemonFiles(root: root)
        let tokenFromEnvironment = environment["FLINT_TOKEN"] != nil
        let token = environment["FLINT_TOKEN"] ?? (FileManager.default.contents(atPath: files.adminToken).map {
            String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        })
        if let override = environment["FLINT_URL"] {
            guard let url = URL(string: override) else { throw CLIError("FLINT_URL=\(override) is not a URL; use e.g. http://127.0.0.1:8080") }
            return DaemonClient(baseURL: url, token: token, tokenFromEnvironment: tokenFromEnvironment)
        }
        guard let info = DaemonInfo.read(from: files.daemonInfo), let url = URL(string: info.url) else {
            throw CLIError("Flint is not running for \(root) (no \(files.daemonInfo)); start it with `flint up`, or set FLINT_URL")
        }
        // A killed daemon's file: its port may be another program's by now, which must not get the token.
        guard !files.hasEnded(info) else {
            throw CLIError(
                "Flint is not running for \(root): \(files.daemonInfo) was left by a daemon that has ended (pid \(info.pid), killed or crashed before it could remove it); "
                    + "start Flint with `flint up`, or set FLINT_URL")
        }
        return DaemonClient(baseURL: url, token: token, tokenFromEnvironment: tokenFromEnvironment)
    }

    /// The files of `root`'s daemon, in the data directory flint.yaml names. While flint.yaml
    /// does not load (being edited, say), a daemon running with the default data directory is
    /// still reached, so that `flint reload` hears why the daemon refuses the file and `flint
    /// invocations` works meanwhile; a note says so.
    private static func daemonFiles(root: String) throws -> DaemonFiles {
        do {
            return DaemonFiles(directory: try ProjectLocator.dataDirectory(root: root))
        } catch {
            let fallback = DaemonFiles(directory: Project.resolve(FlintConfig().data, against: root))
            guard FileManager.default.fileExists(atPath: fallback.daemonInfo) else { throw error }
            // With FLINT_URL the daemon is that one; the data directory only holds the token.
            if ProcessInfo.processInfo.environment["FLINT_URL"] == nil {
                let reason = "\(error)".split(separator: "\n").first.map(String.init) ?? ""
                FileHandle.standardError.write(Data(
                    "flint: note: \(root)/flint.yaml does not load, so this goes to the daemon whose files are in \(fallback.directory): \(reason)\n".utf8))
            }
            return fallback
        }
    }

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data
    }

    /// Where a request for `path` goes: the daemon's host and port, the request target, and the
    /// header fields with the token added.
    struct Target {
        let host: String
        let port: Int
        let target: String
        let fields: [(String, String)]
    }

    func target(_ path: String, query: [URLQueryItem], headers: [(String, String)]) throws -> Target {
        guard let host = baseURL.host, let port = baseURL.port ?? (baseURL.scheme == "http" ? 80 : nil), baseURL.scheme == "http" else {
            throw CLIError("\(baseURL) is not an http://HOST:PORT address; set FLINT_URL to one")
        }
        var components = URLComponents()
        components.path = baseURL.path + path
        if !query.isEmpty { components.queryItems = query }
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var fields = headers
        if let token { fields.append(("Authorization", "Bearer \(token)")) }
        return Target(host: host, port: port, target: target, fields: fields)
    }

    /// How long an admin request may wait for its answer: a daemon that accepts connections but
    /// does not answer (stopped with Ctrl-Z, say) must not hang the command.
    static let adminTimeout: Duration = .seconds(120)
    /// Past the longest function timeout (15 min): what a synchronous invocation may take.
    static let invocationTimeout: Duration = .seconds(16 * 60)

    func send(
        _ method: String, _ path: String, query: [URLQueryItem] = [], body: Data? = nil, headers: [String: String] = [:],
        timeout: Duration = DaemonClient.adminTimeout
    ) async throws -> Reply {
        let request = try target(path, query: query, headers: headers.map { ($0.key, $0.value) })
        do {
            let response = try HTTPConnection.exchange(
                host: request.host, port: request.port, method: method, target: request.target, headers: request.fields, body: body,
                timeout: timeout)
            if response.status == 401, token == nil {
                throw CLIError(
                    "Flint at \(baseURL) answered 401: its admin API needs the project's token, and this command found none; "
                        + "run it in the project (or with --project DIR), or set FLINT_TOKEN to the contents of .flint/admin-token")
            }
            if response.status == 401, tokenFromEnvironment {
                throw CLIError(
                    "Flint at \(baseURL) answered 401: it does not take the token in FLINT_TOKEN; set FLINT_TOKEN to the contents of "
                        + "that project's .flint/admin-token (it changes only when that file is deleted), or unset it to use this project's")
            }
            return Reply(status: response.status, headers: response.headers, body: response.body)
        } catch let error as HTTPConnection.Failure {
            throw CLIError("cannot reach Flint at \(baseURL): \(error); is `flint up` running?")
        }
    }

    /// GETs an admin API path and returns its body, turning error answers into CLIErrors.
    func getBody(_ path: String, query: [URLQueryItem] = []) async throws -> Data {
        let reply = try await send("GET", path, query: query)
        try Self.check(reply)
        return reply.body
    }

    /// GETs an admin API path and decodes the JSON answer, turning error answers into CLIErrors.
    func get<Value: Decodable>(_ path: String, query: [URLQueryItem] = [], as type: Value.Type) async throws -> Value {
        try JSONDecoding.decoder.decode(Value.self, from: try await getBody(path, query: query))
    }

    /// `--json`: prints the admin API's answer as it is, with a final newline.
    func printJSON(_ path: String, query: [URLQueryItem] = []) async throws {
        StandardOutput.write(try await getBody(path, query: query))
        print()
    }

    /// `GET /v1/invocations`: the newest first, optionally of one function.
    func recentInvocations(function: String?, limit: Int) async throws -> [InvocationView] {
        struct Listing: Decodable { var invocations: [InvocationView] }
        return try await get("/v1/invocations", query: Self.listingQuery(function: function, limit: limit), as: Listing.self).invocations
    }

    /// `?limit=N&function=NAME`, as the admin API's listings take it.
    static func listingQuery(function: String?, limit: Int) -> [URLQueryItem] {
        var query = [URLQueryItem(name: "limit", value: "\(limit)")]
        if let function { query.append(URLQueryItem(name: "function", value: function)) }
        return query
    }

    /// For a listing filtered by `function` that came back empty: an error when the daemon has no
    /// function of that name (a typo would otherwise look like "nothing happened"). A removed
    /// function's history is still listed, so a known name is not required up front.
    func refuseUnknown(function: String?) async throws {
        guard let function else { return }
        try CLIError.refuseUnknown(function, among: try await functions().map(\.name), hint: "flint ls lists them")
    }

    /// The running daemon's functions (`GET /v1/functions`).
    func functions() async throws -> [FunctionView] {
        struct Listing: Decodable { var functions: [FunctionView] }
        return try await get("/v1/functions", as: Listing.self).functions
    }

    static func check(_ reply: Reply) throws {
        guard (200 ..< 300).contains(reply.status) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: reply.body))?["message"]
                ?? String(decoding: reply.body, as: UTF8.self)
            throw CLIError("Flint answered \(reply.status): \(message)")
        }
    }
}

enum JSONDecoding {
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            return try Date(text, strategy: Date.ISO8601FormatStyle())
        }
        return decoder
    }
}
