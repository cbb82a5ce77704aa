internal import FlintCore
internal import Foundation
#if canImport(Glibc)
internal import Glibc
#endif

extension ProjectLocator {
    /// The project the directory `current` is inside, when it is not one itself: the nearest
    /// directory above with a `flint.yaml`, if `current` is in one of the places that file names
    /// (a functions directory, the triggers directory, the buckets root, the data directory).
    /// Nil otherwise, and when `current` has a `flint.yaml` of its own.
    ///
    /// Only the nearest `flint.yaml` above counts, and only one of this user's (or root's): a
    /// project without a `flint.yaml` of its own (`flint init` writes none) under another
    /// directory that has one is not taken for part of it, nor is a file another user planted
    /// in a shared directory above (`/tmp/flint.yaml`), which `sudo flint up` would otherwise run.
    static func enclosingProject(of current: String) -> String? {
        guard !hasConfig(current) else { return nil }
        var directory = current
        while directory != "/" {
            let parent = PathComponents.parent(of: directory)
            directory = parent.isEmpty ? "/" : parent
            guard hasConfig(directory) else { continue }
            guard isTrusted(Project.resolve(ProjectLoader.configFileName, against: directory)) else { return nil }
            // A flint.yaml that does not parse: its places are taken as the defaults', so that the
            // commands still find it, and say what is wrong with it.
            let config = (try? ProjectLocator.config(root: directory)) ?? FlintConfig()
            let places = config.functions + [config.triggers, config.buckets, config.data]
            let inside = places.map { Project.resolve($0, against: directory) }.contains { place in
                current == place || current.hasPrefix(place.hasSuffix("/") ? place : place + "/")
            }
            return inside ? directory : nil
        }
        return nil
    }

    /// The current directory as the shell names it (`$PWD`, through the symbolic links it was
    /// reached by: a bucket linked to another disk is still under its project), else as the
    /// kernel does.
    static func currentDirectory() -> String {
        let physical = absolute(FileManager.default.currentDirectoryPath)
        guard let logical = ProcessInfo.processInfo.environment["PWD"], logical.hasPrefix("/") else { return physical }
        var named = stat()
        var actual = stat()
        guard stat(logical, &named) == 0, stat(".", &actual) == 0, named.st_dev == actual.st_dev, named.st_ino == actual.st_ino else {
            return physical
        }
        return absolute(logical)
    }

    private static func hasConfig(_ directory: String) -> Bool {
        var isDirectory: ObjCBool = false
        let path = Project.resolve(ProjectLoader.configFileName, against: directory)
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Owned by this user or by root (as git trusts a repository).
    private static func isTrusted(_ path: String) -> Bool {
        var status = stat()
        guard stat(path, &status) == 0 else { return false }
        return status.st_uid == geteuid() || status.st_uid == 0
    }
}
