internal import Foundation

extension Project {
    /// Whether `bucket`'s directory is a symbolic link, which Flint never follows: it watches
    /// none, and moves no output into one.
    public func bucketIsSymbolicLink(_ bucket: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(bucketsDirectory)/\(bucket)")) != nil
    }

    /// Why `flint up` could not make buckets under the buckets root: it, or a directory on its
    /// way, is a file or a symbolic link to nothing. Nil otherwise (what is missing is made at start).
    public var bucketsRootProblem: String? {
        DirectoryMaker.problem(making: bucketsDirectory).map { "the buckets root \(bucketsDirectory) cannot be made: \($0)" }
    }

    /// Why `bucket` cannot take functions' outputs (its directory is a symbolic link), or nil:
    /// what `flint up` refuses and `flint validate` says.
    public func outputBucketProblem(_ bucket: String) -> String? {
        guard bucketIsSymbolicLink(bucket) else { return nil }
        return "output bucket \(bucket) at \(bucketsDirectory)/\(bucket) is a symbolic link, and Flint never follows one; "
            + "make it a real directory (or set buckets: in flint.yaml to where the files are)"
    }
}
