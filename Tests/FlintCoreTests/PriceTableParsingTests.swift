import FlintCore
import Testing

@Suite struct PriceTableParsingTests {
    private func pricing(_ yaml: String) throws -> PriceTable {
        try FlintConfig.parse(yaml: yaml, file: "flint.yaml").pricing
    }

    private func issues(_ yaml: String) -> [String] {
        configIssues { () throws(ProjectLoadError) in try FlintConfig.parse(yaml: yaml, file: "flint.yaml") }
    }

    @Test func absent_isLambdasX86ListPrices_labelledAsSuch() throws {
        let table = try pricing("listen: 127.0.0.1:0\n")
        #expect(table.gbSecond == 0.0000166667)
        #expect(table.requestsPerMillion == 0.20)
        #expect(table.currency == "USD")
        #expect(table.source == "AWS Lambda x86 list prices (us-east-1)")
        #expect(try pricing("pricing: {}\n") == table)
        #expect(try pricing("pricing: {currency: USD}\n") == table)
    }

    @Test func everyKey_isRead_andTheSourceIsFlintYAML() throws {
        let table = try pricing("""
            pricing:
              gb_second: 0.00001
              requests_per_million: 1.5e-1
              currency: EUR
            """)
        #expect(table == PriceTable(gbSecond: 0.00001, requestsPerMillion: 0.15, currency: "EUR", source: "flint.yaml"))
    }

    @Test func onePriceGiven_namesTheDefaultedOne() throws {
        let table = try pricing("pricing: {gb_second: 0}\n")
        #expect(table.gbSecond == 0)
        #expect(table.requestsPerMillion == 0.20)
        #expect(table.source == "flint.yaml, with the AWS Lambda x86 list prices (us-east-1) for requests_per_million")
    }

    @Test func badValues_nameFileLineAndKey() {
        #expect(issues("""
            listen: 127.0.0.1:0
            pricing:
              gb_second: "$0.0000166667"
              requests_per_million: -0.2
              currency: usd
              gb_secnd: 1
            """) == [
            #"flint.yaml:3: pricing.gb_second: "$0.0000166667" is not a number (write a plain decimal such as 0.20; the currency goes in currency)"#,
            #"flint.yaml:4: pricing.requests_per_million: "-0.2" is negative (a price is 0 or more)"#,
            #"flint.yaml:5: pricing.currency: "usd" is not an ISO 4217 currency code (three capital letters, e.g. USD, EUR)"#,
            "flint.yaml:6: pricing.gb_secnd: not a key of pricing (did you mean gb_second?)",
        ])
        #expect(issues("pricing: {gb_second: .nan, requests_per_million: 0x1p-3}\n") == [
            #"flint.yaml:1: pricing.gb_second: ".nan" is not a number (write a plain decimal such as 0.20; the currency goes in currency)"#,
            #"flint.yaml:1: pricing.requests_per_million: "0x1p-3" is not a number (write a plain decimal such as 0.20; the currency goes in currency)"#,
        ])
        #expect(issues("pricing: 0.2\n") == [
            "flint.yaml:1: pricing: expected a mapping, not a single value (a mapping of gb_second, requests_per_million, currency)",
        ])
    }

    @Test func anotherCurrency_needsBothPrices() {
        #expect(issues("pricing:\n  currency: EUR\n  gb_second: 0.00002\n") == [
            #"flint.yaml:2: pricing.currency: "EUR" needs requests_per_million too: the default prices are in USD"#,
        ])
        #expect(issues("pricing: {currency: GBP}\n") == [
            #"flint.yaml:1: pricing.currency: "GBP" needs gb_second and requests_per_million too: the default prices are in USD"#,
        ])
    }
}
