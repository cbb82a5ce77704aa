import FlintCore
import Testing

@Suite struct BucketNameTests {
    @Test func oneDirectoryNameOfPlainCharacters_isABucketName() {
        for name in ["uploads", "a", "my_bucket-2", "v1.2", "...", String(repeating: "b", count: BucketName.maxLength)] {
            #expect(BucketName.problem(with: name) == nil, "\(name)")
        }
    }

    @Test func namesLeavingTheBucketsRoot_orOfOtherCharacters_areRefused() {
        let tooLong = String(repeating: "b", count: BucketName.maxLength + 1)
        for name in ["", ".", "..", "a/b", "../etc", "/abs", "my bucket", "café", "a\u{0}", "up:loads", tooLong] {
            #expect(
                BucketName.problem(with: name)
                    == "\"\(name)\" is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)",
                "\(name)"
            )
        }
    }
}
