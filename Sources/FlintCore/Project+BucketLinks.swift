internal import Foundation

extension Project {
    /// Whether `bucket`'s directory is a symbolic link, which Flint never follows: it watches
    /// none, and moves no output into one.
    public func bucketIsSymbolicLink(_ bucket: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(bucketsDirectory)/\(bucket)")) != nil
    }

    /// Why `flint up` could not make buckets under the buckets root: it is a symbolic link to
    /// nothing, or something that is no directory. Nil otherwise (a missing root is made at start).
    public var bucketsRootProblem: String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: bucketsDirectory, isDirectory: &isDirectory) {
            guard !isDirectory.boolValue else { return nil }
            return "the buckets root \(bucketsDirectory) is a file, not a directory; move it away, or set buckets: in flint.yaml to a directory"
        }
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: bucketsDirectory) else { return nil }
        return "the buckets root \(bucketsDirectory) is a symbolic link to nothing (\(target) is missing); create the directory it points to, or replace the link"
    }

    /// Why `bucket` cannot take functions' outputs (its directory is a symbolic link), or nil:
    /// what `flint up` refuses and `flint validate` says.
    public func outputBucketProblem(_ bucket: String) -> String? {
        guard bucketIsSymbolicLink(bucket) else { return nil }
        return "output bucket \(bucket) at \(bucketsDirectory)/\(bucket) is a symbolic link, and Flint never follows one; "
            + "make it a real directory (or set buckets: in flint.yaml to where the files are)"
    }
}
