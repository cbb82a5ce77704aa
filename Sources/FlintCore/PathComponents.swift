/// Splitting paths and object keys at `/` as the file system does: at the byte.
///
/// `String.split(separator: "/")` splits at characters, and to Swift a `/` followed by a
/// combining mark (`/\u{301}`) is one character, not a separator, though Linux sees a `/`
/// there. Splitting the UTF-8 never cuts a character's bytes apart, as `/` is ASCII.
public enum PathComponents {
    /// The `/`-separated parts of `path`; empty ones (from `//`, or a leading or trailing `/`)
    /// are kept unless `omittingEmpty`.
    public static func of(_ path: String, omittingEmpty: Bool = false) -> [String] {
        path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: omittingEmpty)
            .map { String(Substring($0)) }
    }

    /// The part after the last `/` (all of `path` when it has none).
    public static func last(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(Substring(path.utf8[path.utf8.index(after: slash)...]))
    }

    /// The part before the last `/` (empty when `path` has none).
    public static func parent(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        return String(Substring(path.utf8[..<slash]))
    }
}
