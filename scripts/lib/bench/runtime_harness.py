"""A minimal AWS Lambda Runtime API (the HTTP interface a `provided.al2023`
bootstrap polls), to time cold starts the same way for any language: the
process is started, gets one event from /next, and the clock stops when its
response arrives. The process's peak RSS (VmHWM) is read at that moment.

One harness (one port) per run. Only what a bootstrap needs: GET /2018-06-01/runtime/invocation/next,
POST .../invocation/{id}/response and .../error, POST .../init/error.
"""
import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime"


class Harness:
    def __init__(self, stderr=subprocess.DEVNULL):
        self.stderr = stderr
        self._lock = threading.Lock()
        self._event = None
        self._served = False
        self._answer = None
        self._done = threading.Event()
        self._stop = threading.Event()
        harness = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404, b"{}")
                with harness._lock:
                    first = not harness._served
                    harness._served = True
                    event = harness._event
                if not first:
                    # The runtime asks for its next event: hold it until the run ends.
                    harness._stop.wait(30)
                    return self._reply(500, b"{}")
                body = json.dumps(event).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Lambda-Runtime-Aws-Request-Id", "bench-request")
                self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                                 "arn:aws:lambda:us-east-1:000000000000:function:bench")
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.path.endswith("/response") or self.path.endswith("/error"):
                    harness._answer = (time.perf_counter(), self.path.rsplit("/", 1)[-1], body)
                    harness._done.set()
                self._reply(202, b"{}")

            def _reply(self, status, body):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the process was stopped once it had answered

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.handle_error = lambda request, address: None  # stopped processes drop connections
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = f"127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()

    def cold_start(self, command, event, env=None, timeout=30):
        """(milliseconds from process start to response, peak RSS in KiB,
        'response' or 'error', the answer's JSON). Use a harness for one run
        only: a stopped process's late request must not meet the next run."""
        with self._lock:
            self._event, self._served, self._answer = event, False, None
        self._done.clear()
        self._stop.clear()
        run_env = {
            "PATH": os.environ.get("PATH", ""),
            "AWS_LAMBDA_RUNTIME_API": self.address,
            "AWS_LAMBDA_FUNCTION_NAME": "bench",
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/bench",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_EC2_METADATA_DISABLED": "true",
            "RUST_LOG": "warn",
            **(env or {}),
        }
        started = time.perf_counter()
        process = subprocess.Popen(command, env=run_env, stdout=subprocess.DEVNULL, stderr=self.stderr)
        try:
            if not self._done.wait(timeout):
                raise RuntimeError(f"{command[0]} gave no answer within {timeout}s")
            answered, kind, body = self._answer
            rss = peak_rss_kib(process.pid)
        finally:
            self._stop.set()
            process.kill()
            process.wait()
        return (answered - started) * 1000, rss, kind, json.loads(body or b"null")


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
