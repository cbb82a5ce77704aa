/// `flint init --lang sh`: POSIX shell handlers.
enum ShellTemplates {
    /// What the handler does with `$event` for its trigger; prints the result.
    private static func body(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        switch trigger {
        case .http:
            #"""
                echo "POST /\#(name): ${#event} bytes of event" >&2
                printf '%s\n' '{"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{\"message\": \"hello from \#(name)\"}"}'
            """#
        case .queue:
            #"""
                echo "a batch of $(printf '%s' "$event" | grep -o '"messageId"' | wc -l) message(s) on topic \#(name)" >&2
                # Messages listed here are retried; the others are done.
                echo '{"batchItemFailures": []}'
            """#
        case .bucket:
            #"""
                # Each record names one object: its key (form-URL-encoded, as S3 sends it) and size.
                printf '%s' "$event" | grep -oE '"(key|size)": *("[^"]*"|[0-9]+)' >&2 || true
                echo '{}'
            """#
        case .none:
            #"""
                printf '%s' "$event"
            """#
        }
    }

    static func exec(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        #"""
        #!/bin/sh
        # \#(name): the event arrives on stdin, the result goes to stdout, and stderr is the log; exit
        # status 0 is success (docs/handler-protocol.md).
        set -eu
        event=$(cat)
        \#(body(name: name, trigger: trigger).trimmingLeadingIndent)

        """#
    }

    static func lambda(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        #"""
        #!/bin/sh
        # \#(name): a Lambda custom runtime in shell. It asks the Runtime API for the next event, handles
        # it, and posts the result, for as long as the instance lives; Flint starts it on demand and
        # stops it once idle (docs/handler-protocol.md, lambda mode). Needs curl.
        set -eu
        api="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/invocation"
        headers=$(mktemp)
        trap 'rm -f "$headers"' EXIT

        handle() {
            event=$1
        \#(body(name: name, trigger: trigger))
        }

        while :; do
            event=$(curl -sS -D "$headers" "$api/next")
            id=$(grep -i '^lambda-runtime-aws-request-id:' "$headers" | cut -d: -f2 | tr -d ' \r')
            if result=$(handle "$event"); then
                printf '%s' "$result" | curl -sS -X POST --data-binary @- "$api/$id/response" > /dev/null
            else
                curl -sS -X POST -d '{"errorMessage": "the handler failed", "errorType": "HandlerError"}' "$api/$id/error" > /dev/null
            fi
        done

        """#
    }
}

extension String {
    /// The lines with the 4-space indent of a shell function body removed (for the top level).
    var trimmingLeadingIndent: String {
        split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }
            .joined(separator: "\n")
    }
}
