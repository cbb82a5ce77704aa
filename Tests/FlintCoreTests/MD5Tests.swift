import FlintCore
import Foundation
import Testing

@Suite struct MD5Tests {
    /// RFC 1321, appendix A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890", "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func rfc1321TestSuite(text: String, expected: String) {
        #expect(MD5.hex(Data(text.utf8)) == expected)
    }

    /// Lengths around the padding's edges (55 and 56 bytes: one block or two) and several blocks;
    /// expected values from Python's hashlib.
    @Test(arguments: [
        (55, "52c0e574e1198de5fe3f8f11440dcb1b"),
        (56, "46c9907fc908ee68b1e7b8e71286a518"),
        (63, "a62f6d59e837867693f042f5b8f5a236"),
        (64, "7160b8fb5e9e4023d549c3971fbaeead"),
        (65, "70bd662e7aefbda85a0f7244167b7897"),
        (119, "e84905d4214f4d1ca56c2cdcc152b143"),
        (120, "e3eb5a6c8669ea01a8c185b8abc8a5dc"),
        (1000, "10046f077f2082ac19676b8079f1cb1a"),
    ])
    func blockBoundaries_andMultiBlockInput(length: Int, expected: String) {
        let data = Data((0 ..< length).map { UInt8(truncatingIfNeeded: $0 * 7 + 3) })
        #expect(MD5.hex(data) == expected)
    }

    @Test func millionBytes_andNonASCIIText() {
        #expect(MD5.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)) == "7707d6ae4e027c70eea2a935c2296f21")
        #expect(MD5.hex(Data(#"{"hello": "wörld"}"#.utf8)) == "4ab427beb5fc3c7f50700d62143f7e6c")
    }

    @Test func digest_isSixteenBytes_matchingTheHex() {
        let digest = MD5.digest("abc".utf8)
        #expect(digest.count == 16)
        let hex = digest.map { byte -> String in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        #expect(hex.joined() == "900150983cd24fb0d6963f7d28e17f72")
        #expect(MD5.digest([UInt8]()) == MD5.digest(Data()))
    }

    /// Fed in uneven pieces (across block edges), the hasher gives the one-shot digest.
    @Test(arguments: [1, 7, 63, 64, 65, 1000])
    func hasher_inPieces_matchesOneShot(pieceSize: Int) {
        let data = Data((0 ..< 5000).map { UInt8(truncatingIfNeeded: $0 * 13 + 1) })
        var hasher = MD5.Hasher()
        var offset = 0
        while offset < data.count {
            let end = min(offset + pieceSize, data.count)
            data[offset ..< end].withUnsafeBytes { hasher.update($0) }
            offset = end
        }
        #expect(MD5.hex(digest: hasher.finalize()) == MD5.hex(data))
    }
}
