import Testing
import FlintCore

@Suite struct ByteSizeTextTests {
    @Test(arguments: [
        ("512Ki", 512 * 1024),
        ("256Mi", 256 * 1024 * 1024),
        ("1Gi", 1024 * 1024 * 1024),
        ("2Ti", 2 << 40),
        ("100B", 100),
    ])
    func parse_readsBinaryUnits(text: String, expected: Int) {
        #expect(ByteSizeText.parse(text) == expected)
    }

    @Test(arguments: ["", "256", "256M", "256MB", "1G", "1.5Gi", "-1Mi", "Mi", "256 Mi", "256mi", "99999999999999999Ti"])
    func parse_refusesWhatIsNotABinarySize(text: String) {
        #expect(ByteSizeText.parse(text) == nil)
    }

    @Test(arguments: [
        (256 * 1024 * 1024, "256Mi"),
        (1536 * 1024 * 1024, "1536Mi"),
        (1 << 30, "1Gi"),
        (10 << 30, "10Gi"),
        (1000, "1000B"),
        (2048, "2Ki"),
        (0, "0B"),
    ])
    func format_usesLargestExactUnit(bytes: Int, expected: String) {
        #expect(ByteSizeText.format(bytes) == expected)
    }

    @Test func format_thenParse_roundTrips() {
        for bytes in [1, 1023, 1024, 16 << 20, 256 << 20, 1536 << 20, 1 << 30, 10 << 30, 3 << 40] {
            #expect(ByteSizeText.parse(ByteSizeText.format(bytes)) == bytes)
        }
    }
}
