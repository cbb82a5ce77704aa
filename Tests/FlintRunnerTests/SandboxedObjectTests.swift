import Foundation
import Glibc
import Testing

@testable import FlintRunner

/// What a sandboxed handler's object is opened as: a regular file beneath the buckets' root,
/// reached without following a link an uploader could have put in the way.
@Suite final class SandboxedObjectTests {
    let root: String
    let buckets: String

    init() throws {
        root = FileManager.default.temporaryDirectory.path + "/flint-object-\(UUID().uuidString)"
        buckets = root + "/buckets"
        try FileManager.default.createDirectory(atPath: buckets + "/uploads/dir", withIntermediateDirectories: true)
        try Data("object".utf8).write(to: URL(fileURLWithPath: buckets + "/uploads/dir/a.txt"))
        try Data("secret".utf8).write(to: URL(fileURLWithPath: root + "/secret.txt"))
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// The text read through `fd`.
    func contents(_ fd: CInt) throws -> String {
        defer { close(fd) }
        return try String(contentsOfFile: "/proc/self/fd/\(fd)", encoding: .utf8)
    }

    @Test func aRegularFile_beneathTheLongestRoot_isOpened() throws {
        let fd = try #require(SandboxedObject.open(buckets + "/uploads/dir/a.txt", beneath: [root, buckets, "/nonexistent"]))
        #expect(try contents(fd) == "object")
    }

    @Test func aLinkInTheBucket_atTheObjectOrOnTheWay_isNotFollowed() throws {
        try FileManager.default.createSymbolicLink(atPath: buckets + "/uploads/link.txt", withDestinationPath: root + "/secret.txt")
        try FileManager.default.createSymbolicLink(atPath: buckets + "/uploads/project", withDestinationPath: root)
        try FileManager.default.createSymbolicLink(atPath: buckets + "/uploads/up", withDestinationPath: "..")
        for path in ["/uploads/link.txt", "/uploads/project/secret.txt", "/uploads/up/../secret.txt", "/uploads/../../secret.txt"] {
            #expect(SandboxedObject.open(buckets + path, beneath: [root, buckets]) == nil, "\(path)")
        }
    }

    @Test func nothingToBind_isNil() throws {
        #expect(SandboxedObject.open(buckets + "/uploads/gone.txt", beneath: [buckets]) == nil, "a removal's object")
        #expect(SandboxedObject.open(buckets + "/uploads/dir", beneath: [buckets]) == nil, "a directory")
        #expect(SandboxedObject.open(root + "/secret.txt", beneath: [buckets]) == nil, "under none of the roots")
    }

    /// The buckets root as flint.yaml may name it (`./buckets`, `a/../buckets`, a trailing `/`)
    /// is the root the sandbox hides.
    @Test func aRootNamedWithDotsOrATrailingSlash_isStillTheRoot() throws {
        let named = root + "/./x/../buckets/"
        let fd = try #require(SandboxedObject.open(named + "uploads/dir/a.txt", beneath: [root, buckets]))
        #expect(try contents(fd) == "object")
        #expect(SandboxedObject.lexicallyNormal("/a/./b//c/../d/") == "/a/b/d")
    }

    /// The root itself is the operator's: a buckets directory that is a link is followed.
    @Test func aRootThatIsALink_isFollowed() throws {
        let linked = root + "/linked-buckets"
        try FileManager.default.createSymbolicLink(atPath: linked, withDestinationPath: buckets)
        let fd = try #require(SandboxedObject.open(linked + "/uploads/dir/a.txt", beneath: [linked]))
        #expect(try contents(fd) == "object")
    }
}
