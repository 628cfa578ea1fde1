"""The API Lambda beside its Python peer (peers/api_app.py: FastAPI through
Mangum, boto3, PyJWT) and beside the physical floor (an empty
`lambda_runtime` function), under the same Runtime API harness, against the
same moto, with the same API Gateway (HTTP API, payload 2.0) events.

Cold starts, process start to first answer: `GET /api/health` (nothing
fetched), the first `GET /api/users/me` (the JWKS fetch, GetUser and the
profile read included) and the first sign-in. Warm: one process answers
`GET /api/users/me`, `GET /api/data` and sign-ins in turn, as one Lambda
instance does.

Every AWS call and the JWKS fetch go through a timing proxy in front of moto,
so each figure comes with the emulator's share (the time the function waited
on moto); what is left is the function's own. Prints JSON.

    api_bench.py --api path/bootstrap.zip --floor path/empty_function \
        --python .venv-bench/bin/python --moto URL [--cold-runs 20] [--warm-requests 300]
"""
import argparse
import base64
import hmac
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import boto3

from runtime_harness import Harness, QuietHandler

PEERS = Path(__file__).resolve().parent / "peers"
EMAIL, PASSWORD = "bench.user@example.com", "Correct-Horse-Battery-9"
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}


class EmulatorClock:
    """A forwarding proxy in front of moto that adds up the time spent
    waiting on moto (connection, request, whole answer)."""

    def __init__(self, upstream):
        target = urlsplit(upstream)
        self.waited = 0.0
        self.calls = 0
        lock = threading.Lock()
        local = threading.local()
        clock = self

        class Forward(QuietHandler):

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                started = time.perf_counter()
                if not hasattr(local, "conn"):
                    local.conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                try:
                    local.conn.request(self.command, self.path, body=body, headers=headers)
                    answer = local.conn.getresponse()
                    payload = answer.read()
                except (http.client.HTTPException, OSError):
                    local.conn.close()
                    local.conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                    local.conn.request(self.command, self.path, body=body, headers=headers)
                    answer = local.conn.getresponse()
                    payload = answer.read()
                with lock:
                    clock.waited += time.perf_counter() - started
                    clock.calls += 1
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in HOP_BY_HOP | {"content-length"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def reading(self):
        return self.waited, self.calls


def fixture(moto, proxy):
    aws = dict(endpoint_url=moto, region_name="us-east-1", aws_access_key_id="bench",
               aws_secret_access_key="bench")
    idp, dynamodb = boto3.client("cognito-idp", **aws), boto3.client("dynamodb", **aws)
    suffix = uuid.uuid4().hex[:8]

    def table(name, *keys):
        dynamodb.create_table(
            TableName=name, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
            KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys])
        return name

    pool = idp.create_user_pool(PoolName=f"bench-{suffix}", UsernameAttributes=["email"],
                                Schema=[{"Name": "name", "AttributeDataType": "String"}])["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool, GroupName="users")
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="api", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
    user = idp.admin_create_user(
        UserPoolId=pool, Username=EMAIL, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": EMAIL}, {"Name": "name", "Value": "Bench User"},
                        {"Name": "email_verified", "Value": "true"}])["User"]
    idp.admin_set_user_password(UserPoolId=pool, Username=EMAIL, Password=PASSWORD, Permanent=True)
    idp.admin_add_user_to_group(UserPoolId=pool, Username=EMAIL, GroupName="users")
    sub = next(a["Value"] for a in user["Attributes"] if a["Name"] == "sub")
    env = {
        "USER_POOL_ID": pool, "API_CLIENT_ID": client["ClientId"],
        "API_CLIENT_SECRET": client["ClientSecret"],
        "JWKS_URL": f"{proxy}/{pool}/.well-known/jwks.json", "AWS_ENDPOINT_URL": proxy,
        "PROFILES_TABLE": table(f"profiles-{suffix}", ("userId", "HASH")),
        "USER_DATA_TABLE": table(f"data-{suffix}", ("userId", "HASH"), ("itemId", "RANGE")),
        "USERNAMES_TABLE": table(f"usernames-{suffix}", ("username", "HASH")),
        "THROTTLE_TABLE": table(f"throttle-{suffix}", ("key", "HASH")),
        "AUTH_LIMIT_PER_ADDRESS": "1000000", "AUTH_LIMIT_PER_ACCOUNT": "1000000",
        "AUTH_FAILURES_PER_ADDRESS_PER_HOUR": "1000000", "AUTH_FAILURES_PER_ACCOUNT_PER_HOUR": "1000000",
        "ALLOWED_ORIGINS": "http://localhost:5173", "SIGNUP_MIN_DURATION_MS": "0",
    }
    now = "2026-11-26T00:00:00Z"
    dynamodb.put_item(TableName=env["PROFILES_TABLE"], Item={
        "userId": {"S": sub}, "email": {"S": EMAIL}, "name": {"S": "Bench User"},
        "role": {"S": "users"}, "createdAt": {"S": now}})
    for n in range(20):
        dynamodb.put_item(TableName=env["USER_DATA_TABLE"], Item={
            "userId": {"S": sub}, "itemId": {"S": f"item-{n:02d}"}, "title": {"S": f"Item {n}"},
            "content": {"S": "x" * 200}, "createdAt": {"S": now}})
    hashed = hmac.new(client["ClientSecret"].encode(), (EMAIL + client["ClientId"]).encode(),
                      "sha256").digest()
    tokens = idp.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH", ClientId=client["ClientId"],
        AuthParameters={"USERNAME": EMAIL, "PASSWORD": PASSWORD,
                        "SECRET_HASH": base64.b64encode(hashed).decode()})
    return env, tokens["AuthenticationResult"]["AccessToken"]


def event(method, path, token=None, body=None):
    now = time.time()
    headers = {"accept": "application/json", "host": "bench.execute-api.us-east-1.amazonaws.com",
               "user-agent": "bench", "x-forwarded-for": "192.0.2.1", "x-forwarded-proto": "https"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    if body is not None:
        headers["content-type"] = "application/json"
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "000000000000", "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com", "domainPrefix": "bench",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "bench"},
            "requestId": f"bench-{uuid.uuid4().hex[:12]}", "routeKey": "$default", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def answered_ok(label, kind, answer):
    status = answer.get("statusCode") if kind == "response" and isinstance(answer, dict) else None
    if status != 200:
        sys.exit(f"{label}: answered {kind} {str(answer)[:400]}")


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round((len(ordered) - 1) * q))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True, help="the API's bootstrap.zip")
    parser.add_argument("--floor", required=True, help="the empty function's binary")
    parser.add_argument("--python", required=True, help="the peer's interpreter")
    parser.add_argument("--moto", required=True)
    parser.add_argument("--cold-runs", type=int, default=20)
    parser.add_argument("--warm-requests", type=int, default=300)
    args = parser.parse_args()
    clock = EmulatorClock(args.moto)
    env, token = fixture(args.moto, clock.url)
    results = {"cold": {}, "warm": {}, "cold_runs": args.cold_runs}
    with tempfile.TemporaryDirectory() as scratch:
        code = Path(scratch) / "api"
        with zipfile.ZipFile(args.api) as z:
            z.extractall(code)
        (code / "bootstrap").chmod(0o755)
        commands = {"rust": [str(code / "bootstrap")],
                    "python": [args.python, str(PEERS / "api_app.py")],
                    "floor": [args.floor]}
        # The Rust API as deployed: the template gives it no client secret, so
        # its first sign-in reads it (DescribeUserPoolClient); the original
        # application had its secret in its environment.
        envs = {"rust": {k: v for k, v in env.items() if k != "API_CLIENT_SECRET"},
                "python": env, "floor": env}
        results["zip_bytes"] = Path(args.api).stat().st_size
        results["binary_bytes"] = (code / "bootstrap").stat().st_size
        requests = {
            "health": lambda: event("GET", "/api/health"),
            "me": lambda: event("GET", "/api/users/me", token),
            "signin": lambda: event("POST", "/api/auth/signin", body={"username": EMAIL, "password": PASSWORD}),
        }
        runs = {}
        for _ in range(args.cold_runs):  # interleaved, so a noisy moment hits everyone alike
            for name, make in requests.items():
                for label, command in commands.items():
                    if label == "floor" and name != "health":
                        continue
                    waited_before, _ = clock.reading()
                    harness = Harness()
                    try:
                        millis, rss, kind, answer = harness.cold_start(command, make(), envs[label])
                    finally:
                        harness.close()
                    if label != "floor":
                        answered_ok(f"{label} {name}", kind, answer)
                    waited = (clock.reading()[0] - waited_before) * 1000
                    runs.setdefault((name, label), []).append((millis, rss, waited))
        for (name, label), measured in runs.items():
            millis = [m[0] for m in measured]
            results["cold"].setdefault(name, {})[label] = {
                "median_ms": statistics.median(millis), "max_ms": max(millis),
                "emulator_median_ms": statistics.median(m[2] for m in measured),
                "peak_rss_mib": max(m[1] for m in measured) / 1024,
            }
        warm_requests = {**{name: requests[name] for name in ("me", "signin")},
                         "data": lambda: event("GET", "/api/data", token)}
        for name, make in warm_requests.items():
            for label in ("rust", "python"):
                count = args.warm_requests if name != "signin" else args.warm_requests // 5
                events = [make() for _ in range(count + 1)]
                waited_before, calls_before = clock.reading()
                harness = Harness()
                started = time.perf_counter()
                try:
                    answers, rss = harness.warm(commands[label], events, envs[label])
                finally:
                    harness.close()
                elapsed = time.perf_counter() - started
                waited, calls = clock.reading()
                for millis, kind, answer in answers:
                    answered_ok(f"{label} warm {name}", kind, answer)
                warm = [a[0] for a in answers[1:]]  # the first was the cold start
                results["warm"].setdefault(name, {})[label] = {
                    "requests": len(warm),
                    "per_second": len(warm) / (sum(warm) / 1000),
                    "p50_ms": percentile(warm, 0.5), "p99_ms": percentile(warm, 0.99),
                    "emulator_ms_per_request": (waited - waited_before) * 1000 / len(answers),
                    "emulator_calls_per_request": (calls - calls_before) / len(answers),
                    "peak_rss_mib": rss / 1024, "wall_seconds": elapsed,
                }
                print(f"warm {name} {label}: {results['warm'][name][label]}", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
