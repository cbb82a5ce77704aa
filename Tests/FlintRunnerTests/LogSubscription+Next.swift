import FlintRunner

/// The next event of `subscription`, or nil when none came within `timeout` (the subscription is
/// then ended).
func nextEvent(_ subscription: LogSubscription, within timeout: Duration = .seconds(10)) async -> HandlerLogEvent? {
    await withTaskGroup(of: HandlerLogEvent?.self) { group in
        group.addTask { await subscription.next() }
        group.addTask {
            // Cancelled: the event came first.
            guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
            subscription.cancel()
            return nil
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first
    }
}
