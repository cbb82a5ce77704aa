// The keys of each kind of trigger. Each reader reports what is wrong and returns what it could
// read, defaults standing in for invalid values: the caller keeps a trigger only when its
// document has no issues at all.

extension TriggerSource {
    // MARK: http

    /// The methods an http trigger may name; `ANY` matches them all.
    static let httpMethods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"]

    /// An http trigger, located at its `path`.
    static func parseHTTP(_ map: inout YAMLMapping) -> Located<HTTPTrigger>? {
        let methods = httpMethods.joined(separator: ", ")
        let method = map.value("method", hint: "one of \(methods)") { text throws(ValueProblem) in
            let upper = text.uppercased()
            guard httpMethods.contains(upper) else { throw ValueProblem("\"\(text)\" is not one of \(methods)") }
            return upper
        }
        let path = map.value("path", required: true, hint: "a route such as /echo/{name}") { text throws(ValueProblem) in
            let pattern: RoutePattern
            do throws(RoutePatternError) {
                pattern = try RoutePattern(text)
            } catch {
                throw ValueProblem("\"\(text)\" is not a route: \(error.description)")
            }
            if case .literal(let first)? = pattern.segments.first, HTTPTrigger.reservedFirstSegments.contains(first) {
                throw ValueProblem("\"\(text)\" is under /\(first), which Flint serves itself; choose another path")
            }
            return pattern
        }
        let auth = map.value("auth", hint: ScalarConversion.choices(RouteAuth.self), ScalarConversion.oneOf(RouteAuth.self))
        guard let path else { return nil }
        // Token by default: a route is public only when its trigger says so.
        let trigger = HTTPTrigger(method: method?.value ?? "ANY", path: path.value, auth: auth?.value ?? .token)
        return Located(value: trigger, line: path.line, key: path.key)
    }

    // MARK: bucket

    static func parseBucket(_ map: inout YAMLMapping) -> BucketTrigger? {
        let bucket = map.value("bucket", required: true, hint: ScalarConversion.bucketNameHint, ScalarConversion.bucketName)
        let events = parseEvents(&map)
        let prefix = map.value("prefix", hint: "text object keys start with, e.g. images/") { text throws(ValueProblem) in
            guard !text.hasPrefix("/") else {
                throw ValueProblem("\"\(text)\" would never match: object keys are relative paths, without a leading /")
            }
            // A glob's star where a filter ends is a mistake, not a key (S3's filters have no wildcards either).
            guard !text.hasSuffix("*") else {
                throw ValueProblem("\"\(text)\" would match only keys with a literal * in them: filters are plain text, not patterns; write \"\(text.dropLast())\"")
            }
            // Every component of the prefix begins one of the key's: a dot there makes them all
            // dot-files or dot-directories.
            guard !ObjectKey.holdsNoObjects(directory: text) else {
                throw ValueProblem("\"\(text)\" would never match: dot-files and what dot-directories hold are never objects")
            }
            return text
        }
        let suffix = map.value("suffix", hint: "text object keys end with, e.g. .png") { text throws(ValueProblem) in
            guard !text.hasPrefix("*") else {
                throw ValueProblem("\"\(text)\" would match only keys with a literal * in them: filters are plain text, not patterns; write \"\(text.dropFirst())\"")
            }
            if let never = Self.neverMatchingSuffix(text) {
                throw ValueProblem("\"\(text)\" would never match: \(never)")
            }
            return text
        }
        guard let bucket else { return nil }
        return BucketTrigger(
            bucket: bucket.value, events: events ?? [.created], prefix: prefix?.value ?? "", suffix: suffix?.value ?? ""
        )
    }

    /// Why no object's key can end with `suffix`, or nil. Its first component may be the end of a
    /// name; those after a `/` are whole ones.
    static func neverMatchingSuffix(_ suffix: String) -> String? {
        if suffix.hasSuffix("/") { return "an object key names a file, so it never ends with /" }
        if let ignored = ObjectKey.ignoredSuffixes.first(where: { suffix.hasSuffix($0) }) {
            return "names ending \(ignored) are files still being written, never objects"
        }
        if let slash = suffix.utf8.firstIndex(of: UInt8(ascii: "/")),
           ObjectKey.holdsNoObjects(directory: String(suffix[suffix.index(after: slash)...])) {
            return "dot-files and what dot-directories hold are never objects"
        }
        return nil
    }

    private static func parseEvents(_ map: inout YAMLMapping) -> [BucketTrigger.EventKind]? {
        let kinds = BucketTrigger.EventKind.allCases.map(\.rawValue).joined(separator: ", ")
        let hint = "a list of \(kinds), e.g. [created]"
        guard let list = map.list("events", hint: hint) else { return nil }
        guard !list.value.isEmpty else {
            map.report("is empty; it needs at least one event (\(hint))", at: list)
            return nil
        }
        var events: [BucketTrigger.EventKind] = []
        for element in list.value {
            guard let text = map.text(of: element, hint: hint),
                  let event = map.converted(text, ScalarConversion.oneOf(BucketTrigger.EventKind.self))
            else { continue }
            guard !events.contains(event.value) else {
                map.report("\"\(text.value)\" is listed twice", at: text)
                continue
            }
            events.append(event.value)
        }
        return events
    }

    // MARK: queue

    static func parseQueue(_ map: inout YAMLMapping) -> QueueTrigger? {
        let topic = map.value("topic", required: true, hint: ScalarConversion.topicNameHint, ScalarConversion.topicName)
        let batch = map.value("batch", hint: "a whole number", ScalarConversion.integer(in: QueueTrigger.batchRange))
        let window = map.value("window", hint: ScalarConversion.durationHint, ScalarConversion.duration(in: QueueTrigger.windowRange))
        guard let topic else { return nil }
        return QueueTrigger(topic: topic.value, batch: batch?.value ?? 1, window: window?.value ?? .zero)
    }

    // MARK: schedule

    static func parseSchedule(_ map: inout YAMLMapping) -> ScheduleTrigger? {
        let cronHint = "five fields: minute hour day-of-month month day-of-week, quoted, e.g. \"*/5 * * * *\""
        let every = map.value(
            "every", hint: ScalarConversion.durationHint, ScalarConversion.duration(atLeast: ScheduleTrigger.shortestInterval)
        )
        let cron = map.value("cron", hint: cronHint) { text throws(ValueProblem) in
            do throws(CronExpressionError) {
                _ = try CronExpression(text)
            } catch {
                throw ValueProblem("\"\(text)\" is not a cron expression: \(error.description)")
            }
            return text
        }
        switch (map.peek("every"), map.peek("cron")) {
        case let (everyNode?, cronNode?):
            let later = everyNode.line > cronNode.line ? everyNode : cronNode
            map.report("use either every or cron, not both", at: later)
            return nil
        case (nil, nil):
            map.report(
                "a schedule trigger needs every (e.g. every: 5m) or cron (e.g. cron: \"*/5 * * * *\")", key: nil, line: map.line
            )
            return nil
        default:
            if let every { return ScheduleTrigger(rule: .every(every.value)) }
            if let cron { return ScheduleTrigger(rule: .cron(cron.value)) }
            return nil
        }
    }
}

extension QueueTrigger {
    /// How many messages one invocation may take (SQS allows up to 10 000).
    static let batchRange = 1 ... 10_000
    /// How long an invocation may wait for a fuller batch (SQS allows up to 5 minutes).
    static let windowRange: ClosedRange<Duration> = .zero ... .seconds(5 * 60)
}

extension ScheduleTrigger {
    /// The shortest `every`: a schedule is not a busy loop.
    static let shortestInterval: Duration = .seconds(1)
}
