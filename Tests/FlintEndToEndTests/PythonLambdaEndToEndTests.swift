import Foundation
import Testing

/// samples/python-lambda through a real `flint up`: an unchanged Lambda handler under awslambdaric
/// on warm instances, over its HTTP trigger and its queue trigger.
@Suite(.serialized) struct PythonLambdaEndToEndTests {
    static let sample = BucketEndToEndTests.repositoryRoot + "/samples/python-lambda"
    static let isVendored = FileManager.default.fileExists(atPath: sample + "/vendor/awslambdaric/bootstrap.py")
    static let notVendored = "awslambdaric is not in samples/python-lambda/vendor: run make python-lambda-deps (make test does)"

    /// The sample and its two triggers in a fresh project, with fast retries; its handlers run as
    /// Flint's default user (nobody when the tests run as root), as `make run` runs them.
    static func project() throws -> TestProject {
        let project = try TestProject(handlersAsRoot: false)
        try project.appendToConfig("bus: {retry_base: 20ms, retry_max: 100ms}\n")
        try FileManager.default.copyItem(atPath: sample, toPath: project.root + "/functions/python-lambda")
        for trigger in ["python-lambda-http", "python-lambda-queue"] {
            let path = "/triggers/\(trigger).yaml"
            try FileManager.default.copyItem(atPath: BucketEndToEndTests.repositoryRoot + path, toPath: project.root + path)
        }
        return project
    }

    @Test(.enabled(if: isVendored, Comment(rawValue: notVendored)))
    func httpTrigger_runsTheHandlerWarm_andARaisedExceptionIsAnError() async throws {
        let project = try Self.project()
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(project) }

        let first = try await daemon.request("GET", "/python-lambda/you")
        if first.status != 200 {
            let failed = try await record(daemon, first)
            let id = failed["id"] as? String ?? ""
            let log = try await daemon.request("GET", "/v1/invocations/\(id)/logs", authorized: true).text
            Issue.record("the first invocation answered \(first.status) \(first.text): \(failed); its log: \(log)")
        }
        let greeting = try first.json()
        #expect(greeting["message"] as? String == "Hello, you!")
        #expect(greeting["requestId"] as? String == first.headers["x-flint-invocation-id"])
        #expect(greeting["function"] as? String == "python-lambda")
        let remaining = greeting["remainingMs"] as? Int ?? -1
        #expect(remaining > 0 && remaining <= 10_000)
        #expect(greeting["invocationsOfThisInstance"] as? Int == 1)

        // The same process answers again: its module state has moved on.
        let second = try await daemon.request("GET", "/python-lambda/again")
        #expect(try second.json()["invocationsOfThisInstance"] as? Int == 2)

        let raised = try await daemon.request("GET", "/python-lambda/x?raise=1")
        #expect(raised.status == 500)
        #expect(try raised.json() as? [String: String] == ["message": "Internal Server Error"])

        let cold = try await record(daemon, first)
        #expect(cold["cold_start"] as? Bool == true)
        #expect((cold["init_duration_us"] as? Int ?? 0) > 0)
        let warm = try await record(daemon, second)
        #expect(warm["cold_start"] as? Bool == false)
        #expect(warm["init_duration_us"] is NSNull)  // there, and null: a warm invocation started nothing
        let failed = try await record(daemon, raised)
        #expect(failed["outcome"] as? String == "error")
        #expect(failed["error_message"] as? String == "ValueError: asked to fail for x")
        let id = try #require(raised.headers["x-flint-invocation-id"])
        let log = try await daemon.request("GET", "/v1/invocations/\(id)/logs", authorized: true)
        #expect(log.text.contains("asked to fail for x"), "\(log.text)")

        #expect(!Self.handlerProcesses(of: project).isEmpty)
        let stopped = try await BusEndToEndTests.offThread { try daemon.stop(within: 20) }
        #expect(stopped.status == 0)
        #expect(Self.handlerProcesses(of: project).isEmpty, "SIGTERM stops the warm instances")
    }

    @Test(.enabled(if: isVendored, Comment(rawValue: notVendored)))
    func queueTrigger_runsTheJob_andARaisedExceptionIsRetriedThenDeadLettered() async throws {
        let project = try Self.project()
        let daemon = try await BusEndToEndTests.offThread { try RunningDaemon(project) }
        let root = project.root
        let publish = { (data: String) async throws in
            let result = try await BusEndToEndTests.offThread { try FlintBinary.run(["publish", "jobs", "--data", data, "--project", root]) }
            #expect(result.status == 0, "\(result.stderr)")
        }

        try await publish(#"{"job": 1}"#)
        let done = try await eventually("job 1's invocation", within: 20) { () -> [[String: Any]]? in
            let all = try await invocations(daemon)
            return all.contains { $0["outcome"] as? String == "ok" } ? all : nil
        }
        #expect(done.first?["trigger"] as? String == "python-lambda-queue")

        // Published apart, so that the failing job is in a batch of its own.
        try await publish(#"{"job": 2, "raise": true}"#)
        let failures = try await eventually("three failed attempts", within: 20) { () -> [[String: Any]]? in
            let failed = try await invocations(daemon).filter { $0["outcome"] as? String == "error" }
            return failed.count >= 3 ? failed : nil
        }
        #expect(Set(failures.compactMap { $0["attempt"] as? Int }) == [1, 2, 3])
        #expect(failures.allSatisfy { $0["error_message"] as? String == "RuntimeError: job 2: asked to raise" })
        let letters = try await eventually("the dead letter", within: 10) { () -> [[String: Any]]? in
            let reply = try await daemon.request("GET", "/v1/deadletters", authorized: true)
            let letters = (try reply.json()["deadletters"] as? [[String: Any]]) ?? []
            return letters.isEmpty ? nil : letters
        }
        #expect(letters.count == 1)
        // Every attempt ran on the warm instance the first job started.
        #expect((try await invocations(daemon)).filter { $0["cold_start"] as? Bool == true }.count == 1)
        let stopped = try await BusEndToEndTests.offThread { try daemon.stop(within: 20) }
        #expect(stopped.status == 0)
        #expect(Self.handlerProcesses(of: project).isEmpty)
    }

    // MARK: Helpers

    private func record(_ daemon: RunningDaemon, _ reply: RunningDaemon.Reply) async throws -> [String: Any] {
        let id = try #require(reply.headers["x-flint-invocation-id"])
        return try await daemon.request("GET", "/v1/invocations/\(id)", authorized: true).json()
    }

    private func invocations(_ daemon: RunningDaemon) async throws -> [[String: Any]] {
        let reply = try await daemon.request("GET", "/v1/invocations?function=python-lambda", authorized: true)
        return (try reply.json()["invocations"] as? [[String: Any]]) ?? []
    }

    /// Processes working in the project's copy of the sample (LAMBDA_TASK_ROOT is their working
    /// directory): the warm instances, and nothing else on the machine.
    static func handlerProcesses(of project: TestProject) -> [Int32] {
        let directory = project.root + "/functions/python-lambda"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) == directory
        }
    }
}
