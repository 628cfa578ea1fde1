"""The Runtime API loop a Python custom runtime runs (what awslambdaric does),
so the peers start under the same harness as the Rust bootstraps."""
import json
import os
import urllib.request


def serve(handler):
    base = f"http://{os.environ['AWS_LAMBDA_RUNTIME_API']}/2018-06-01/runtime/invocation"
    while True:
        with urllib.request.urlopen(f"{base}/next") as reply:
            request_id = reply.headers["Lambda-Runtime-Aws-Request-Id"]
            event = json.load(reply)
        try:
            body, outcome = handler(event, None), "response"
        except Exception as err:  # reported to Lambda like any runtime does
            body, outcome = {"errorType": type(err).__name__, "errorMessage": str(err)}, "error"
        post = urllib.request.Request(f"{base}/{request_id}/{outcome}", data=json.dumps(body).encode(),
                                      method="POST")
        urllib.request.urlopen(post).read()
