/// Object keys: a file's path relative to its bucket, `/`-separated, as S3 keys are.
public enum ObjectKey {
    /// Name endings of files still being written by common tools (download managers, editors,
    /// `rsync`'s and Flint's own temporaries): never objects, so they fire no event.
    public static let ignoredSuffixes = [".tmp", ".part", ".swp"]

    /// Whether `key` is never an object: a dot-file, anything inside a dot-directory, or a name
    /// ending in one of `ignoredSuffixes`.
    public static func isIgnored(_ key: String) -> Bool {
        if holdsNoObjects(directory: key) { return true }
        let name = PathComponents.last(of: key).utf8
        return ignoredSuffixes.contains { name.reversed().starts(with: $0.utf8.reversed()) }
    }

    /// Whether the directory at `path` (relative to its bucket) holds no objects: a
    /// dot-directory, or one inside one. The suffixes are for files: a directory named `x.part`
    /// holds objects like any other.
    public static func holdsNoObjects(directory path: String) -> Bool {
        PathComponents.of(path).contains { $0.utf8.first == UInt8(ascii: ".") }
    }

    /// Why `key` cannot name an object in a bucket, or nil when it can: it must be relative,
    /// free of empty, `.` and `..` components (so it stays inside the bucket) and of NUL.
    public static func problem(with key: String) -> String? {
        if key.isEmpty { return "an object key cannot be empty" }
        if key.utf8.contains(0) { return "an object key cannot contain a NUL character" }
        if key.utf8.first == UInt8(ascii: "/") { return "an object key is relative to its bucket: it cannot start with /" }
        if key.utf8.last == UInt8(ascii: "/") { return "an object key names a file: it cannot end with /" }
        for component in PathComponents.of(key) {
            if component.isEmpty { return "an object key cannot contain an empty path component (//)" }
            if component == "." || component == ".." { return "an object key cannot contain . or .. components" }
            if component.utf8.count > 255 { return "each /-separated part of an object key is at most 255 bytes" }
        }
        return nil
    }

    /// `key` form-URL-encoded, as S3 event notifications carry it: letters, digits, `-_.~*`
    /// and `/` stay; a space becomes `+`; every other byte of its UTF-8 is `%XX`. Python's
    /// `urllib.parse.unquote_plus` gives the key back.
    public static func formURLEncoded(_ key: String) -> String {
        PercentEncoding.encode(key, alsoKept: formKept, spaceAsPlus: true)
    }

    private static let formKept: Set<UInt8> = [UInt8(ascii: "*"), UInt8(ascii: "/")]
}
