import Foundation
import Testing

@testable import FlintRunner

@Suite struct WorkingDirectoryTests {
    @Test func create_makesMissingRootPrivate_andRefusesBadNames() async throws {
        try await withFixture { fixture in
            let root = fixture.root + "/a/b/work"
            let path = try WorkingDirectory.create(in: root, named: "abc")
            #expect(path == root + "/abc")
            let attributes = try FileManager.default.attributesOfItem(atPath: root)
            #expect((attributes[.posixPermissions] as? Int) == 0o700)
            for bad in ["", ".", "..", "a/b"] {
                #expect(throws: WorkingDirectory.CreationError.self) {
                    try WorkingDirectory.create(in: root, named: bad)
                }
            }
        }
    }

    @Test func create_neverReusesAnExistingDirectory() async throws {
        try await withFixture { fixture in
            let first = try WorkingDirectory.create(in: fixture.workRoot, named: "same-id")
            try Data("in use".utf8).write(to: URL(fileURLWithPath: first + "/file"))
            let second = try WorkingDirectory.create(in: fixture.workRoot, named: "same-id")
            let third = try WorkingDirectory.create(in: fixture.workRoot, named: "same-id")
            #expect(first == fixture.workRoot + "/same-id")
            #expect(second == fixture.workRoot + "/same-id.2")
            #expect(third == fixture.workRoot + "/same-id.3")
            #expect(FileManager.default.fileExists(atPath: first + "/file"))
        }
    }

    @Test func remove_copesWithDepthPermissionsLinksAndNonUTF8Names() async throws {
        try await withFixture { fixture in
            let path = try WorkingDirectory.create(in: fixture.workRoot, named: "tree")
            let outside = fixture.root + "/outside"
            try Data("keep".utf8).write(to: URL(fileURLWithPath: outside))

            // 300 levels deep, read-only and unreadable levels on the way.
            var deep = path
            for level in 0..<300 {
                deep += "/d\(level)"
                #expect(mkdir(deep, 0o700) == 0)
            }
            #expect(creat(deep + "/file", 0o600) >= 0 ? true : false)
            #expect(chmod(path + "/d0/d1", 0o500) == 0)
            #expect(chmod(path + "/d0/d1/d2/d3", 0) == 0)
            // A symbolic link to a file outside, and a name that is not UTF-8.
            #expect(symlink(outside, path + "/link") == 0)
            let name: [CChar] = Array((path + "/").utf8CString.dropLast()) + [CChar(bitPattern: 0xff), 0x41, 0]
            let fd = open(name, O_CREAT | O_WRONLY | O_CLOEXEC, 0o600)
            #expect(fd >= 0)
            close(fd)
            #expect(chmod(path, 0o500) == 0)

            try WorkingDirectory.remove(path)
            #expect(!FileManager.default.fileExists(atPath: path))
            #expect(FileManager.default.fileExists(atPath: outside))
        }
    }

    @Test func remove_ofAMissingDirectoryIsFine() async throws {
        try await withFixture { fixture in
            try WorkingDirectory.remove(fixture.root + "/never-made")
        }
    }
}
