@testable import FlintTriggers
import Testing

@Suite struct ObjectHasherTests {
    /// A request the same as the last one of its object still waiting is not queued: one read,
    /// when its turn comes, tells what both would. A different one (a removal after it) is.
    @Test func aRepeatOfTheLastWaitingRequestOfAnObject_isNotQueued() throws {
        let hasher = try ObjectHasher(root: "/nonexistent")  // not started: nothing is taken off the queue
        let read = ObjectHasher.Request(object: BucketObject(bucket: "uploads", key: "film.mov"), kind: .read(moved: false))
        let other = ObjectHasher.Request(object: BucketObject(bucket: "uploads", key: "other.mov"), kind: .read(moved: false))
        let removal = ObjectHasher.Request(object: BucketObject(bucket: "uploads", key: "film.mov"), kind: .remove)
        #expect(hasher.submit(read))
        #expect(hasher.submit(other))
        #expect(!hasher.submit(read), "the same read of film.mov is already waiting")
        #expect(hasher.submit(removal))
        #expect(hasher.submit(read), "after the removal, a read says something new")
        #expect(hasher.submit(removal), "a removal after that read is new again")
    }
}
