/// What the ledger holds for a period: figures per function, and for all of them together.
public struct UsageMeasurement: Sendable, Hashable {
    /// By function name; functions with no invocation in the period are absent.
    public var byFunction: [String: UsageFigures]
    /// All functions together; its busy time is the union over all of them, not their sum.
    public var totals: UsageFigures

    public init(byFunction: [String: UsageFigures], totals: UsageFigures) {
        self.byFunction = byFunction
        self.totals = totals
    }
}
