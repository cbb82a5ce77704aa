import Foundation
import Testing

@Suite(.serialized) struct AdminAPITests {
    @Test func adminRoutes_needTheBearerToken_healthzDoesNot() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        #expect(try await daemon.request("GET", "/healthz").status == 200)
        #expect(try await daemon.request("HEAD", "/healthz").status == 200)
        let refused = try await daemon.request("GET", "/v1/functions")
        #expect(refused.status == 401)
        #expect(refused.text.contains("admin-token"))
        let functions = try await daemon.request("GET", "/v1/functions", authorized: true).json()
        #expect((functions["functions"] as? [[String: Any]])?.first?["name"] as? String == "echo")
    }

    /// `curl localhost:8080/v1/topics/orders/messages` (a GET) must not read as "no such topic".
    @Test func ownPathWithAnotherMethod_is405WithAllow_aRouteOwn404Stays() async throws {
        let project = try TestProject()
        try project.addScriptFunction("echo", script: "exec cat\n")
        let daemon = try RunningDaemon(project)
        let get = try await daemon.request("GET", "/v1/topics/orders/messages", authorized: true)
        #expect(get.status == 405)
        #expect(get.headers["allow"] == "POST")
        #expect(get.text.contains("GET is not allowed on /v1/topics/orders/messages; it answers POST"), "\(get.text)")
        let post = try await daemon.request("POST", "/healthz")
        #expect(post.status == 405)
        #expect(post.headers["allow"] == "GET, HEAD")
        let unknown = try await daemon.request("GET", "/v1/invocations/no-such-id", authorized: true)
        #expect(unknown.status == 404)
        #expect(unknown.text.contains("no invocation has id no-such-id"))
        #expect(try await daemon.request("GET", "/v1/no-such-route", authorized: true).status == 404)
    }

    @Test func adminToken_isCreatedOwnerOnly() throws {
        let project = try TestProject()
        let daemon = try RunningDaemon(project)
        let attributes = try FileManager.default.attributesOfItem(atPath: project.dataDirectory + "/admin-token")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(daemon.token.count == 64)
    }

    @Test func daemonJSON_recordsThePortActuallyBound() throws {
        let project = try TestProject()
        let daemon = try RunningDaemon(project)
        #expect(daemon.url.port != nil && daemon.url.port != 0)
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: project.dataDirectory + "/daemon.json"))) as? [String: Any]
        #expect(info?["pid"] as? Int32 == daemon.process.processIdentifier)
        _ = try daemon.stop()
        #expect(!FileManager.default.fileExists(atPath: project.dataDirectory + "/daemon.json"))
    }
}
