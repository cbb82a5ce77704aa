@testable import FlintCore
import Foundation
import Testing

@Suite struct DirectoryMakerTests {
    @Test func aDanglingSymbolicLinkInThePath_isSaidToBeOne() throws {
        let root = try TemporaryDirectory()
        #expect(symlink(root.path + "/missing", root.path + "/link") == 0)
        #expect(throws: DirectoryMaker.Failure(
            description: "\(root.path)/link is a symbolic link to nothing (its target is missing); create the directory it points to, or replace the link"
        )) { try DirectoryMaker.make(root.path + "/link/bucket", mode: 0o755) }
    }

    @Test func makesTheMissingParents_withTheModeGiven_andLeavesExistingOnes() throws {
        let root = try TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root.path)
        let path = root.path + "/a/b/c"
        try DirectoryMaker.make(path, mode: 0o711)
        for made in [root.path + "/a", root.path + "/a/b", path] {
            #expect(try FileManager.default.attributesOfItem(atPath: made)[.posixPermissions] as? Int == 0o711, "\(made)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: root.path)[.posixPermissions] as? Int == 0o755)
        try DirectoryMaker.make(path, mode: 0o700)  // already there: fine, and unchanged
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o711)
    }

    @Test func aFileInTheWay_isNamed() throws {
        let root = try TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: root.path + "/data"))
        #expect(throws: DirectoryMaker.Failure(description: "\(root.path)/data is a file, not a directory")) {
            try DirectoryMaker.make(root.path + "/data/inner", mode: 0o711)
        }
    }

    /// What `make` would stop at, said without making anything.
    @Test func problemMaking_namesWhatMakeWouldStopAt_andMakesNothing() throws {
        let root = try TemporaryDirectory()
        try Data("x".utf8).write(to: URL(fileURLWithPath: root.path + "/data"))
        #expect(symlink(root.path + "/missing", root.path + "/link") == 0)
        #expect(DirectoryMaker.problem(making: root.path + "/data/inner") == "\(root.path)/data is a file, not a directory")
        #expect(DirectoryMaker.problem(making: root.path + "/link/bucket")?.hasPrefix("\(root.path)/link is a symbolic link to nothing") == true)
        #expect(DirectoryMaker.problem(making: root.path + "/new/deeper") == nil)
        #expect(DirectoryMaker.problem(making: root.path) == nil)
        #expect(!FileManager.default.fileExists(atPath: root.path + "/new"))
    }
}
