/// A NULL-terminated array of C strings (argv, envp) in one allocation: the pointer array first,
/// then the strings' bytes. Callers make sure no string contains a NUL byte.
struct CStringArray: ~Copyable {
    private let base: UnsafeMutableRawPointer
    /// The `char *const *` to pass to execve; valid while `self` lives.
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>

    init(_ strings: [String]) {
        let pointerBytes = (strings.count + 1) * MemoryLayout<UnsafeMutablePointer<CChar>?>.stride
        var byteCount = pointerBytes
        for string in strings {
            byteCount += string.utf8.count + 1
        }
        base = UnsafeMutableRawPointer.allocate(
            byteCount: byteCount, alignment: MemoryLayout<UnsafeMutablePointer<CChar>?>.alignment
        )
        pointers = base.bindMemory(to: UnsafeMutablePointer<CChar>?.self, capacity: strings.count + 1)
        var next = base + pointerBytes
        for (index, string) in strings.enumerated() {
            let length = string.utf8.count
            let bytes = UnsafeMutableRawBufferPointer(start: next, count: length)
            let copied: Void? = string.utf8.withContiguousStorageIfAvailable { source in
                bytes.copyMemory(from: UnsafeRawBufferPointer(source))
            }
            if copied == nil {
                _ = bytes.initializeMemory(as: UInt8.self, from: string.utf8)
            }
            next.storeBytes(of: 0, toByteOffset: length, as: UInt8.self)
            pointers[index] = next.bindMemory(to: CChar.self, capacity: length + 1)
            next += length + 1
        }
        pointers[strings.count] = nil
    }

    deinit {
        base.deallocate()
    }
}
