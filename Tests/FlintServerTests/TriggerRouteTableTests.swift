import FlintCore
@testable import FlintServer
import Testing

@Suite struct TriggerRouteTableTests {
    static func trigger(_ name: String, _ method: String, _ path: String) throws -> TriggerDefinition {
        TriggerDefinition(
            name: name, location: SourceLocation(file: "triggers/\(name).yaml", line: 1), function: name,
            source: .http(HTTPTrigger(method: method, path: try RoutePattern(path), auth: .none))
        )
    }

    @Test func literalSegments_winOverParameters_whateverTheDeclarationOrder() throws {
        let table = TriggerRouteTable(triggers: [
            try Self.trigger("any-item", "GET", "/items/{id}"),
            try Self.trigger("catch-all", "ANY", "/{proxy+}"),
            try Self.trigger("new-item", "GET", "/items/new"),
        ])
        #expect(table.match(method: "GET", path: "/items/new")?.route.trigger.name == "new-item")
        #expect(table.match(method: "GET", path: "/items/42")?.pathParameters == ["id": "42"])
        #expect(table.match(method: "POST", path: "/items/42")?.route.trigger.name == "catch-all")
        #expect(table.match(method: "DELETE", path: "/a/b/c")?.pathParameters == ["proxy": "a/b/c"])
    }

    @Test func pathSegments_arePercentDecodedBeforeMatching() throws {
        let table = TriggerRouteTable(triggers: [try Self.trigger("echo", "POST", "/echo/{name}")])
        #expect(table.match(method: "POST", path: "/echo/w%C3%B6rld%20x")?.pathParameters == ["name": "wörld x"])
        #expect(table.match(method: "GET", path: "/echo/x") == nil)
        #expect(table.match(method: "POST", path: "/echo") == nil)
        #expect(table.match(method: "POST", path: "/echo/a/b") == nil)
    }

    @Test func routeKey_isMethodAndPatternAsWritten() throws {
        let table = TriggerRouteTable(triggers: [try Self.trigger("echo", "POST", "/echo/{name}")])
        #expect(table.match(method: "POST", path: "/echo/x")?.route.routeKey == "POST /echo/{name}")
    }

    @Test func flintsOwnPaths_areReservedAgainstCatchAllTriggers() {
        #expect(FlintResponder<NeverResponder>.isReserved("/healthz"))
        #expect(FlintResponder<NeverResponder>.isReserved("/v1/invocations"))
        #expect(FlintResponder<NeverResponder>.isReserved("/2015-03-31/functions/echo/invocations"))
        #expect(!FlintResponder<NeverResponder>.isReserved("/v1x"))
        #expect(!FlintResponder<NeverResponder>.isReserved("/"))
        #expect(!FlintResponder<NeverResponder>.isReserved("/echo/v1"))
    }
}
