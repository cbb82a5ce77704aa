import FlintCore
import Testing

@Suite struct ObjectKeyTests {
    @Test func dotFiles_filesInDotDirectories_andPartialDownloads_areIgnored() {
        for key in [".DS_Store", "images/.hidden.png", ".git/config", "a/.cache/b/c.png", "movie.mp4.part", "notes.txt.swp", "upload.tmp", "dir/x.tmp"] {
            #expect(ObjectKey.isIgnored(key), "\(key)")
        }
    }

    @Test func ordinaryKeys_areNotIgnored_evenWithDotsOrIgnoredEndingsElsewhere() {
        for key in ["cat.png", "images/cat.png", "a.b/c.d", "tmp/x.png", "x.tmp.png", "x.partial", "v1..2/x", "dir.tmp/x.png"] {
            #expect(!ObjectKey.isIgnored(key), "\(key)")
        }
    }

    @Test func validKeys_haveNoProblem() {
        for key in ["a", "images/cat.png", "my photo (1).jpg", "dir/é.png", "a..b", "...x", String(repeating: "k", count: 255) + "/x"] {
            #expect(ObjectKey.problem(with: key) == nil, "\(key)")
        }
    }

    @Test func keysThatLeaveTheBucketOrNameNoFile_areRefused() {
        #expect(ObjectKey.problem(with: "") == "an object key cannot be empty")
        #expect(ObjectKey.problem(with: "a\u{0}b") == "an object key cannot contain a NUL character")
        #expect(ObjectKey.problem(with: "/etc/passwd") == "an object key is relative to its bucket: it cannot start with /")
        #expect(ObjectKey.problem(with: "images/") == "an object key names a file: it cannot end with /")
        #expect(ObjectKey.problem(with: "a//b") == "an object key cannot contain an empty path component (//)")
        #expect(ObjectKey.problem(with: "../other/x") == "an object key cannot contain . or .. components")
        #expect(ObjectKey.problem(with: "a/./b") == "an object key cannot contain . or .. components")
        #expect(ObjectKey.problem(with: "a/..") == "an object key cannot contain . or .. components")
        // 255 bytes is the longest file name: two-byte characters reach it at 128.
        #expect(ObjectKey.problem(with: "d/" + String(repeating: "é", count: 128))
            == "each /-separated part of an object key is at most 255 bytes")
    }

    /// The file system splits a key at the byte `/`, so Flint does too: a `/` followed by a
    /// combining mark, one character to Swift, still separates (and `..` before it climbs).
    @Test func aSlashBeforeACombiningMark_separatesComponents() {
        #expect(ObjectKey.problem(with: "../\u{301}x") == "an object key cannot contain . or .. components")
        #expect(ObjectKey.problem(with: "a//\u{301}") == "an object key cannot contain an empty path component (//)")
        #expect(ObjectKey.problem(with: "/\u{301}x") == "an object key is relative to its bucket: it cannot start with /")
        #expect(ObjectKey.isIgnored("a/.\u{301}x"))
        #expect(!ObjectKey.isIgnored("a/\u{301}.x"))
    }

    @Test func formURLEncoding_matchesS3() {
        #expect(ObjectKey.formURLEncoded("my photo (1).jpg") == "my+photo+%281%29.jpg")
        #expect(ObjectKey.formURLEncoded("a+b") == "a%2Bb")
        #expect(ObjectKey.formURLEncoded("%") == "%25")
        #expect(ObjectKey.formURLEncoded("dir/é.png") == "dir/%C3%A9.png")
        #expect(ObjectKey.formURLEncoded("AZaz09-_.~*/") == "AZaz09-_.~*/")
        #expect(ObjectKey.formURLEncoded("a\nb&c=d?#") == "a%0Ab%26c%3Dd%3F%23")
    }
}
