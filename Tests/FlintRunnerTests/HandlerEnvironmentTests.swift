import FlintCore
import Foundation
import Testing

@testable import FlintRunner

@Suite struct HandlerEnvironmentTests {
    @Test func logStreamName_isLambdaShaped() {
        let date = Date(timeIntervalSince1970: 1_704_153_600)  // 2024-01-02T00:00:00Z
        #expect(
            HandlerEnvironment.logStreamName(invocationID: "0a1b2c3d-0000-4000-8000-00000000000f", at: date)
                == "2024/01/02/[$LATEST]0a1b2c3d00004000800000000000000f"
        )
    }

    @Test func deadline_isStartPlusTimeout_inEpochMillis() throws {
        let startedAt = Date(timeIntervalSince1970: 1_000)
        let function = FunctionManifest(name: "f", directory: "/fn", command: ["x"], timeout: .milliseconds(1500))
        let request = InvocationRequest(function: "f", source: .http, payload: Data())
        let environment = try HandlerEnvironment(
            request: request, function: function, workingDirectory: "/w", startedAt: startedAt, region: "eu-west-1"
        )
        #expect(environment.variables["FLINT_DEADLINE_MS"] == "1001500")
        #expect(environment.variables["AWS_REGION"] == "eu-west-1")
        #expect(environment.variables["AWS_DEFAULT_REGION"] == "eu-west-1")
        #expect(environment.variables["FLINT_SOURCE"] == "http")
        #expect(environment.variables["_LAMBDA_TELEMETRY_LOG_FD"] == nil)
        #expect(environment.variables["AWS_LAMBDA_MAX_CONCURRENCY"] == nil)
        #expect(environment.variables["AWS_LAMBDA_INITIALIZATION_TYPE"] == nil)
        #expect(environment.entries.contains("HOME=/w"))
    }

    @Test func invalidManifestNames_areRefused() {
        let request = InvocationRequest(function: "f", source: .http, payload: Data())
        for bad in ["", "A=B", "A\u{0}"] {
            let function = FunctionManifest(name: "f", directory: "/fn", command: ["x"], environment: [bad: "v"])
            #expect(throws: HandlerEnvironment.InvalidVariable(name: bad)) {
                try HandlerEnvironment(
                    request: request, function: function, workingDirectory: "/w", startedAt: Date(), region: "r"
                )
            }
        }
    }
}
