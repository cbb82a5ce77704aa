/// The rule for a bucket's name, wherever one is written: a bucket trigger's `bucket`, a
/// function's `output`. A bucket is one directory directly under the buckets root, so its name
/// must stay inside that root and name a single directory.
public enum BucketName {
    /// The longest name, in bytes: the longest file name Linux allows.
    public static let maxLength = 255

    /// Why `text` cannot name a bucket, or nil when it can.
    public static func problem(with text: String) -> String? {
        // Only ASCII passes the character test, so the character count is the byte count.
        guard !text.isEmpty, text.count <= maxLength, text != ".", text != "..",
              text.allSatisfy({ $0.isASCIILetterOrDigit || $0 == "." || $0 == "_" || $0 == "-" })
        else {
            return "\"\(text)\" is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)"
        }
        return nil
    }
}

extension ScalarConversion {
    /// What a bucket name is, as the hint of a missing or empty value says it.
    static let bucketNameHint = "a directory name under the buckets root"

    /// A bucket name (`BucketName.problem(with:)`).
    static func bucketName(_ text: String) throws(ValueProblem) -> String {
        if let problem = BucketName.problem(with: text) { throw ValueProblem(problem) }
        return text
    }
}
