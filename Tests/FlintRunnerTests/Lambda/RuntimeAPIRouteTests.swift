import NIOHTTP1
import Testing

@testable import FlintRunner

/// How Runtime API requests are told apart (LAMBDA.md section 1).
@Suite struct RuntimeAPIRouteTests {
    @Test func knownPaths_withTheirMethods() {
        #expect(RuntimeAPIRoute(method: .GET, uri: "/2018-06-01/runtime/invocation/next") == .next)
        #expect(RuntimeAPIRoute(method: .POST, uri: "/2018-06-01/runtime/invocation/abc-1/response") == .response(requestID: "abc-1"))
        #expect(RuntimeAPIRoute(method: .POST, uri: "/2018-06-01/runtime/invocation/abc-1/error") == .error(requestID: "abc-1"))
        #expect(RuntimeAPIRoute(method: .POST, uri: "/2018-06-01/runtime/init/error") == .initError)
    }

    @Test func aQueryString_isIgnored() {
        #expect(RuntimeAPIRoute(method: .GET, uri: "/2018-06-01/runtime/invocation/next?x=1") == .next)
        #expect(RuntimeAPIRoute(method: .POST, uri: "/2018-06-01/runtime/invocation/id/response?a=b") == .response(requestID: "id"))
    }

    @Test func anotherMethod_onAKnownPath_isNotAllowed() {
        #expect(RuntimeAPIRoute(method: .POST, uri: "/2018-06-01/runtime/invocation/next") == .methodNotAllowed)
        #expect(RuntimeAPIRoute(method: .GET, uri: "/2018-06-01/runtime/invocation/id/response") == .methodNotAllowed)
        #expect(RuntimeAPIRoute(method: .PUT, uri: "/2018-06-01/runtime/init/error") == .methodNotAllowed)
    }

    @Test func unknownPaths_areNotFound() {
        for uri in [
            "/", "/2018-06-01/runtime/", "/2018-06-01/runtime/invocation/", "/2018-06-01/runtime/invocation//response",
            "/2018-06-01/runtime/invocation/a/b/response", "/2018-06-01/runtime/invocation/id/answer",
            "/2019-01-01/runtime/invocation/next", "/2018-06-01/runtime/invocation/next/more",
        ] {
            #expect(RuntimeAPIRoute(method: .POST, uri: uri) == .notFound, "\(uri)")
        }
    }

    @Test func onlyReportsCarryBodies() {
        #expect(RuntimeAPIRoute.response(requestID: "x").takesBody)
        #expect(RuntimeAPIRoute.error(requestID: "x").takesBody)
        #expect(RuntimeAPIRoute.initError.takesBody)
        #expect(!RuntimeAPIRoute.next.takesBody)
        #expect(!RuntimeAPIRoute.notFound.takesBody)
    }
}
