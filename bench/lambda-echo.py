#!/usr/bin/python3
"""A plain Python Lambda runtime loop for bench/lambda-bench.sh: the standard library only (no
awslambdaric), one keep-alive http.client connection to AWS_LAMBDA_RUNTIME_API, every event
answered with its own bytes. The cold-start table's "Python Runtime API loop" row."""
import http.client
import os

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
BASE = "/2018-06-01/runtime/invocation"


def main():
    conn = http.client.HTTPConnection(API)
    while True:
        conn.request("GET", BASE + "/next")
        r = conn.getresponse()
        event = r.read()
        request_id = r.getheader("Lambda-Runtime-Aws-Request-Id")   # http.client matches names case-insensitively
        conn.request("POST", f"{BASE}/{request_id}/response", body=event, headers={"Content-Type": "application/json"})
        conn.getresponse().read()


if __name__ == "__main__":
    main()
