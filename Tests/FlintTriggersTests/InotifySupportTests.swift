import FlintTriggers
import Testing

@Suite struct InotifySupportTests {
    @Test func initialize_succeedsOnLinux() throws {
        try InotifySupport.initialize()
        // A second call is harmless: the library is already set up.
        try InotifySupport.initialize()
    }
}
