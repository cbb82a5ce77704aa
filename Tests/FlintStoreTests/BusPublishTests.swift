import FlintCore
@testable import FlintStore
import Foundation
import GRDB
import Testing

@Suite struct BusPublishTests {
    // MARK: Refusals

    @Test func publish_toUnknownTopic_throwsNamingTheKnownTopicsExceptFlintsOwn() throws {
        let fixture = try BusFixture()
        #expect(throws: BusError.unknownTopic("nope", known: ["events", "orders", "silent"])) {
            try fixture.bus.publish([OutgoingMessage(topic: "nope", body: "x")], now: BusFixture.t0)
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
    }

    @Test func publish_toUnknownTopic_onEmptyBus_saysNoneIsDeclared() throws {
        let fixture = try BusFixture(BusTopology())
        var thrown: BusError?
        do {
            try fixture.bus.publish([OutgoingMessage(topic: "nope", body: "x")])
        } catch {
            thrown = error
        }
        #expect(thrown == .unknownTopic("nope", known: []))
        #expect(thrown?.description.contains("none is declared yet") == true)
    }

    @Test func publish_bodyOverOneMiB_isRefusedAsTooLarge() throws {
        let fixture = try BusFixture()
        let limit = 1024 * 1024
        #expect(Bus.maxBodyBytes == limit)
        #expect(throws: BusError.bodyTooLarge(topic: "orders", bytes: limit + 1, limit: limit)) {
            try fixture.bus.publish([OutgoingMessage(topic: "orders", body: String(repeating: "a", count: limit + 1))])
        }
        // Bytes count, not characters: 524,289 two-byte characters are 1,048,578 bytes.
        #expect(throws: BusError.bodyTooLarge(topic: "orders", bytes: limit + 2, limit: limit)) {
            try fixture.bus.publish([OutgoingMessage(topic: "orders", body: String(repeating: "é", count: limit / 2 + 1))])
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)

        // Exactly 1 MiB is accepted, by the Swift check and by the schema's CHECK constraint.
        let receipt = try fixture.publish("orders", String(repeating: "b", count: limit))
        #expect(receipt.duplicate == false)
        #expect(try fixture.scalar("SELECT length(CAST(body AS BLOB)) FROM messages") == limit)
    }

    @Test func publish_invalidJSONOnJSONTopic_throwsNotJSON_textTopicsTakeAnything() throws {
        let fixture = try BusFixture()
        #expect(throws: BusError.notJSON(topic: "events")) {
            try fixture.bus.publish([OutgoingMessage(topic: "events", body: #"{"a": "#)])
        }
        #expect(throws: BusError.notJSON(topic: "events")) {
            try fixture.bus.publish([OutgoingMessage(topic: "events", body: "")])
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)

        try fixture.publish("events", #"{"a": [1, 2, {"b": null}]}"#)
        try fixture.publish("events", "42")  // a scalar is a JSON document too
        try fixture.publish("orders", #"{"a": "#)
        #expect(try fixture.strings("SELECT topic FROM messages ORDER BY id") == ["events", "events", "orders"])
    }

    /// The Swift check (Foundation's parser) and the schema's trigger (SQLite's `json_valid`) must
    /// agree: invalid JSON is `notJSON` whichever catches it, and what SQLite takes is not refused.
    @Test(arguments: [
        (#"[1,]"#, false), (#"{"a":1,}"#, false), ("\u{FEFF}{}", false), ("NaN", false), ("01", false),
        ("1e999", true), (#""\ud800""#, true), (" -0 ", true),
    ])
    func publish_jsonCheckAgreesWithTheSchemas(_ body: String, _ valid: Bool) throws {
        let fixture = try BusFixture()
        #expect(try fixture.bus.database.read { db in try Bool.fetchOne(db, sql: "SELECT json_valid(?)", arguments: [body]) } == valid)
        var thrown: BusError?
        do {
            try fixture.bus.publish([OutgoingMessage(topic: "events", body: body)])
        } catch {
            thrown = error
        }
        #expect(thrown == (valid ? nil : .notJSON(topic: "events")), "body \(body.debugDescription)")
    }

    @Test func publish_batchWithOneBadMessage_storesNone() throws {
        let fixture = try BusFixture()
        let good = OutgoingMessage(topic: "orders", body: "good")
        #expect(throws: BusError.unknownTopic("nope", known: ["events", "orders", "silent"])) {
            try fixture.bus.publish([good, good, OutgoingMessage(topic: "nope", body: "bad")])
        }
        #expect(throws: BusError.notJSON(topic: "events")) {
            try fixture.bus.publish([good, OutgoingMessage(topic: "events", body: "not json"), good])
        }
        #expect(throws: BusError.bodyTooLarge(topic: "orders", bytes: Bus.maxBodyBytes + 1, limit: Bus.maxBodyBytes)) {
            try fixture.bus.publish([good, OutgoingMessage(topic: "orders", body: String(repeating: "x", count: Bus.maxBodyBytes + 1))])
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 0)

        let receipts = try fixture.bus.publish([good, good])
        #expect(receipts.count == 2)
        #expect(receipts[0].messageID != receipts[1].messageID)
        #expect(try fixture.bus.fanOut() == 2)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 4)
    }

    /// A refused batch names the message to fix: the one its refusal is about.
    @Test func refusalOfABatch_namesItsCulprit() throws {
        let fixture = try BusFixture()
        func culprit(_ messages: [OutgoingMessage]) throws -> Int? {
            do {
                try fixture.bus.publish(messages)
            } catch {
                return error.culprit(in: messages)
            }
            Issue.record("\(messages) was published")
            return nil
        }
        let fine = OutgoingMessage(topic: "events", body: "{}")
        #expect(try culprit([fine, OutgoingMessage(topic: "events", body: "{"), fine]) == 1)
        #expect(try culprit([fine, fine, OutgoingMessage(topic: "events", body: "\"" + String(repeating: "x", count: Bus.maxBodyBytes) + "\"")]) == 2)
        #expect(try culprit([OutgoingMessage(topic: "events", body: "{}", groupKey: "g\u{0}"), fine]) == 0)
        #expect(try culprit([fine, OutgoingMessage(topic: "nope", body: "{}")]) == nil, "an unknown topic is no one message's")
    }

    @Test func publishAsync_storesAndRefusesAsTheSynchronousOne() async throws {
        let fixture = try BusFixture()
        let receipts = try await fixture.bus.publish(
            [OutgoingMessage(topic: "orders", body: "one"), OutgoingMessage(topic: "events", body: "[]")], now: BusFixture.t0
        )
        #expect(receipts.map(\.duplicate) == [false, false])
        #expect(try fixture.strings("SELECT \(MessageID.effectiveSQL("messages")) FROM messages ORDER BY id") == receipts.map(\.messageID))

        await #expect(throws: BusError.unknownTopic("nope", known: ["events", "orders", "silent"])) {
            try await fixture.bus.publish([OutgoingMessage(topic: "orders", body: "x"), OutgoingMessage(topic: "nope", body: "x")])
        }
        await #expect(throws: BusError.notJSON(topic: "events")) {
            try await fixture.bus.publish([OutgoingMessage(topic: "events", body: "{")])
        }
        await #expect(throws: BusError.bodyTooLarge(topic: "orders", bytes: Bus.maxBodyBytes + 1, limit: Bus.maxBodyBytes)) {
            try await fixture.bus.publish([OutgoingMessage(topic: "orders", body: String(repeating: "x", count: Bus.maxBodyBytes + 1))])
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 2)
    }

    /// GRDB binds Swift strings as NUL-terminated C strings, so whatever follows a U+0000 would be
    /// lost. The bus must keep the whole text or refuse it (SQS refuses U+0000 in bodies).
    @Test func publish_textWithNUL_isRefused_andStoresNothing() throws {
        let fixture = try BusFixture()
        #expect(throws: BusError.nulCharacter(topic: "orders", field: "body")) {
            try fixture.bus.publish([OutgoingMessage(topic: "orders", body: "before\u{0}after")], now: BusFixture.t0)
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        // Attributes are stored as JSON, where a NUL would survive; refused all the same, as SQS
        // refuses it, in a name as in a value.
        #expect(throws: BusError.nulCharacter(topic: "orders", field: #"attribute "k""#)) {
            try fixture.bus.publish([OutgoingMessage(topic: "orders", body: "x", attributes: ["k": "v\u{0}w"])], now: BusFixture.t0)
        }
        #expect(throws: BusError.nulCharacter(topic: "orders", field: #"attribute "k\0""#)) {
            try fixture.bus.publish([OutgoingMessage(topic: "orders", body: "x", attributes: ["k\u{0}": "v"])], now: BusFixture.t0)
        }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
    }

    @Test func publish_dedupKeyWithNUL_isRefused_ratherThanCollidingWithAnother() throws {
        let fixture = try BusFixture()
        #expect(throws: BusError.nulCharacter(topic: "orders", field: "dedup key")) {
            try fixture.publish("orders", "one", dedup: "key\u{0}one")
        }
        #expect(throws: BusError.nulCharacter(topic: "orders", field: "group key")) {
            try fixture.bus.publish([OutgoingMessage(topic: "orders", body: "x", groupKey: "g\u{0}")])
        }
    }

    @Test func publish_givenMessageID_isKept_otherwiseALowercaseUUID() throws {
        let fixture = try BusFixture()
        let receipts = try fixture.bus.publish([
            OutgoingMessage(topic: "orders", body: "a", messageID: "caller-chose-this"),
            OutgoingMessage(topic: "orders", body: "b"),
        ])
        #expect(receipts[0] == PublishReceipt(messageID: "caller-chose-this", duplicate: false))
        #expect(UUID(uuidString: receipts[1].messageID) != nil)
        #expect(receipts[1].messageID == receipts[1].messageID.lowercased())
    }

    @Test func topics_listsWhatWasRegisteredWithFormats() throws {
        let fixture = try BusFixture()
        #expect(try fixture.bus.topics() == ["orders": .text, "events": .json, "silent": .text, "flint.invoke.echo": .text])
        // Registering again changes a topic's format.
        try fixture.bus.register(BusTopology(topics: ["orders": .json]), retireOthers: false)
        #expect(try fixture.bus.topics()["orders"] == .json)
    }

    // MARK: Deduplication

    @Test func publish_sameDedupKeyOnSameTopic_returnsTheFirstIDAsDuplicate() throws {
        let fixture = try BusFixture()
        let first = try fixture.publish("orders", "first", dedup: "order-17")
        let second = try fixture.publish("orders", "second", dedup: "order-17")
        #expect(first.duplicate == false)
        #expect(second == PublishReceipt(messageID: first.messageID, duplicate: true))
        #expect(try fixture.strings("SELECT body FROM messages") == ["first"])
        #expect(try fixture.states("billing") == ["ready"])
        #expect(try fixture.states("shipping") == ["ready"])
    }

    @Test func publish_sameDedupKeyWithinOneBatch_storesOne() throws {
        let fixture = try BusFixture()
        let receipts = try fixture.bus.publish([
            OutgoingMessage(topic: "orders", body: "a", dedupKey: "k"),
            OutgoingMessage(topic: "orders", body: "b", dedupKey: "k"),
        ])
        #expect(receipts[1] == PublishReceipt(messageID: receipts[0].messageID, duplicate: true))
        #expect(try fixture.bus.fanOut() == 1)
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 2)
    }

    @Test func publish_sameDedupKeyOnAnotherTopic_isADifferentMessage() throws {
        let fixture = try BusFixture()
        let orders = try fixture.publish("orders", "o", dedup: "shared")
        let silent = try fixture.publish("silent", "s", dedup: "shared")
        #expect(silent.duplicate == false)
        #expect(silent.messageID != orders.messageID)
        #expect(try fixture.scalar("SELECT count(*) FROM messages WHERE dedup_key = 'shared'") == 2)
    }

    @Test func publish_withoutDedupKey_neverDeduplicates() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "same")
        try fixture.publish("orders", "same")
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 2)
        #expect(try fixture.states("billing") == ["ready", "ready"])
    }

    // MARK: Fan-out

    @Test func publish_fansOutOneDeliveryPerActiveSubscription() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "o", at: BusFixture.t0)
        let rows = try fixture.strings("""
            SELECT subscription || '>' || function || '@' || state || '#' || attempt || '+' || (visible_at_us = \(Int64(BusFixture.t0.timeIntervalSince1970) * 1_000_000))
            FROM deliveries ORDER BY subscription
            """)
        #expect(rows == ["billing>bill@ready#0+1", "shipping>ship@ready#0+1"])

        try fixture.publish("silent", "nobody listens")
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 2)
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 2)
    }

    @Test func register_retiringOthers_stopsDeliveriesToRetiredSubscriptionsButKeepsTheirPendingOnes() throws {
        let fixture = try BusFixture()
        try fixture.publish("orders", "before")
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "billing", topic: "orders", function: "bill")]),
            retireOthers: true
        )
        try fixture.publish("orders", "after")
        #expect(try fixture.states("billing") == ["ready", "ready"])
        #expect(try fixture.states("shipping") == ["ready"])  // the one from before stays
        #expect(try fixture.strings("SELECT name FROM subscriptions WHERE active ORDER BY name") == ["billing"])

        // Registering a retired subscription again brings it back.
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "shipping", topic: "orders", function: "ship")]),
            retireOthers: false
        )
        try fixture.publish("orders", "back")
        #expect(try fixture.states("shipping") == ["ready", "ready"])
    }

    /// Published while `shipping` was active, not fanned out yet (a daemon was down): the
    /// retiring register writes its delivery first, and counts it as waiting for a retired one.
    @Test func register_retiring_keepsWhatWasPublishedBeforeForTheRetired_andCountsItAsWaiting() throws {
        let fixture = try BusFixture()
        try fixture.bus.publish([OutgoingMessage(topic: "orders", body: "while down")])
        #expect(try fixture.scalar("SELECT count(*) FROM deliveries") == 0, "not fanned out yet")
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "billing", topic: "orders", function: "bill")]),
            retireOthers: true
        )
        #expect(try fixture.states("shipping") == ["ready"])
        #expect(try fixture.states("billing") == ["ready"])
        let waiting = try fixture.bus.waitingForRetiredSubscriptions()
        #expect(waiting.map(\.subscription) == ["shipping"])
        #expect(waiting.map(\.count) == [1])

        // Back under its name, it takes what waited for it.
        try fixture.bus.register(BusFixture.orders, retireOthers: true)
        #expect(try fixture.bus.waitingForRetiredSubscriptions().isEmpty)
        #expect(try fixture.bus.claim(subscription: "shipping", limit: 10, leaseFor: .seconds(60)).map(\.message.body) == ["while down"])
    }

    @Test func register_withoutRetiring_leavesOtherSubscriptionsActive() throws {
        let fixture = try BusFixture()
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "late", topic: "orders", function: "late")]),
            retireOthers: false
        )
        try fixture.publish("orders", "o")
        #expect(try fixture.strings("SELECT subscription FROM deliveries ORDER BY subscription") == ["billing", "late", "shipping"])
    }

    @Test func register_retiringWithAnEmptyTopology_retiresEverySubscriptionAndTopic() throws {
        let fixture = try BusFixture()
        try fixture.bus.register(BusTopology(), retireOthers: true)
        #expect(throws: BusError.unknownTopic("orders", known: [])) { try fixture.publish("orders", "o") }
        #expect(try fixture.scalar("SELECT count(*) FROM messages") == 0)
        #expect(try fixture.scalar("SELECT count(*) FROM subscriptions WHERE active") == 0)
    }

    /// A topic the project stops naming takes no more messages, which nothing would receive, by
    /// any path (a plain INSERT included); named again, it takes them again.
    @Test func register_retiresTopicsTheProjectNoLongerNames_andRevivesThemWhenNamedAgain() throws {
        let fixture = try BusFixture()
        try fixture.bus.register(BusTopology(topics: ["events": .json], subscriptions: []), retireOthers: true)
        #expect(throws: BusError.unknownTopic("orders", known: ["events"])) { try fixture.publish("orders", "o") }
        let insert = try SQLiteShell.run(fixture.path, "INSERT INTO messages (topic, body) VALUES ('orders', 'o');")
        #expect(insert.status != 0)
        #expect(insert.error.contains("retired topic: nothing in the project names it any more"), "\(insert.error)")
        #expect(try fixture.bus.topics() == ["events": .json])

        // `flint publish` registers without retiring: a topic the project names again is back.
        try fixture.bus.register(BusFixture.orders, retireOthers: false)
        #expect(try fixture.publish("orders", "o").duplicate == false)
    }

    @Test func register_movingASubscriptionToAnotherFunction_routesNewMessagesThere() throws {
        let fixture = try BusFixture()
        try fixture.bus.register(
            BusTopology(topics: ["orders": .text], subscriptions: [.init(name: "billing", topic: "orders", function: "bill-v2")]),
            retireOthers: false
        )
        try fixture.publish("orders", "o")
        #expect(try fixture.strings("SELECT function FROM deliveries WHERE subscription = 'billing'") == ["bill-v2"])
    }
}
