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


class QuietHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 with keep-alive, no request log, and Nagle off: headers and
    body go out in separate writes, and without it Nagle and the peer's
    delayed ACK hold each kept-alive answer about 40 ms."""
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass


class Harness:
    def __init__(self, stderr=subprocess.DEVNULL):
        self.stderr = stderr
        self._lock = threading.Lock()
        self._events = []
        self._expected = 0
        self._served = []
        self._answers = []
        self._done = threading.Event()
        self._stop = threading.Event()
        harness = self

        class Handler(QuietHandler):

            def do_GET(self):
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404, b"{}")
                with harness._lock:
                    event = harness._events.pop(0) if harness._events else None
                    if event is not None:
                        harness._served.append(time.perf_counter())
                if event is None:
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
                    with harness._lock:
                        harness._answers.append((time.perf_counter(), self.path.rsplit("/", 1)[-1], body))
                        if len(harness._answers) == harness._expected:
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
        started, _, answers, rss = self._run(command, [event], env, timeout)
        answered, kind, body = answers[0]
        return (answered - started) * 1000, rss, kind, json.loads(body or b"null")

    def warm(self, command, events, env=None, timeout=120):
        """One process answers the events in turn, as one warm Lambda
        instance does. A list of (milliseconds from the event's delivery to
        its answer, 'response' or 'error', the answer's JSON), the first
        (cold) one included, and the peak RSS in KiB."""
        _, served, answers, rss = self._run(command, events, env, timeout)
        return [((answered - delivered) * 1000, kind, json.loads(body or b"null"))
                for delivered, (answered, kind, body) in zip(served, answers)], rss

    def _run(self, command, events, env, timeout):
        with self._lock:
            self._events, self._expected = list(events), len(events)
            self._served, self._answers = [], []
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
                raise RuntimeError(f"{command[0]} gave {len(self._answers)} of {len(events)} answers within {timeout}s")
            rss = peak_rss_kib(process.pid)
        finally:
            self._stop.set()
            process.kill()
            process.wait()
        return started, list(self._served), list(self._answers), rss


def peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0
