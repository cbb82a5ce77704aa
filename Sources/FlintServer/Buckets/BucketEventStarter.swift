internal import FlintDispatch
internal import Synchronization

/// The bus consumer through whose slots a generation's bucket events start in the transaction
/// that publishes them (`BusConsumer.publisherClaims`). Known only once the generation has built
/// it: the watcher is built first, as building it may fail, and a refused reload must leave the
/// running generation as it was. Until then, events wait for the consumer's pass.
final class BucketEventStarter: Sendable {
    private let attached = Mutex<BusConsumer?>(nil)

    func attach(_ consumer: BusConsumer) {
        attached.withLock { $0 = consumer }
    }

    var consumer: BusConsumer? { attached.withLock { $0 } }
}
