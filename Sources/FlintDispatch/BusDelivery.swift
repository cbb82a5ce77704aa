public import FlintCore
internal import Foundation

/// One invocation made of leased deliveries: the request it sends, and the settlements its
/// result leads to.
public struct BusDelivery: Sendable {
    public let subscription: BusSubscription
    public let leases: [Lease]
    public let invocationID: String

    /// Where Flint says the event came from (SQS ARNs, destination records).
    public struct Identity: Sendable, Hashable {
        public var region: String
        public var account: String
        public init(region: String, account: String) {
            self.region = region
            self.account = account
        }
    }

    public init(subscription: BusSubscription, leases: [Lease]) {
        self.subscription = subscription
        self.leases = leases
        // An asynchronous invocation's first attempt keeps the id its caller was given; later
        // attempts (a replayed dead letter's included) get their own, so no ledger row is replaced.
        if case .event = subscription.shape, let lease = leases.first, lease.attempt == 1, lease.previousInvocationID == nil {
            invocationID = lease.message.messageID
        } else {
            invocationID = InvocationRequest.newID()
        }
    }

    /// The message attribute that carries a bucket event's object path (`FLINT_OBJECT_PATH`).
    public static let objectPathAttribute = "flint.object_path"

    /// The invocation made of the first of `leases`: for an SQS batch, as many as keep its event
    /// within `payloadLimit` (Lambda's, by default); otherwise the first alone. The caller gives
    /// back the leases it did not take, or makes further invocations of them.
    public static func first(
        of leases: ArraySlice<Lease>, subscription: BusSubscription, identity: Identity, payloadLimit: Int = SQSEvent.payloadLimit
    ) -> (delivery: BusDelivery, request: InvocationRequest) {
        guard case .sqs = subscription.shape else {
            let delivery = BusDelivery(subscription: subscription, leases: Array(leases.prefix(1)))
            return (delivery, delivery.request(identity: identity))
        }
        let (payload, count) = SQSEvent.encode(
            leases.map(Self.record), region: identity.region, account: identity.account, sizeLimit: payloadLimit
        )
        let delivery = BusDelivery(subscription: subscription, leases: Array(leases.prefix(count)))
        return (delivery, delivery.sqsRequest(payload: payload))
    }

    /// The invocation's request, carrying every lease.
    public func request(identity: Identity) -> InvocationRequest {
        switch subscription.shape {
        case .sqs:
            return sqsRequest(payload: SQSEvent.encode(leases.map(Self.record), region: identity.region, account: identity.account))
        case .event:
            let attempt = leases.map(\.attempt).max() ?? 1
            let message = leases.first?.message
            return InvocationRequest(
                id: invocationID, function: subscription.function,
                trigger: message?.origin?.trigger ?? subscription.trigger,
                source: message?.origin?.source ?? subscription.source,
                attempt: attempt, payload: Data((message?.body ?? "").utf8), depth: message?.depth ?? 0,
                objectPath: message?.attributes[BusDelivery.objectPathAttribute]
            )
        }
    }

    private func sqsRequest(payload: Data) -> InvocationRequest {
        InvocationRequest(
            id: invocationID, function: subscription.function, trigger: subscription.trigger, source: subscription.source,
            attempt: leases.map(\.attempt).max() ?? 1, payload: payload, depth: leases.map(\.message.depth).max() ?? 0
        )
    }

    private static func record(_ lease: Lease) -> SQSMessageRecord {
        SQSMessageRecord(
            messageID: lease.message.messageID, receiptHandle: lease.token.description, body: lease.message.body,
            receiveCount: lease.attempt, sentAt: lease.message.publishedAt, firstReceivedAt: lease.firstReceivedAt,
            senderID: "flint", groupID: lease.message.groupKey, deduplicationID: lease.message.dedupKey,
            messageAttributes: lease.message.attributes, topic: lease.message.topic
        )
    }

    /// Settles every lease by the invocation's result: done, retried after a backoff, or dead
    /// after the function's last retry; plus the destination records it sends, if any.
    ///
    /// An invocation Flint itself stopped (`killed`: the daemon stopping past its drain deadline)
    /// did not fail: its messages go back to the bus at once, whatever retries are left, and the
    /// attempt is not counted against them.
    public func settle(
        _ result: InvocationResult, function: FunctionManifest, policy: RetryPolicy, identity: Identity
    ) -> (settlements: [Settlement], publications: [OutgoingMessage]) {
        let failures = failedMessages(result)
        let retries = result.record.outcome.isWorthRetrying ? function.retries : 0
        let interrupted = result.record.outcome == .killed
        var settlements: [Settlement] = []
        var publications: [OutgoingMessage] = []
        for lease in leases {
            let verdict: Settlement.Verdict
            if let error = failures[lease.message.messageID] {
                verdict = interrupted ? .interrupted(error: error) : policy.verdict(attempt: lease.attempt, retries: retries, error: error)
            } else {
                verdict = .done
            }
            settlements.append(Settlement(lease: lease.token, verdict: verdict, invocationID: result.record.id))
            if subscription.sendsDestinations, let record = destination(for: verdict, lease: lease, result: result, function: function, identity: identity) {
                publications.append(record)
            }
        }
        return (settlements, publications)
    }

    /// The messages that failed, each with the reason.
    private func failedMessages(_ result: InvocationResult) -> [String: String] {
        let ids = leases.map(\.message.messageID)
        guard result.record.outcome.isSuccess else {
            let reason = result.record.errorMessage ?? "invocation ended with outcome \(result.record.outcome.rawValue)"
            return Dictionary(ids.map { ($0, reason) }, uniquingKeysWith: { first, _ in first })
        }
        guard case .sqs = subscription.shape else { return [:] }
        switch SQSBatchResponse.parse(result.output, messageIDs: Set(ids)) {
        case .allSucceeded:
            return [:]
        case .someFailed(let failed):
            return Dictionary(failed.map { ($0, "reported in batchItemFailures by invocation \(result.record.id)") }, uniquingKeysWith: { first, _ in first })
        case .wholeBatchFailed(let reason):
            return Dictionary(ids.map { ($0, reason) }, uniquingKeysWith: { first, _ in first })
        }
    }

    private func destination(
        for verdict: Settlement.Verdict, lease: Lease, result: InvocationResult, function: FunctionManifest, identity: Identity
    ) -> OutgoingMessage? {
        let condition: DestinationRecord.Condition
        let topic: String?
        switch verdict {
        case .done: (condition, topic) = (.success, function.onSuccess)
        case .dead: (condition, topic) = (.retriesExhausted, function.onFailure)
        case .retry, .interrupted: return nil
        }
        guard let topic else { return nil }
        let outcome = result.record.outcome
        // A failure's response is the error document the synchronous call would have answered:
        // the runtime's own, or one saying what Flint saw (an exit status, a timeout).
        let response = outcome.isSuccess ? result.output : LambdaAPI.unhandledErrorBody(
            output: result.output, errorMessage: result.record.errorMessage ?? outcome.rawValue,
            errorType: LambdaAPI.unhandledErrorType(for: outcome))
        let record = DestinationRecord(
            requestID: lease.message.messageID,
            functionARN: LambdaAPI.functionARN(name: function.name, region: identity.region, account: identity.account) + ":$LATEST",
            condition: condition, approximateInvokeCount: lease.attempt, timestamp: Date(),
            requestPayload: Data(lease.message.body.utf8),
            functionError: condition == .success ? nil : "Unhandled",
            responsePayload: response
        )
        return OutgoingMessage(
            topic: topic, body: String(decoding: record.encoded(), as: UTF8.self),
            depth: lease.message.depth + 1
        )
    }
}
