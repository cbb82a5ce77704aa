@testable import FlintStore
import Foundation
import GRDB
import Synchronization
import Testing

/// While another program holds the database's lock, a write is refused once the busy timeout has
/// passed since it was asked for, however many writes wait for the writer before it.
@Suite struct BusyTimeoutTests {
    @Test func writesQueuedBehindOneWaitingForALock_areEachRefusedAfterTheTimeout_notOneAfterAnother() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/flint.sqlite"
        let database = try FlintDatabase(path: path, busyTimeout: 1)
        try database.pool.write { db in try db.execute(sql: "CREATE TABLE scratch (value INTEGER)") }

        // Another program's write transaction, held until the writes below have all ended.
        let other = try DatabaseQueue(path: path)
        let locked = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0)
        let holder = Thread {
            try? other.inDatabase { db in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                locked.signal()
                release.wait()
                try db.execute(sql: "ROLLBACK")
            }
        }
        holder.start()
        locked.wait()

        let outcomes = Mutex<[(seconds: Double, error: BusError?)]>([])
        let writers = DispatchGroup()
        for value in 0 ..< 3 {
            writers.enter()
            Thread {
                let start = ContinuousClock.now
                var failure: BusError?
                do throws(BusError) {
                    try database.write { db in try db.execute(sql: "INSERT INTO scratch VALUES (?)", arguments: [value]) }
                } catch {
                    failure = error
                }
                let elapsed = ContinuousClock.now - start
                outcomes.withLock { $0.append((Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, failure)) }
                writers.leave()
            }.start()
        }
        writers.wait()
        release.signal()

        let ended = outcomes.withLock { $0 }
        #expect(ended.allSatisfy { $0.error == .databaseLocked(path: path) }, "\(ended.map(\.error))")
        // One after another, the last would have waited 3 s.
        #expect(ended.allSatisfy { $0.seconds < 2.5 }, "\(ended.map(\.seconds))")
        #expect(ended.allSatisfy { $0.seconds >= 0.9 }, "refused before the timeout: \(ended.map(\.seconds))")
    }
}
