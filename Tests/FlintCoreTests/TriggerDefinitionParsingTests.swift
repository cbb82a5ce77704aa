import Testing
import FlintCore

@Suite struct TriggerDefinitionParsingTests {
    static let file = "triggers/main.yaml"

    private func parse(_ yaml: String) throws(ProjectLoadError) -> [TriggerDefinition] {
        try TriggerDefinition.parseAll(yaml: yaml, file: Self.file, baseName: "main")
    }

    private func issues(_ yaml: String) -> [String] {
        configIssues { () throws(ProjectLoadError) in try parse(yaml) }
    }

    @Test func multiDocumentFile_namesTriggersByPosition_andAppliesDefaults() throws {
        let triggers = try parse("""
            source: bucket
            function: transcode
            bucket: uploads
            suffix: .png
            ---
            source: queue
            function: resize
            topic: images
            ---
            source: http
            function: echo
            path: /echo/{name}
            ---
            source: schedule
            function: report
            every: 5m
            ---
            """)
        #expect(triggers.map(\.name) == ["main", "main#2", "main#3", "main#4"])
        #expect(triggers.map(\.location) == [
            SourceLocation(file: Self.file, line: 1), SourceLocation(file: Self.file, line: 6),
            SourceLocation(file: Self.file, line: 10), SourceLocation(file: Self.file, line: 14),
        ])
        #expect(triggers.map(\.function) == ["transcode", "resize", "echo", "report"])
        #expect(triggers[0].source == .bucket(BucketTrigger(bucket: "uploads", events: [.created], prefix: "", suffix: ".png")))
        #expect(triggers[1].source == .queue(QueueTrigger(topic: "images", batch: 1)))
        #expect(triggers[2].source == .http(HTTPTrigger(method: "ANY", path: try RoutePattern("/echo/{name}"), auth: .token)))
        #expect(triggers[3].source == .schedule(ScheduleTrigger(rule: .every(.seconds(300)))))
    }

    @Test func everyKey_isRead() throws {
        let triggers = try parse("""
            source: bucket
            function: transcode
            bucket: uploads
            events: [created, removed]
            prefix: images/
            suffix: .png
            ---
            source: queue
            function: resize
            topic: images.v2
            batch: 10
            window: 2s
            ---
            source: http
            function: echo
            method: post
            path: /echo/{name}
            auth: none
            ---
            source: schedule
            function: report
            cron: "*/5 * * * *"
            """)
        #expect(triggers[0].source == .bucket(BucketTrigger(bucket: "uploads", events: [.created, .removed], prefix: "images/", suffix: ".png")))
        #expect(triggers[1].source == .queue(QueueTrigger(topic: "images.v2", batch: 10, window: .seconds(2))))
        #expect(triggers[2].source == .http(HTTPTrigger(method: "POST", path: try RoutePattern("/echo/{name}"), auth: RouteAuth.none)))
        #expect(triggers[3].source == .schedule(ScheduleTrigger(rule: .cron("*/5 * * * *"))))
        #expect(triggers.map(\.kind) == [.bucket, .queue, .http, .schedule])
    }

    @Test func commonKeys_areRequired() {
        #expect(issues("bucket: uploads\n") == [
            "triggers/main.yaml:1: source: is required (one of bucket, queue, http, schedule)",
            "triggers/main.yaml:1: function: is required (the name of a function)",
        ])
        #expect(issues("source: ftp\nfunction: echo\n") == [#"triggers/main.yaml:1: source: "ftp" is not one of bucket, queue, http, schedule"#])
        #expect(issues("source: http\nfunction: Echo!\npath: /e\n") == [
            #"triggers/main.yaml:2: function: "Echo!" must be 1 to 64 characters of a-z, 0-9 and -"#,
        ])
    }

    @Test func keysOfAnotherKind_areUnknownKeys() {
        #expect(issues("source: http\nfunction: echo\npath: /echo\nbucket: uploads\ntopc: x\n") == [
            "triggers/main.yaml:4: bucket: not a key of an http trigger (it belongs to bucket triggers)",
            "triggers/main.yaml:5: topc: not a key of an http trigger (keys: source, function, method, path, auth)",
        ])
        #expect(issues("source: queue\nfunction: resize\ntopic: t\nbatch: 2\nevery: 5m\n") == [
            "triggers/main.yaml:5: every: not a key of a queue trigger (it belongs to schedule triggers)",
        ])
    }

    @Test func httpTrigger_problems() {
        #expect(issues("source: http\nfunction: echo\nmethod: FETCH\npath: echo/{name}\nauth: off\n") == [
            #"triggers/main.yaml:3: method: "FETCH" is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY"#,
            #"triggers/main.yaml:4: path: "echo/{name}" is not a route: must start with /"#,
            #"triggers/main.yaml:5: auth: "off" is not one of none, token"#,
        ])
        #expect(issues("source: http\nfunction: echo\n") == ["triggers/main.yaml:1: path: is required (a route such as /echo/{name})"])
        #expect(issues("source: http\nfunction: echo\npath: /a/{x}/{x}\n") == [
            #"triggers/main.yaml:3: path: "/a/{x}/{x}" is not a route: parameter {x} appears twice"#,
        ])
        #expect(issues("source: http\nfunction: echo\npath: /healthz\n") == [
            #"triggers/main.yaml:3: path: "/healthz" is under /healthz, which Flint serves itself; choose another path"#,
        ])
    }

    @Test func bucketTrigger_problems() {
        #expect(issues("source: bucket\nfunction: t\nbucket: ../etc\nevents: [created, deleted, created]\nprefix: /in\n") == [
            #"triggers/main.yaml:3: bucket: "../etc" is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)"#,
            #"triggers/main.yaml:4: events[1]: "deleted" is not one of created, removed"#,
            #"triggers/main.yaml:4: events[2]: "created" is listed twice"#,
            #"triggers/main.yaml:5: prefix: "/in" would never match: object keys are relative paths, without a leading /"#,
        ])
        #expect(issues("source: bucket\nfunction: t\nbucket: ..\nevents: created\n") == [
            #"triggers/main.yaml:3: bucket: ".." is not a bucket name: one directory under the buckets root, of ASCII letters, digits, ., _ and - (not . or .., no /)"#,
            "triggers/main.yaml:4: events: expected a list, not a single value (a list of created, removed, e.g. [created])",
        ])
        #expect(issues("source: bucket\nfunction: t\nbucket: in\nprefix: \"photos/*\"\nsuffix: \"*.jpg\"\n") == [
            #"triggers/main.yaml:4: prefix: "photos/*" would match only keys with a literal * in them: filters are plain text, not patterns; write "photos/""#,
            #"triggers/main.yaml:5: suffix: "*.jpg" would match only keys with a literal * in them: filters are plain text, not patterns; write ".jpg""#,
        ])
        // Filters no object can match: what the watcher never takes for an object.
        #expect(issues("source: bucket\nfunction: t\nbucket: in\nprefix: .git/\nsuffix: .part\n") == [
            #"triggers/main.yaml:4: prefix: ".git/" would never match: dot-files and what dot-directories hold are never objects"#,
            #"triggers/main.yaml:5: suffix: ".part" would never match: names ending .part are files still being written, never objects"#,
        ])
        #expect(issues("source: bucket\nfunction: t\nbucket: in\nprefix: photos/.cache\nsuffix: raw/\n") == [
            #"triggers/main.yaml:4: prefix: "photos/.cache" would never match: dot-files and what dot-directories hold are never objects"#,
            #"triggers/main.yaml:5: suffix: "raw/" would never match: an object key names a file, so it never ends with /"#,
        ])
        #expect(issues("source: bucket\nfunction: t\nbucket: in\nprefix: my.photos/\nsuffix: x/.y\n") == [
            #"triggers/main.yaml:5: suffix: "x/.y" would never match: dot-files and what dot-directories hold are never objects"#,
        ])
        #expect(issues("source: bucket\nfunction: t\nbucket: in\nprefix: a\nsuffix: .tar.gz\n").isEmpty)
        #expect(issues("source: bucket\nfunction: t\nevents: []\n") == [
            "triggers/main.yaml:1: bucket: is required (a directory name under the buckets root)",
            "triggers/main.yaml:3: events: is empty; it needs at least one event (a list of created, removed, e.g. [created])",
        ])
    }

    @Test func queueTrigger_problems() {
        #expect(issues("source: queue\nfunction: r\ntopic: my topic\nbatch: 0\n") == [
            #"triggers/main.yaml:3: topic: "my topic" must be 1 to 128 characters of ASCII letters, digits, ., _ and -"#,
            #"triggers/main.yaml:4: batch: "0" is out of range (allowed: 1...10000)"#,
        ])
        #expect(issues("source: queue\nfunction: r\nbatch: 10001\n") == [
            "triggers/main.yaml:1: topic: is required (a topic name such as images)",
            #"triggers/main.yaml:3: batch: "10001" is out of range (allowed: 1...10000)"#,
        ])
        #expect(issues("source: queue\nfunction: r\ntopic: flint.dead-letters\nwindow: 6m\n") == [
            #"triggers/main.yaml:3: topic: "flint.dead-letters" is reserved for Flint's own topics; choose a name that does not start with flint."#,
            #"triggers/main.yaml:4: window: "6m" is out of range (allowed: 0s...5m)"#,
        ])
        #expect(issues("source: queue\nfunction: r\ntopic: t\nwindow: soon\nwindw: 1s\n") == [
            #"triggers/main.yaml:4: window: "soon" is not a duration (use 500ms, 30s, 5m, 7d)"#,
            "triggers/main.yaml:5: windw: not a key of a queue trigger (did you mean window?)",
        ])
    }

    @Test func queueTrigger_windowDefaultsToZero_andTopicMayLookLikeFlintsWithoutTheDot() throws {
        let triggers = try parse("source: queue\nfunction: r\ntopic: flint-images\nwindow: 0ms\n---\nsource: queue\nfunction: r\ntopic: t\n")
        #expect(triggers.map(\.source) == [
            .queue(QueueTrigger(topic: "flint-images", batch: 1, window: .zero)),
            .queue(QueueTrigger(topic: "t", batch: 1)),
        ])
    }

    @Test func scheduleTrigger_needsExactlyOneRule() {
        #expect(issues("source: schedule\nfunction: r\n") == [
            #"triggers/main.yaml:1: a schedule trigger needs every (e.g. every: 5m) or cron (e.g. cron: "*/5 * * * *")"#,
        ])
        #expect(issues("source: schedule\nfunction: r\nevery: 5m\ncron: \"0 * * * *\"\n") == [
            "triggers/main.yaml:4: cron: use either every or cron, not both",
        ])
        #expect(issues("source: schedule\nfunction: r\nevery: 500ms\n") == [#"triggers/main.yaml:3: every: "500ms" is too short (at least 1s)"#])
        #expect(issues("source: schedule\nfunction: r\ncron: \"*/5 * * *\"\n") == [
            #"triggers/main.yaml:3: cron: "*/5 * * *" is not a cron expression: has 4 fields, needs 5: minute hour day-of-month month day-of-week"#,
        ])
        #expect(issues("source: schedule\nfunction: r\ncron: \"0 25 * * *\"\n") == [
            #"triggers/main.yaml:3: cron: "0 25 * * *" is not a cron expression: hour 25 is out of range (0-23)"#,
        ])
    }

    @Test func problemsInSeveralDocuments_areAllReported() {
        #expect(issues("source: queue\nfunction: r\n---\nsource: http\nfunction: e\npath: nope\n---\n- a list\n") == [
            "triggers/main.yaml:1: topic: is required (a topic name such as images)",
            #"triggers/main.yaml:6: path: "nope" is not a route: must start with /"#,
            "triggers/main.yaml:8: expected a mapping with source and function, not a list",
        ])
    }

    @Test func emptyFile_definesNoTriggers() throws {
        #expect(try parse("# nothing here yet\n").isEmpty)
        #expect(try parse("").isEmpty)
    }
}
