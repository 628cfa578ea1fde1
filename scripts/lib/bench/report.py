"""Turns the JSON figures scripts/bench collected (in DIR) into the markdown
of BENCHMARKS.md: the machine, then one table per benchmark with its target
and whether it was met."""
import json
import platform
import re
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path


def load(directory, name):
    return json.loads((directory / f"{name}.json").read_text())


def command_output(command):
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def machine():
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    cores = len(re.findall(r"^processor", Path("/proc/cpuinfo").read_text(), re.M))
    memory = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1)) / 1024 / 1024
    return (f"{cpu}, {cores} cores, {memory:.0f} GiB; Linux {platform.release()}; "
            f"{command_output(['rustc', '--version'])}; Python {platform.python_version()}; "
            f"Node.js {command_output(['node', '--version'])}")


def verdict(ok):
    return "met" if ok else "**missed**"


def api_section(api):
    """The API function: `GET /api/health` cold start (scripts/lib/bench/api_cold_start.py)."""
    r, floor = api["api"], api["floor"]
    ratio = r["median_ms"] / floor["median_ms"]
    return [
        "",
        "The API function, `GET /api/health` as API Gateway (payload 2.0) sends it (nothing is",
        "fetched at init), beside the physical floor: an empty `lambda_runtime` function",
        "(`api/examples/empty_function.rs`, same release profile) under the same harness:",
        "",
        "| function | zip | median | max | peak RSS | targets (zip ≤ 4 MB; ≤ 2× the floor) |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| api | {r['zip_bytes'] / 1024 / 1024:.2f} MB | {r['median_ms']:.1f} ms | {r['max_ms']:.1f} ms | "
        f"{r['peak_rss_mib']:.1f} MiB | zip {verdict(r['zip_bytes'] <= 4 * 1024 * 1024)}; "
        f"{ratio:.1f}× the floor: {verdict(ratio <= 2)} |",
        f"| empty function (floor) | — | {floor['median_ms']:.1f} ms | {floor['max_ms']:.1f} ms | "
        f"{floor['peak_rss_mib']:.1f} MiB | |",
    ]


def history():
    """Earlier measurements kept for comparison (scripts/lib/bench/history.md)."""
    path = Path(__file__).with_name("history.md")
    return ["", path.read_text().rstrip()] if path.exists() else []


def main():
    directory = Path(sys.argv[1])
    cold = load(directory, "cold-start")
    rust_score, python_score, js_score = (load(directory, f"score-{n}") for n in ("rust", "python", "js"))
    rust_verify, js_verify = load(directory, "verify-rust"), load(directory, "verify-js")
    warm = load(directory, "warm")
    lines = [
        "# Benchmarks",
        "",
        f"Measured by `scripts/bench` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, on {machine()}.",
        "Release builds (LTO, one codegen unit, stripped), x86_64. Run `scripts/bench` to measure again;",
        "nothing here is asserted by the test command.",
        "",
        "## Cold start and memory",
        "",
        "Process start to first response under the same minimal Lambda Runtime API harness",
        "(`scripts/lib/bench/runtime_harness.py`), 20 runs each; the Python peers",
        "(`scripts/lib/bench/peers/`) do the same work, post confirmation with boto3. Post",
        "confirmation includes its real I/O (conditional put and group add) against moto.",
        "Peak RSS is the process's high-water mark when it answers.",
        "",
        "| function | zip | Rust median | Rust max | Python median | speed-up | Rust peak RSS | Python peak RSS | targets (≤ 20 ms, ≥ 10×, ≤ 4 MB, ≤ 20 MB) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, r in cold.items():
        speedup = r["python"]["median_ms"] / r["rust"]["median_ms"]
        ok = (r["rust"]["max_ms"] <= 20 and speedup >= 10 and r["zip_bytes"] <= 4 * 1024 * 1024
              and r["rust"]["peak_rss_mib"] <= 20)
        lines.append(
            f"| {name} | {r['zip_bytes'] / 1024 / 1024:.2f} MB | {r['rust']['median_ms']:.1f} ms | "
            f"{r['rust']['max_ms']:.1f} ms | {r['python']['median_ms']:.1f} ms | {speedup:.0f}× | "
            f"{r['rust']['peak_rss_mib']:.1f} MiB | {r['python']['peak_rss_mib']:.1f} MiB | {verdict(ok)} |")
    lines += api_section(load(directory, "api-cold-start"))
    lines += [
        "",
        "## Password scoring",
        "",
        f"The same {rust_score['count']} passwords (`scripts/lib/bench/passwords.py`: common, random,",
        "passphrases, l33t, repeats and sequences up to 256 characters, unicode), each scored with the",
        "user's email and name as known words, after a warm-up. The project's check is the API's",
        "`password::check` (the `zxcvbn` crate).",
        "",
        "| implementation | p50 | p99 | max | passwords/s | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]

    def row(name, r, note=""):
        return (f"| {name} | {r['p50_us'] / 1000:.2f} ms | {r['p99_us'] / 1000:.2f} ms | "
                f"{r['max_us'] / 1000:.1f} ms | {r['per_second']:.1f} | {note} |")

    lines.append(row("this project (Rust)", rust_score))
    lines.append(row("Python `zxcvbn` 4.5.0", python_score, "max length raised from its default 72 to 256"))
    js_note = (f"{js_score['finished']} of {js_score['count']} scored within the 120 s budget; "
               f"{js_score['abandoned']} abandoned after 10 s; {js_score['not_reached']} not reached")
    lines.append(row("`@zxcvbn-ts/core` 4.2.0", js_score, js_note))
    ratio = rust_score["per_second"] / python_score["per_second"]
    lines += ["", f"Targets: max ≤ 25 ms: {verdict(rust_score['max_us'] <= 25000)} "
                  f"({rust_score['max_us'] / 1000:.1f} ms); throughput ≥ 20× the Python package: "
                  f"{verdict(ratio >= 20)} ({ratio:.0f}×)."]
    verify_ratio = rust_verify["per_second"] / js_verify["per_second"]
    lines += [
        "",
        "## Token verification",
        "",
        f"{rust_verify['count']} RS256 access tokens with Cognito's claims, one JWKS, single-threaded, keys cached,",
        "for 3 s each.",
        "",
        "| verifier | verifications/s |",
        "| --- | ---: |",
        f"| this project (`api::token::Verifier`: RS256 with keys parsed once, aws-lc-rs) | {rust_verify['per_second']:,.0f} |",
        f"| `aws-jwt-verify` 5.2.1 (`verifySync`, Node.js) | {js_verify['per_second']:,.0f} |",
        "",
        f"Target ≥ 2×: {verdict(verify_ratio >= 2)} ({verify_ratio:.1f}×).",
        "",
        "## Warm handler latency (criterion, no I/O)",
        "",
        "| handler | time per event |",
        "| --- | ---: |",
    ]
    for name, nanos in warm.items():
        lines.append(f"| {name} | {nanos / 1000:.1f} µs |")
    lines += history()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
