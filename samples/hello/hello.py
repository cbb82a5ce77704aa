"""An exec handler: the API Gateway v2 event arrives on stdin, the response goes to stdout."""
import json
import os
import sys

event = json.load(sys.stdin)
name = (event.get("pathParameters") or {}).get("name") \
    or (event.get("queryStringParameters") or {}).get("name") \
    or "world"
greeting = os.environ.get("GREETING", "Hello")
print(f"greeting {name}", file=sys.stderr)  # stderr is the invocation's log
json.dump({
    "statusCode": 200,
    "headers": {"content-type": "text/plain; charset=utf-8", "x-handled-by": os.environ["FLINT_FUNCTION"]},
    "body": f"{greeting}, {name}!\n",
}, sys.stdout)
