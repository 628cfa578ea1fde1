"""Cold start of the API Lambda: process start to the answer of its first
request, `GET /api/health` as API Gateway (HTTP API, payload 2.0) sends it,
under the same Runtime API harness as the triggers. Nothing is fetched at
init (the client secret is read on first use). Prints JSON, one entry per
zip or binary; `--binary floor=path` adds the physical floor, an empty
`lambda_runtime` function given the same event.

    api_cold_start.py --zip api=path/bootstrap.zip [--binary floor=path] [--runs 20]
"""
import argparse
import json
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from runtime_harness import Harness

ENV = {
    "USER_POOL_ID": "us-east-1_bench",
    "API_CLIENT_ID": "benchclient",
    "PROFILES_TABLE": "profiles",
    "USER_DATA_TABLE": "data",
    "USERNAMES_TABLE": "usernames",
    "THROTTLE_TABLE": "throttle",
    "ALLOWED_ORIGINS": "http://localhost:5173",
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
}


def health_event():
    now = time.time()
    return {
        "version": "2.0",
        "routeKey": "GET /api/health",
        "rawPath": "/api/health",
        "rawQueryString": "",
        "headers": {"accept": "application/json", "host": "bench.execute-api.us-east-1.amazonaws.com",
                    "user-agent": "bench", "x-forwarded-for": "192.0.2.1", "x-forwarded-proto": "https"},
        "requestContext": {
            "accountId": "000000000000", "apiId": "bench",
            "domainName": "bench.execute-api.us-east-1.amazonaws.com", "domainPrefix": "bench",
            "http": {"method": "GET", "path": "/api/health", "protocol": "HTTP/1.1",
                     "sourceIp": "192.0.2.1", "userAgent": "bench"},
            "requestId": "bench-request", "routeKey": "GET /api/health", "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--zip", action="append", default=[], help="label=path of a bootstrap.zip")
    parser.add_argument("--binary", action="append", default=[], help="label=path of a bootstrap binary")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        binaries = {}
        for spec in args.zip:
            label, path = spec.split("=", 1)
            code = Path(scratch) / label
            with zipfile.ZipFile(path) as z:
                z.extractall(code)
            (code / "bootstrap").chmod(0o755)
            binaries[label] = (Path(path), code / "bootstrap")
        for spec in args.binary:
            label, path = spec.split("=", 1)
            binaries[label] = (Path(path), Path(path))
        runs = {label: [] for label in binaries}
        # Interleaved, so a noisy moment hits every binary alike.
        for _ in range(args.runs):
            for label, (_, binary) in binaries.items():
                harness = Harness()
                try:
                    millis, rss, kind, answer = harness.cold_start([str(binary)], health_event(), ENV)
                finally:
                    harness.close()
                status = answer.get("statusCode", 200) if kind == "response" and isinstance(answer, dict) else None
                if status != 200:
                    sys.exit(f"{label}: GET /api/health answered {kind} {str(answer)[:300]}")
                runs[label].append((millis, rss))
        for label, (archive, binary) in binaries.items():
            millis = [r[0] for r in runs[label]]
            results[label] = {
                "zip_bytes": archive.stat().st_size,
                "binary_bytes": binary.stat().st_size,
                "median_ms": statistics.median(millis),
                "max_ms": max(millis),
                "peak_rss_mib": max(r[1] for r in runs[label]) / 1024,
            }
            print(f"{label}: {results[label]}", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
