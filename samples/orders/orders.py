"""An exec handler for a queue trigger: an SQS event on stdin, a partial batch response on stdout."""
import json
import sys

event = json.load(sys.stdin)
failures = []
for record in event["Records"]:
    order = json.loads(record["body"])
    if "id" not in order:
        print(f"message {record['messageId']}: no order id; will be retried", file=sys.stderr)
        failures.append({"itemIdentifier": record["messageId"]})
        continue
    receives = record["attributes"]["ApproximateReceiveCount"]
    print(f"order {order['id']}: {order.get('item', '?')} (delivery {receives})", file=sys.stderr)
json.dump({"batchItemFailures": failures}, sys.stdout)
