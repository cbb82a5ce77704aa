import FlintCore
import Foundation
import Testing

@Suite struct ScheduledEventTests {
    @Test func tick_isWrittenAsEventBridgeWritesIt_inWholeSecondsUTC() {
        let event = ScheduledEvent.encode(
            id: "inv-1", time: Date(timeIntervalSince1970: 1_551_403_425.987), region: "local", account: "000000000000",
            trigger: "nightly#2"
        )
        #expect(String(decoding: event, as: UTF8.self) == #"{"account":"000000000000","detail":{},"detail-type":"Scheduled Event","#
            + #""id":"inv-1","region":"local","resources":["arn:aws:events:local:000000000000:rule/nightly#2"],"#
            + #""source":"aws.events","time":"2019-03-01T01:23:45Z","version":"0"}"#)
    }
}
