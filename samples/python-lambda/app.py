"""A Lambda handler, unchanged: the same file runs on AWS Lambda's Python runtime.

Flint runs it warm under awslambdaric (AWS's Python runtime interface client) over the Lambda
Runtime API: the module is imported once per instance, then `handler` is called per event.
"""
import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)

# Module state lives as long as the instance: a warm invocation sees the count go up.
invocations = 0


def handler(event, context):
    global invocations
    invocations += 1
    if "Records" in event:
        return handle_messages(event["Records"], context)
    return handle_request(event, context)


def handle_request(event, context):
    """An API Gateway HTTP API (payload 2.0) request from the HTTP trigger."""
    name = (event.get("pathParameters") or {}).get("name", "world")
    if (event.get("queryStringParameters") or {}).get("raise"):
        raise ValueError(f"asked to fail for {name}")
    logger.info("greeting %s (request %s)", name, context.aws_request_id)
    body = {
        "message": f"Hello, {name}!",
        "requestId": context.aws_request_id,
        "remainingMs": context.get_remaining_time_in_millis(),
        "function": context.function_name,
        "invocationsOfThisInstance": invocations,
    }
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def handle_messages(records, context):
    """An SQS batch from the queue trigger. A message with "raise" fails the whole batch (an
    exception, retried by Flint like Lambda's SQS poller); one without "job" is reported in
    batchItemFailures, so only it is retried."""
    failures = []
    for record in records:
        job = json.loads(record["body"])
        if job.get("raise"):
            raise RuntimeError(f"job {job.get('job')}: asked to raise")
        if "job" not in job:
            logger.warning("message %s has no job; it will be retried", record["messageId"])
            failures.append({"itemIdentifier": record["messageId"]})
            continue
        logger.info("job %s done (delivery %s)", job["job"], record["attributes"]["ApproximateReceiveCount"])
    return {"batchItemFailures": failures}
