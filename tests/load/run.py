"""Runs the load test (scripts/load): locust headless with locustfile.py
against the API on the local stack, samples each component's CPU once a
second (MiniStack with the Lambda processes it runs, the API, locust), then
checks that every confirmed account has its profile. Prints a JSON report;
exits 1 on any failed request or lost profile."""
import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import boto3

HERE = Path(__file__).resolve().parent
TICKS = os.sysconf("SC_CLK_TCK")


def children_of():
    tree = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                tree.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError):
                pass
    return tree


def cpu_seconds(pid, tree):
    """The process's CPU and that of its children, living and reaped."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = sum(int(f) for f in fields[11:15]) / TICKS  # utime stime cutime cstime
    return own + sum(cpu_seconds(child, tree) for child in tree.get(pid, []))


def percentile(histogram, q):
    """From locust's histogram of response times (ms, rounded as locust rounds them)."""
    total = sum(count for _, count in histogram)
    seen = 0
    for ms, count in histogram:
        seen += count
        if seen >= q * total:
            return ms
    return None


def find(pattern):
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if pattern in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    return int(entry.name)
            except OSError:
                pass
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True)
    parser.add_argument("--ministack", required=True)
    parser.add_argument("--profiles-table", required=True)
    parser.add_argument("--journeys", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    confirmed = out / "confirmed.txt"
    confirmed.unlink(missing_ok=True)
    components = {"MiniStack (with the Lambdas it runs)": find("emulator/launch.py"),
                  "API (api-local)": find("/api-local")}
    env = dict(os.environ, LOAD_JOURNEYS=str(args.journeys), LOAD_MINISTACK=args.ministack,
               LOAD_CONFIRMED=str(confirmed))
    started = time.monotonic()
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
         "--host", args.api, "-u", str(args.users), "-r", str(args.users), "--run-time", "30m",
         "--stop-timeout", "30", "--json-file", str(out / "locust"), "--only-summary",
         "--loglevel", "WARNING"],
        env=env)
    components["locust (the load)"] = locust.pid
    samples = {name: [] for name in components}
    while locust.poll() is None:
        tree = children_of()
        now = time.monotonic()
        for name, pid in components.items():
            if pid:
                samples[name].append((now, cpu_seconds(pid, tree)))
        time.sleep(1)
    wall = time.monotonic() - started
    cpu = {}
    for name, points in samples.items():
        if len(points) < 2:
            continue
        rates = [(b[1] - a[1]) / (b[0] - a[0]) for a, b in zip(points, points[1:]) if b[0] > a[0]]
        rates.sort()
        cpu[name] = {"cpu_seconds": points[-1][1] - points[0][1],
                     "mean_cores": (points[-1][1] - points[0][1]) / (points[-1][0] - points[0][0]),
                     "p90_cores": rates[int(len(rates) * 0.9)] if rates else 0}
    steps = {}
    for entry in json.loads((out / "locust.json").read_text()):
        histogram = sorted((float(ms), count) for ms, count in entry["response_times"].items())
        steps[entry["name"]] = {"requests": entry["num_requests"], "failures": entry["num_failures"],
                                "p50_ms": percentile(histogram, 0.50), "p99_ms": percentile(histogram, 0.99),
                                "max_ms": entry["max_response_time"]}
    emails = set(confirmed.read_text().split()) if confirmed.exists() else set()
    dynamodb = boto3.client("dynamodb", endpoint_url=args.ministack, region_name="us-east-1",
                            aws_access_key_id="local", aws_secret_access_key="local")
    stored = set()
    for page in dynamodb.get_paginator("scan").paginate(TableName=args.profiles_table):
        stored.update(item["email"]["S"] for item in page["Items"] if "email" in item)
    lost = sorted(emails - stored)
    failures = sum(s["failures"] for s in steps.values())
    journeys = min((s["requests"] - s["failures"] for name, s in steps.items() if name.startswith("6 ")),
                   default=0)
    report = {"journeys_asked": args.journeys, "journeys_completed": journeys, "users": args.users,
              "wall_seconds": wall, "failures": failures, "confirmed": len(emails),
              "profiles_lost": len(lost), "lost": lost[:20], "steps": steps, "cpu": cpu,
              "cores": os.cpu_count(), "locust_exit": locust.returncode}
    print(json.dumps(report, indent=2))
    sys.exit(0 if failures == 0 and not lost and journeys == args.journeys else 1)


if __name__ == "__main__":
    main()
