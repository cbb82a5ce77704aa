@testable import FlintServer
import Testing

@Suite struct WarningThrottleTests {
    @Test func letsOneWarningThroughPerInterval() {
        let throttle = WarningThrottle(interval: 3600)
        #expect(throttle.allows())
        #expect(!throttle.allows())
        #expect(!throttle.allows())
        // Another throttle counts its own interval.
        #expect(WarningThrottle(interval: 3600).allows())
    }

    @Test func anIntervalOfZero_letsEveryWarningThrough() {
        let throttle = WarningThrottle(interval: 0)
        #expect(throttle.allows())
        #expect(throttle.allows())
    }
}
