import FlintCore
import Testing

@Suite struct BucketTriggerMatchingTests {
    static let version = ObjectVersion(size: 1, modifiedAtNanos: 0, inode: 1, eTag: "c4ca4238a0b923820dcc509a6f75849b")

    private func put(_ key: String, in bucket: String = "uploads") -> ObjectChange {
        ObjectChange(bucket: bucket, key: key, kind: .put(Self.version))
    }

    @Test func noFilters_matchEveryCreatedObjectOfItsBucketOnly() {
        let trigger = BucketTrigger(bucket: "uploads", events: [.created], prefix: "", suffix: "")
        #expect(trigger.matches(put("a.png")))
        #expect(trigger.matches(put("deep/down/a")))
        #expect(trigger.matches(ObjectChange(bucket: "uploads", key: "a.png", kind: .moved(Self.version))))
        #expect(!trigger.matches(put("a.png", in: "other")))
        #expect(!trigger.matches(put("a.png", in: "Uploads")))
    }

    @Test func events_selectCreationsRemovalsOrBoth() {
        let removed = ObjectChange(bucket: "uploads", key: "a.png", kind: .removed)
        let moved = ObjectChange(bucket: "uploads", key: "a.png", kind: .moved(Self.version))
        let creations = BucketTrigger(bucket: "uploads", events: [.created], prefix: "", suffix: "")
        let removals = BucketTrigger(bucket: "uploads", events: [.removed], prefix: "", suffix: "")
        let both = BucketTrigger(bucket: "uploads", events: [.removed, .created], prefix: "", suffix: "")
        #expect(!creations.matches(removed))
        #expect(removals.matches(removed))
        #expect(!removals.matches(put("a.png")))
        #expect(!removals.matches(moved))
        #expect(both.matches(removed) && both.matches(put("a.png")) && both.matches(moved))
    }

    @Test func prefixAndSuffix_arePlainCaseSensitiveText_bothRequired() {
        let trigger = BucketTrigger(bucket: "uploads", events: [.created], prefix: "images/", suffix: ".png")
        #expect(trigger.matches(put("images/cat.png")))
        #expect(trigger.matches(put("images/sub/cat.png")))
        #expect(!trigger.matches(put("images/cat.PNG")))
        #expect(!trigger.matches(put("Images/cat.png")))
        #expect(!trigger.matches(put("thumbs/images/cat.png")))
        #expect(!trigger.matches(put("images/cat.png.bak")))
        #expect(!trigger.matches(put("cat.png")))
        // Not a path pattern: a prefix without / matches directories and files alike, as in S3.
        let partial = BucketTrigger(bucket: "uploads", events: [.created], prefix: "img", suffix: "g")
        #expect(partial.matches(put("img-1.jpg")))
        #expect(partial.matches(put("imgs/a.png")))
        // Prefix and suffix may overlap in a short key; each is checked against the whole key.
        let overlapping = BucketTrigger(bucket: "uploads", events: [.created], prefix: "ab", suffix: "bc")
        #expect(overlapping.matches(put("abc")))
        #expect(!overlapping.matches(put("ab")))
    }

    @Test func filters_compareBytes_notUnicodeCharacters() {
        let precomposed = "caf\u{E9}"      // é as one code point
        let decomposed = "cafe\u{301}"     // e followed by a combining acute accent
        #expect(precomposed == decomposed)  // Swift's String equality would call these the same key
        let trigger = BucketTrigger(bucket: "uploads", events: [.created], prefix: precomposed, suffix: "")
        #expect(trigger.matches(put(precomposed + "/x")))
        #expect(!trigger.matches(put(decomposed + "/x")))
        // A prefix may end inside what Swift counts as one character: S3 compares bytes.
        let bare = BucketTrigger(bucket: "uploads", events: [.created], prefix: "cafe", suffix: "")
        #expect(bare.matches(put(decomposed)))
        let accent = BucketTrigger(bucket: "uploads", events: [.created], prefix: "", suffix: "\u{301}")
        #expect(accent.matches(put(decomposed)))
        #expect(!accent.matches(put(precomposed)))
    }
}
