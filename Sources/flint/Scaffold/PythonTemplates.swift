/// `flint init --lang python`: Python 3 handlers, standard library only.
enum PythonTemplates {
    /// `handle(event)` for the trigger: returns the result.
    private static func handle(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        switch trigger {
        case .http:
            #"""
            def handle(event):
                """An API Gateway HTTP API (payload 2.0) event in, a response out."""
                try:
                    body = json.loads(event.get("body") or "{}") if not event.get("isBase64Encoded") else {}
                except ValueError:  # not JSON: the world is greeted
                    body = {}
                who = body.get("name", "world") if isinstance(body, dict) else "world"
                print(f"{event.get('routeKey')} for {who}", file=sys.stderr)
                return {
                    "statusCode": 200,
                    "headers": {"content-type": "application/json"},
                    "body": json.dumps({"message": f"hello {who}, from \#(name)"}),
                }
            """#
        case .queue:
            #"""
            def handle(event):
                """An SQS event in: a batch of messages. Messages listed in batchItemFailures are retried."""
                failures = []
                for record in event.get("Records", []):
                    print(f"message {record['messageId']}: {record['body']}", file=sys.stderr)
                return {"batchItemFailures": failures}
            """#
        case .bucket:
            #"""
            def handle(event):
                """An S3 event in: one record per object created."""
                for record in event.get("Records", []):
                    obj = record["s3"]["object"]
                    key = urllib.parse.unquote_plus(obj["key"])
                    size = "" if obj.get("size") is None else f": {obj['size']} bytes"  # none for an object removed
                    print(f"{record['eventName']} {record['s3']['bucket']['name']}/{key}{size}", file=sys.stderr)
                return {}
            """#
        case .none:
            #"""
            def handle(event):
                """Any event in; it comes back unchanged."""
                return event
            """#
        }
    }

    static func exec(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        #"""
        # \#(name): the event arrives on stdin as JSON, the result goes to stdout, and stderr is the log;
        # an uncaught exception (a non-zero exit) is a failure (docs/handler-protocol.md).
        import json
        import sys
        import urllib.parse


        \#(handle(name: name, trigger: trigger))


        if __name__ == "__main__":
            json.dump(handle(json.load(sys.stdin)), sys.stdout)

        """#
    }

    static func lambda(name: String, trigger: FunctionScaffold.TriggerKind) -> String {
        #"""
        # \#(name): an AWS Lambda handler, run unchanged by awslambdaric (python3 -m awslambdaric
        # handler.handler) on Flint's Lambda Runtime API; one instance serves invocation after
        # invocation while warm (docs/handler-protocol.md, lambda mode). A raised exception is the
        # invocation's error.
        import json
        import sys
        import urllib.parse


        \#(handle(name: name, trigger: trigger))


        def handler(event, context):
            print(f"request {context.aws_request_id}, {context.get_remaining_time_in_millis()} ms left", file=sys.stderr)
            return handle(event)

        """#
    }
}
