import Foundation
@testable import FlintServer
import Testing

@Suite struct AdminTokenTests {
    @Test func loadOrCreate_makesAnOwnerOnlyTokenOnce_thenReadsIt() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/admin-token"

        let created = try AdminToken.loadOrCreate(at: path)
        #expect(created.count == 64)
        #expect(created.allSatisfy { $0.isHexDigit })
        let permissions = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try AdminToken.loadOrCreate(at: path) == created)
    }

    @Test func loadOrCreate_refusesAFileThatHoldsNoUsableToken() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flint-token-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "short\n".write(toFile: directory + "/admin-token", atomically: true, encoding: .utf8)
        #expect(throws: DaemonError.self) { try AdminToken.loadOrCreate(at: directory + "/admin-token") }
    }

    @Test func bearer_parsesTheAuthorizationHeader() {
        #expect(AdminToken.bearer(in: "Bearer abc") == "abc")
        #expect(AdminToken.bearer(in: "bearer   abc") == "abc")
        #expect(AdminToken.bearer(in: "Basic abc") == nil)
        #expect(AdminToken.bearer(in: "Bearer") == nil)
        #expect(AdminToken.bearer(in: nil) == nil)
    }

    @Test func matches_comparesWholeTokens() {
        #expect(AdminToken.matches("abcdef", "abcdef"))
        #expect(!AdminToken.matches("abcdeg", "abcdef"))
        #expect(!AdminToken.matches("abc", "abcdef"))
        #expect(!AdminToken.matches("", "abcdef"))
    }
}
