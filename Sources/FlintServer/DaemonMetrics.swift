internal import CoreMetrics
internal import FlintCore
internal import FlintDispatch
internal import FlintStore
internal import Prometheus
internal import Synchronization

/// The daemon's Prometheus metrics (`GET /metrics`): counted as things happen through
/// swift-metrics, into a registry of this daemon's own, and gauges read when scraped.
///
/// The swift-metrics objects are made with this daemon's factory, never through the global
/// `MetricsSystem`: a process may run several daemons (tests do), each counting only its own.
final class DaemonMetrics: Sendable {
    /// The metric names; `docs/operations.md` lists them with their labels.
    enum Name {
        static let invocations = "flint_invocations_total"
        static let duration = "flint_invocation_duration_seconds"
        static let coldStarts = "flint_cold_starts_total"
        static let running = "flint_running_instances"
        static let waiting = "flint_waiting_invocations"
        static let queueDepth = "flint_queue_depth"
        static let queueInFlight = "flint_queue_in_flight"
        static let deadLetters = "flint_dead_letters"
        static let bucketEvents = "flint_bucket_events_total"
        static let walCheckpoints = "flint_wal_checkpoints_total"
        static let walPages = "flint_wal_pages"
    }

    /// From a fraction of a millisecond (a warm or small exec handler) to the longest timeout (15 min).
    static let durationBuckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
        .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30), .seconds(60),
        .seconds(300), .seconds(900),
    ]

    /// One function's series, made once: the registry checks names and labels on every lookup,
    /// and an invocation should not pay for that three times.
    private struct FunctionSeries {
        var outcomes: [InvocationOutcome: CoreMetrics.Counter] = [:]
        let duration: CoreMetrics.Timer
        let coldStarts: CoreMetrics.Counter
    }

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let series = Mutex<[String: FunctionSeries]>([:])
    /// The gauges the last scrape set, by name and labels; held while a scrape runs, so two
    /// scrapes never interleave their updates.
    private let scrapedGauges = Mutex<[String: CoreMetrics.Gauge]>([:])
    /// The checkpoints the WAL counter has been given so far: a scrape adds the ones run since.
    private let checkpointsCounted = Mutex(0)
    private let walCheckpoints: CoreMetrics.Counter

    init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [Name.duration: Self.durationBuckets]
        self.factory = factory
        walCheckpoints = CoreMetrics.Counter(label: Name.walCheckpoints, factory: factory)
    }

    /// Counts a finished invocation (the dispatcher's observer calls this for every one).
    func record(_ record: InvocationRecord) {
        let (invocations, duration, coldStarts) = series.withLock { series in
            let function = ("function", record.function)
            var entry = series[record.function] ?? FunctionSeries(
                duration: CoreMetrics.Timer(label: Name.duration, dimensions: [function], factory: factory),
                coldStarts: CoreMetrics.Counter(label: Name.coldStarts, dimensions: [function], factory: factory)
            )
            let invocations = entry.outcomes[record.outcome] ?? CoreMetrics.Counter(
                label: Name.invocations, dimensions: [function, ("outcome", record.outcome.rawValue)], factory: factory
            )
            entry.outcomes[record.outcome] = invocations
            series[record.function] = entry
            return (invocations, entry.duration, entry.coldStarts)
        }
        invocations.increment()
        duration.recordMicroseconds(record.durationMicros)
        if record.coldStart { coldStarts.increment() }
    }

    /// Counts bucket events published for `trigger` (committed, so each is delivered).
    func recordBucketEvents(_ count: Int, trigger: String, bucket: String, event: String) {
        CoreMetrics.Counter(
            label: Name.bucketEvents, dimensions: [("trigger", trigger), ("bucket", bucket), ("event", event)], factory: factory
        ).increment(by: count)
    }

    /// The Prometheus text exposition, after setting the gauges read at scrape time: instances
    /// and waiting invocations per function, and per bus subscription the deliveries that wait,
    /// run, and are dead; the WAL's size, and its checkpoints counted up to `wal`'s. Gauges of
    /// functions and subscriptions gone since the last scrape (a reloaded project) are removed,
    /// not left at their last value.
    func exposition(
        functions: [FunctionManifest], dispatcher: Dispatcher, subscriptions: [BusSubscriptionLabels], depths: [String: SubscriptionDepth],
        wal: WALCheckpointer.Status
    ) -> [UInt8] {
        checkpointsCounted.withLock { counted in
            walCheckpoints.increment(by: max(0, wal.checkpoints - counted))
            counted = max(counted, wal.checkpoints)
        }
        return scrapedGauges.withLock { previous in
            var current: [String: CoreMetrics.Gauge] = [:]
            func set(_ name: String, _ dimensions: [(String, String)], _ value: Int) {
                let gauge = CoreMetrics.Gauge(label: name, dimensions: dimensions, factory: factory)
                gauge.record(value)
                current[([name] + dimensions.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{0}")] = gauge
            }
            for function in functions {
                set(Name.running, [("function", function.name)], dispatcher.running(function.name))
                set(Name.waiting, [("function", function.name)], dispatcher.waitingToRun(function.name))
            }
            for subscription in subscriptions {
                let depth = depths[subscription.name] ?? SubscriptionDepth(subscription: subscription.name)
                set(Name.queueDepth, subscription.labels, depth.ready)
                set(Name.queueInFlight, subscription.labels, depth.leased)
                set(Name.deadLetters, subscription.labels, depth.dead)
            }
            set(Name.walPages, [], wal.pages)
            for (key, gauge) in previous where current[key] == nil {
                gauge.destroy()
            }
            previous = current
            return registry.emitToBuffer()
        }
    }
}
