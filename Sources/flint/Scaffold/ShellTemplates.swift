/// `flint init --lang sh`: POSIX shell handlers.
enum ShellTemplates {
    /// What the handler does with `$event` for its trigger; prints the result.
    private static func body(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        switch trigger {
        case .http:
            #"""
                # Whom to greet: "name" in a JSON request body (the event's first "body"), when it is
                # plain (letters, digits, spaces, . _ -: the reply carries it as it is); else world.
                who=$(printf '%s' "$event" | grep -oE '"body": *"([^"\\]|\\.)*"' | head -n 1 |
                    sed -n 's/.*\\"name\\" *: *\\"\([A-Za-z0-9 ._-]*\)\\".*/\1/p')
                who=${who:-world}
                echo "POST /\#(name) for $who" >&2
                printf '{"statusCode": 200, "headers": {"content-type": "application/json"}, "body": "{\\"message\\": \\"hello %s, from \#(name)\\"}"}\n' "$who"
            """#
        case .queue:
            #"""
                # One record per message: Flint writes its body (a JSON string, whose \" and \\ are
                # undone here) before its messageId.
                printf '%s' "$event" | grep -oE '"(body|messageId)": *"([^"\\]|\\.)*"' | awk '
                    { value = $0; sub(/^"[A-Za-z]*": *"/, "", value); sub(/"$/, "", value) }
                    /^"body"/ { gsub(/\\\\/, "\001", value); gsub(/\\"/, "\"", value); gsub(/\001/, "\\", value); body = value; next }
                    { print "message " value ": " body }' >&2
                # Messages listed here are retried; the others are done.
                echo '{"batchItemFailures": []}'
            """#
        case .bucket:
            #"""
                # One record per object: Flint writes its eventName, bucket name, key (form-URL-encoded,
                # as S3 sends it, so without quotes; decoded here) and size (none for one removed).
                printf '%s' "$event" | grep -oE '"(eventName|name|key)": *"[^"]*"|"size": *[0-9]+' | awk -F '"' '
                    function hex(digit) { return index("0123456789abcdef", tolower(digit)) - 1 }
                    function decoded(text,   out, i, c) {
                        gsub(/\+/, " ", text)
                        for (i = 1; i <= length(text); i++) {
                            c = substr(text, i, 1)
                            if (c == "%") { c = sprintf("%c", 16 * hex(substr(text, i + 1, 1)) + hex(substr(text, i + 2, 1))); i += 2 }
                            out = out c
                        }
                        return out
                    }
                    function report() { if (key != "") print event " " bucket "/" key (size == "" ? "" : ": " size " bytes"); key = size = "" }
                    $2 == "eventName" { report(); event = $4 }
                    $2 == "name" { bucket = $4 }
                    $2 == "key" { key = decoded($4) }
                    $2 == "size" { size = $3; sub(/^: */, "", size) }
                    END { report() }' >&2
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
