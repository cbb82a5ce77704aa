/// What invocations cost: `pricing` in `flint.yaml`. Every key is optional; the defaults are AWS
/// Lambda's list prices for x86 functions in us-east-1, and reports say so.
///
/// Lambda's model, which Flint follows: a price per request and a price per GB-second (memory
/// limit in GB × billed duration). Nothing else is charged: time with no handler running is free.
public struct PriceTable: Sendable, Hashable, Codable {
    /// The price of one GB-second of billed duration.
    public var gbSecond: Double
    /// The price of one million requests (invocations Flint ran).
    public var requestsPerMillion: Double
    /// ISO 4217 code of the prices' currency: `USD`.
    public var currency: String
    /// Where the prices come from, as reports label them: `AWS Lambda x86 list prices (us-east-1)`.
    public var source: String

    public init(
        gbSecond: Double = PriceTable.lambdaGBSecond,
        requestsPerMillion: Double = PriceTable.lambdaRequestsPerMillion,
        currency: String = PriceTable.lambdaCurrency,
        source: String = PriceTable.lambdaSource
    ) {
        self.gbSecond = gbSecond
        self.requestsPerMillion = requestsPerMillion
        self.currency = currency
        self.source = source
    }

    /// AWS Lambda, x86, us-east-1, first pricing tier: USD 0.0000166667 per GB-second.
    public static let lambdaGBSecond = 0.0000166667
    /// AWS Lambda, us-east-1: USD 0.20 per million requests.
    public static let lambdaRequestsPerMillion = 0.20
    public static let lambdaCurrency = "USD"
    public static let lambdaSource = "AWS Lambda x86 list prices (us-east-1)"

    /// The cost of `requests` billed requests and `gbSeconds` GB-seconds.
    public func cost(requests: Int, gbSeconds: Double) -> UsageCost {
        UsageCost(requests: Double(requests) * requestsPerMillion / 1_000_000, compute: gbSeconds * gbSecond)
    }
}
