import FlintCore
@testable import FlintDispatch
import FlintStore
import Foundation
import Testing

@Suite struct BusDeliveryTests {
    static let identity = BusDelivery.Identity(region: "eu-west-1", account: "123456789012")
    static let sentAt = Date(timeIntervalSince1970: 1_750_000_000.25)
    static let firstReceivedAt = Date(timeIntervalSince1970: 1_750_000_001.5)

    static let queue = BusSubscription(
        name: "orders-queue", function: "worker", trigger: "orders-queue", source: .queue, shape: .sqs(batch: 10, window: .zero)
    )
    static let async = BusSubscription(
        name: "flint.invoke.worker", function: "worker", trigger: nil, source: .lambda, shape: .event, sendsDestinations: true
    )

    static func lease(
        _ id: String, body: String, delivery: Int64, epoch: Int64 = 1, attempt: Int = 1, topic: String = "orders",
        group: String? = nil, dedup: String? = nil, attributes: [String: String] = [:], origin: MessageOrigin? = nil, depth: Int = 0
    ) -> Lease {
        Lease(
            token: LeaseToken(deliveryID: delivery, epoch: epoch), attempt: attempt, firstReceivedAt: firstReceivedAt,
            message: BusMessage(
                rowID: delivery, messageID: id, topic: topic, body: body, attributes: attributes, dedupKey: dedup,
                groupKey: group, origin: origin, depth: depth, publishedAt: sentAt
            )
        )
    }

    static func function(retries: Int = 2, onSuccess: String? = nil, onFailure: String? = nil) -> FunctionManifest {
        FunctionManifest(name: "worker", directory: "/tmp", command: ["cat"], retries: retries, onSuccess: onSuccess, onFailure: onFailure)
    }

    static func result(_ outcome: InvocationOutcome, output: String = "", id: String = "invocation-1") -> InvocationResult {
        let now = Date()
        let record = InvocationRecord(
            id: id, function: "worker", trigger: nil, source: .queue, attempt: 1, startedAt: now, endedAt: now,
            durationMicros: 1, memoryLimitMB: 256, peakRSSBytes: 0, userCPUMicros: 0, systemCPUMicros: 0,
            exitCode: outcome == .ok ? 0 : 1, signal: nil, coldStart: false, outcome: outcome,
            errorMessage: outcome == .ok ? nil : "exit status 1"
        )
        return InvocationResult(record: record, output: Data(output.utf8), log: Data())
    }

    static func json(_ data: Data) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    // MARK: Requests

    @Test func sqsRequest_carriesOneRecordPerLease() throws {
        let delivery = BusDelivery(subscription: Self.queue, leases: [
            Self.lease("m-1", body: "hello", delivery: 7, epoch: 3, attempt: 2, group: "g", dedup: "d", attributes: ["color": "red"]),
            Self.lease("m-2", body: "The quick brown fox jumps over the lazy dog", delivery: 8, epoch: 1, attempt: 1),
        ])
        let request = delivery.request(identity: Self.identity)
        #expect(request.function == "worker")
        #expect(request.trigger == "orders-queue")
        #expect(request.source == .queue)
        #expect(request.attempt == 2)  // the most any of its messages was received
        #expect(request.id == delivery.invocationID)

        let records = try #require(try Self.json(request.payload)["Records"] as? [[String: Any]])
        #expect(records.count == 2)
        #expect(records.map { $0["messageId"] as? String } == ["m-1", "m-2"])
        #expect(records.map { $0["receiptHandle"] as? String } == ["7.3", "8.1"])
        #expect(records.map { $0["body"] as? String } == ["hello", "The quick brown fox jumps over the lazy dog"])
        #expect(records.map { $0["md5OfBody"] as? String } == ["5d41402abc4b2a76b9719d911017c592", "9e107d9d372bb6826bd81d3542a419d6"])
        #expect(records.map { $0["eventSourceARN"] as? String } == Array(repeating: "arn:aws:sqs:eu-west-1:123456789012:orders", count: 2))
        #expect(records.map { $0["awsRegion"] as? String } == ["eu-west-1", "eu-west-1"])

        let first = try #require(records[0]["attributes"] as? [String: String])
        #expect(first == [
            "ApproximateReceiveCount": "2", "SentTimestamp": "1750000000250", "ApproximateFirstReceiveTimestamp": "1750000001500",
            "SenderId": "flint", "MessageGroupId": "g", "MessageDeduplicationId": "d",
        ])
        let second = try #require(records[1]["attributes"] as? [String: String])
        #expect(second["ApproximateReceiveCount"] == "1")
        #expect(second["MessageGroupId"] == nil)
        let attributes = try #require(records[0]["messageAttributes"] as? [String: [String: Any]])
        #expect(attributes["color"]?["stringValue"] as? String == "red")
        #expect(attributes["color"]?["dataType"] as? String == "String")
    }

    @Test func eventRequest_passesTheBodyAsThePayload_andKeepsTheMessageIDOnTheFirstAttemptOnly() throws {
        let first = BusDelivery(subscription: Self.async, leases: [Self.lease("invocation-42", body: #"{"x":1}"#, delivery: 1, attempt: 1)])
        let request = first.request(identity: Self.identity)
        #expect(request.id == "invocation-42")
        #expect(first.invocationID == "invocation-42")
        #expect(request.payload == Data(#"{"x":1}"#.utf8))
        #expect(request.source == .lambda)
        #expect(request.trigger == nil)
        #expect(request.attempt == 1)

        let second = BusDelivery(subscription: Self.async, leases: [Self.lease("invocation-42", body: #"{"x":1}"#, delivery: 1, epoch: 2, attempt: 2)])
        let retried = second.request(identity: Self.identity)
        #expect(retried.id != "invocation-42")
        #expect(UUID(uuidString: retried.id) != nil)
        #expect(retried.attempt == 2)
        #expect(retried.payload == Data(#"{"x":1}"#.utf8))
    }

    @Test func eventRequest_takesSourceAndTriggerFromTheMessagesOrigin() {
        let schedule = BusSubscription(name: "flint.schedule.nightly", function: "worker", trigger: "nightly", source: .schedule, shape: .event)
        let fromHTTP = BusDelivery(subscription: Self.async, leases: [
            Self.lease("i", body: "{}", delivery: 1, origin: MessageOrigin(source: .http, trigger: "api")),
        ]).request(identity: Self.identity)
        #expect(fromHTTP.source == .http)
        #expect(fromHTTP.trigger == "api")
        let tick = BusDelivery(subscription: schedule, leases: [Self.lease("t", body: "{}", delivery: 2)]).request(identity: Self.identity)
        #expect(tick.source == .schedule)
        #expect(tick.trigger == "nightly")
    }

    @Test func sqsRequest_neverReusesTheMessageIDAsTheInvocationID() {
        let delivery = BusDelivery(subscription: Self.queue, leases: [Self.lease("m-1", body: "x", delivery: 1, attempt: 1)])
        #expect(delivery.invocationID != "m-1")
    }

    @Test func replayedAsyncInvocation_doesNotOverwriteTheFirstAttemptsLedgerRow() async throws {
        let directory = try ConsumerScratchDirectory()
        let database = try FlintDatabase(path: directory.path + "/flint.sqlite")
        let bus = Bus(database: database)
        let ledger = InvocationLedger(database: database)
        try bus.register(BusTopology(
            topics: ["flint.invoke.worker": .text],
            subscriptions: [.init(name: "flint.invoke.worker", topic: "flint.invoke.worker", function: "worker")]
        ), retireOthers: true)
        try await bus.publish([OutgoingMessage(topic: "flint.invoke.worker", body: "{}", messageID: "request-1")])

        // The first run fails for good (no retries) and becomes a dead letter.
        let first = BusDelivery(subscription: Self.async, leases: try bus.claim(subscription: "flint.invoke.worker", limit: 1, leaseFor: .seconds(60)))
        #expect(first.invocationID == "request-1")
        let failed = Self.result(.error, id: first.invocationID)
        try await ledger.append([.init(record: failed.record, log: Data("first run".utf8))])
        try bus.settle(first.settle(failed, function: Self.function(retries: 0), policy: RetryPolicy(), identity: Self.identity).settlements)
        #expect(try bus.deadLetters().map(\.messageID) == ["request-1"])

        // Replayed, it runs again: that run must be a new ledger row, not replace the first one's.
        #expect(try bus.replay(ids: nil).count == 1)
        let again = BusDelivery(subscription: Self.async, leases: try bus.claim(subscription: "flint.invoke.worker", limit: 1, leaseFor: .seconds(60)))
        #expect(again.leases.map(\.attempt) == [1])
        let succeeded = Self.result(.ok, id: again.invocationID)
        try await ledger.append([.init(record: succeeded.record, log: Data("second run".utf8))])
        #expect(again.invocationID != first.invocationID, "the replayed run reuses the first run's invocation id")
        #expect(try await ledger.log(id: first.invocationID) == Data("first run".utf8))
        #expect(try await ledger.recent(limit: 10).count == 2)
    }

    // MARK: Settling

    @Test func settle_failedInvocation_failsEveryLease_retryingOrKillingByAttempt() {
        let leases = [
            Self.lease("m-1", body: "a", delivery: 1, attempt: 1),
            Self.lease("m-2", body: "b", delivery: 2, epoch: 5, attempt: 3),
        ]
        let delivery = BusDelivery(subscription: Self.queue, leases: leases)
        let (settlements, publications) = delivery.settle(
            Self.result(.error, id: "inv-err"), function: Self.function(retries: 2), policy: RetryPolicy(base: .seconds(1), max: .seconds(300)),
            identity: Self.identity
        )
        #expect(publications.isEmpty)
        #expect(settlements.map(\.lease) == leases.map(\.token))
        #expect(settlements.map(\.invocationID) == ["inv-err", "inv-err"])
        guard case .retry(let delay, let error) = settlements[0].verdict else {
            Issue.record("attempt 1 of 3 was not retried: \(settlements[0].verdict)")
            return
        }
        #expect(delay >= .milliseconds(500) && delay <= .seconds(1))
        #expect(error == "exit status 1")
        #expect(settlements[1].verdict == .dead(error: "exit status 1"))
    }

    @Test func settle_invocationFlintKilled_goesBackToTheBusAtOnce_whateverRetriesAreLeft() {
        var result = Self.result(.killed)
        result.record.errorMessage = "killed: the instance was stopped (Flint is shutting down)"
        let delivery = BusDelivery(subscription: Self.queue, leases: [Self.lease("m-1", body: "a", delivery: 1, attempt: 3)])
        let (settlements, publications) = delivery.settle(result, function: Self.function(retries: 0), policy: RetryPolicy(), identity: Self.identity)
        #expect(settlements.map(\.verdict) == [.interrupted(error: "killed: the instance was stopped (Flint is shutting down)")])
        #expect(publications.isEmpty)
    }

    @Test func settle_timeoutWithoutAMessage_namesTheOutcome() {
        var result = Self.result(.timeout)
        result.record.errorMessage = nil
        let delivery = BusDelivery(subscription: Self.queue, leases: [Self.lease("m-1", body: "a", delivery: 1, attempt: 9)])
        let (settlements, _) = delivery.settle(result, function: Self.function(retries: 2), policy: RetryPolicy(), identity: Self.identity)
        #expect(settlements.map(\.verdict) == [.dead(error: "invocation ended with outcome timeout")])
    }

    @Test func settle_batchItemFailures_failOnlyTheNamedMessages() {
        let leases = [
            Self.lease("m-1", body: "a", delivery: 1, attempt: 1),
            Self.lease("m-2", body: "b", delivery: 2, attempt: 1),
            Self.lease("m-3", body: "c", delivery: 3, attempt: 3),
        ]
        let output = #"{"batchItemFailures":[{"itemIdentifier":"m-2"},{"itemIdentifier":"m-3"}]}"#
        let delivery = BusDelivery(subscription: Self.queue, leases: leases)
        let (settlements, _) = delivery.settle(Self.result(.ok, output: output), function: Self.function(retries: 2), policy: RetryPolicy(), identity: Self.identity)
        #expect(settlements[0].verdict == .done)
        guard case .retry(_, let error) = settlements[1].verdict else {
            Issue.record("m-2 was not retried: \(settlements[1].verdict)")
            return
        }
        #expect(error == "reported in batchItemFailures by invocation invocation-1")
        #expect(settlements[2].verdict == .dead(error: "reported in batchItemFailures by invocation invocation-1"))
    }

    @Test func settle_invalidJSONOutputOnAQueue_failsTheWholeBatch() {
        let leases = [Self.lease("m-1", body: "a", delivery: 1, attempt: 3), Self.lease("m-2", body: "b", delivery: 2, attempt: 3)]
        let delivery = BusDelivery(subscription: Self.queue, leases: leases)
        let (settlements, _) = delivery.settle(Self.result(.ok, output: "{not json"), function: Self.function(retries: 2), policy: RetryPolicy(), identity: Self.identity)
        let reason = "the output is not valid JSON, so it cannot say which messages failed"
        #expect(settlements.map(\.verdict) == [.dead(error: reason), .dead(error: reason)])
    }

    @Test func settle_unknownItemIdentifier_failsTheWholeBatch() {
        let leases = [Self.lease("m-1", body: "a", delivery: 1, attempt: 3)]
        let delivery = BusDelivery(subscription: Self.queue, leases: leases)
        let (settlements, _) = delivery.settle(
            Self.result(.ok, output: #"{"batchItemFailures":[{"itemIdentifier":"someone-else"}]}"#),
            function: Self.function(retries: 2), policy: RetryPolicy(), identity: Self.identity
        )
        guard case .dead(let error) = settlements.first?.verdict else {
            Issue.record("expected dead, got \(settlements)")
            return
        }
        #expect(error.contains("someone-else"))
    }

    @Test func settle_successfulQueueInvocation_withEmptyOrPlainOutput_isDone() {
        let leases = [Self.lease("m-1", body: "a", delivery: 1), Self.lease("m-2", body: "b", delivery: 2)]
        let delivery = BusDelivery(subscription: Self.queue, leases: leases)
        for output in ["", "  \n", "null", #"{"batchItemFailures":[]}"#, #"{"statusCode":200}"#] {
            let (settlements, _) = delivery.settle(Self.result(.ok, output: output), function: Self.function(), policy: RetryPolicy(), identity: Self.identity)
            #expect(settlements.map(\.verdict) == [.done, .done], "output \(output)")
        }
    }

    @Test func settle_eventSubscription_ignoresTheOutputsShape() {
        let delivery = BusDelivery(subscription: Self.async, leases: [Self.lease("i-1", body: "{}", delivery: 1)])
        let (settlements, _) = delivery.settle(Self.result(.ok, output: "{not json"), function: Self.function(), policy: RetryPolicy(), identity: Self.identity)
        #expect(settlements.map(\.verdict) == [.done])
    }

    // MARK: Destinations

    @Test func settle_done_sendsASuccessRecordToOnSuccess() throws {
        let function = Self.function(retries: 2, onSuccess: "worked", onFailure: "failed")
        let delivery = BusDelivery(subscription: Self.async, leases: [Self.lease("i-1", body: #"{"in":1}"#, delivery: 1, attempt: 2, depth: 4)])
        let (settlements, publications) = delivery.settle(
            Self.result(.ok, output: #"{"out":2}"#, id: "inv-7"), function: function, policy: RetryPolicy(), identity: Self.identity
        )
        #expect(settlements.map(\.verdict) == [.done])
        #expect(publications.map(\.topic) == ["worked"])
        #expect(publications.map(\.depth) == [5])
        let record = try Self.json(Data(try #require(publications.first).body.utf8))
        let context = try #require(record["requestContext"] as? [String: Any])
        #expect(context["condition"] as? String == "Success")
        #expect(context["requestId"] as? String == "i-1")
        // Qualified with the version that ran, as Lambda's records are.
        #expect(context["functionArn"] as? String == "arn:aws:lambda:eu-west-1:123456789012:function:worker:$LATEST")
        #expect(context["approximateInvokeCount"] as? Int == 2)
        #expect((record["requestPayload"] as? [String: Any])?["in"] as? Int == 1)
        #expect((record["responsePayload"] as? [String: Any])?["out"] as? Int == 2)
        #expect((record["responseContext"] as? [String: Any])?["functionError"] == nil)
    }

    @Test func settle_dead_sendsAFailureRecordToOnFailure_retrySendsNothing() throws {
        let function = Self.function(retries: 2, onSuccess: "worked", onFailure: "failed")
        let last = BusDelivery(subscription: Self.async, leases: [Self.lease("i-1", body: "{}", delivery: 1, attempt: 3)])
        let (dead, deadPublications) = last.settle(Self.result(.error), function: function, policy: RetryPolicy(), identity: Self.identity)
        #expect(dead.map(\.verdict) == [.dead(error: "exit status 1")])
        #expect(deadPublications.map(\.topic) == ["failed"])
        let record = try Self.json(Data(try #require(deadPublications.first).body.utf8))
        #expect((record["requestContext"] as? [String: Any])?["condition"] as? String == "RetriesExhausted")
        #expect((record["requestContext"] as? [String: Any])?["approximateInvokeCount"] as? Int == 3)
        #expect((record["responseContext"] as? [String: Any])?["functionError"] as? String == "Unhandled")
        // What Flint saw, as the synchronous call would have answered it: the handler wrote nothing.
        let response = try #require(record["responsePayload"] as? [String: Any])
        #expect(response["errorMessage"] as? String == "exit status 1")
        #expect(response["errorType"] as? String == "Runtime.ExitError")

        let early = BusDelivery(subscription: Self.async, leases: [Self.lease("i-1", body: "{}", delivery: 1, attempt: 1)])
        let (retry, retryPublications) = early.settle(Self.result(.error), function: function, policy: RetryPolicy(), identity: Self.identity)
        if case .retry = retry.first?.verdict {} else { Issue.record("attempt 1 was not retried: \(retry)") }
        #expect(retryPublications.isEmpty)
    }

    @Test func settle_dead_afterATimeout_recordsSandboxTimedout_andKeepsARuntimesOwnErrorDocument() throws {
        let function = Self.function(retries: 0, onFailure: "failed")
        let delivery = BusDelivery(subscription: Self.async, leases: [Self.lease("i-1", body: "{}", delivery: 1, attempt: 1)])
        let timedOut = delivery.settle(Self.result(.timeout), function: function, policy: RetryPolicy(), identity: Self.identity).publications
        let timeout = try Self.json(Data(try #require(timedOut.first).body.utf8))
        #expect((timeout["responsePayload"] as? [String: Any])?["errorType"] as? String == "Sandbox.Timedout")

        let document = #"{"errorMessage":"division by zero","errorType":"ZeroDivisionError","stackTrace":[]}"#
        let raised = delivery.settle(Self.result(.error, output: document), function: function, policy: RetryPolicy(), identity: Self.identity).publications
        let error = try Self.json(Data(try #require(raised.first).body.utf8))
        #expect((error["responsePayload"] as? [String: Any])?["errorType"] as? String == "ZeroDivisionError")
    }

    @Test func settle_sendsNoDestinationsWhenTheSubscriptionDoesNot_orNoTopicIsSet() {
        let both = Self.function(onSuccess: "worked", onFailure: "failed")
        let queue = BusDelivery(subscription: Self.queue, leases: [Self.lease("m-1", body: "a", delivery: 1)])
        #expect(queue.settle(Self.result(.ok), function: both, policy: RetryPolicy(), identity: Self.identity).publications.isEmpty)

        let onlyFailure = Self.function(onFailure: "failed")
        let async = BusDelivery(subscription: Self.async, leases: [Self.lease("i-1", body: "{}", delivery: 1)])
        #expect(async.settle(Self.result(.ok), function: onlyFailure, policy: RetryPolicy(), identity: Self.identity).publications.isEmpty)
    }
}
