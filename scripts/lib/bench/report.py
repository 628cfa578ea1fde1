"""Turns the JSON figures scripts/bench collected (in DIR) into the markdown
of BENCHMARKS.md: the machine, then one table per benchmark with its target
and whether it was met."""
import json
import platform
import statistics
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


# Lambda prices, us-east-1, per GB-second, and per million requests.
PRICE_GB_SECOND = {"arm64": 0.0000133334, "x86_64": 0.0000166667}
PRICE_PER_MILLION_REQUESTS = 0.20
# The template's memory sizes (cloudformation/template.yaml).
MEMORY_MB = {"api": 256, "trigger": 128}
SIGN_UP_MIN_MS = 1000  # SIGNUP_MIN_DURATION_MS, the API's default


def api_section(api, cold):
    """The API function beside its Python peer and the floor
    (scripts/lib/bench/api_bench.py), and the cost of a million sign-ups."""
    c, w = api["cold"], api["warm"]
    floor = c["health"]["floor"]
    lines = [
        "",
        "## The API",
        "",
        "The API Lambda beside its peer, the original application's stack as its documentation gives",
        "it (`scripts/lib/bench/peers/api_app.py`: FastAPI through Mangum, boto3, PyJWT with a cached",
        "JWKS), and beside the physical floor (an empty `lambda_runtime` function,",
        "`api/examples/empty_function.rs`, same release profile); same harness, same moto, the same",
        "API Gateway (payload 2.0) events. Every AWS call and the JWKS fetch pass through a timing",
        "proxy in front of moto: *moto* is the time the function waited on the emulator, so the rest",
        "is the function's own.",
        "",
        f"Cold starts, process start to first answer, {api['cold_runs']} interleaved runs each:",
        "",
        "| first request | Rust median | Rust max | of it moto | Python median | of it moto | speed-up | speed-up, moto's share taken out | Rust peak RSS | Python peak RSS |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    names = {"health": "`GET /api/health`", "me": "`GET /api/users/me` (JWKS fetch, GetUser, profile read)",
             "signin": "`POST /api/auth/signin` (Rust, as deployed: reads the client secret first; fetches the JWKS meanwhile)"}
    for name, label in names.items():
        r, p = c[name]["rust"], c[name]["python"]
        own = (p["median_ms"] - p["emulator_median_ms"]) / max(r["median_ms"] - r["emulator_median_ms"], 0.001)
        lines.append(
            f"| {label} | {r['median_ms']:.1f} ms | {r['max_ms']:.1f} ms | {r['emulator_median_ms']:.1f} ms | "
            f"{p['median_ms']:.1f} ms | {p['emulator_median_ms']:.1f} ms | {p['median_ms'] / r['median_ms']:.0f}× | "
            f"{own:.0f}× | {r['peak_rss_mib']:.1f} MiB | {p['peak_rss_mib']:.1f} MiB |")
    lines.append(f"| empty function (floor), `GET /api/health` | {floor['median_ms']:.1f} ms | "
                 f"{floor['max_ms']:.1f} ms | — | | | | | {floor['peak_rss_mib']:.1f} MiB | |")
    ratio = c["health"]["rust"]["median_ms"] / floor["median_ms"]
    slowest = min(c[n]["python"]["median_ms"] / c[n]["rust"]["median_ms"] for n in names)
    zip_mb = api["zip_bytes"] / 1024 / 1024
    lines += [
        "",
        f"Targets: health within 2× the floor: {verdict(ratio <= 2)} ({ratio:.1f}×); ≥ 10× faster than the "
        f"peer: {verdict(slowest >= 10)} (at least {slowest:.0f}×); zip ≤ 4 MB: {verdict(zip_mb <= 4)} "
        f"({zip_mb:.2f} MB).",
        "",
        "Warm, one process answering one request after another (as one Lambda instance does), after its",
        "cold start:",
        "",
        "| request | implementation | requests | per second | p50 | p99 | moto per request | the function's own (p50 − moto) | peak RSS |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    warm_names = {"me": "`GET /api/users/me`", "data": "`GET /api/data` (20 items)", "signin": "sign-in"}
    for name, label in warm_names.items():
        for language in ("rust", "python"):
            r = w[name][language]
            lines.append(
                f"| {label} | {'Rust' if language == 'rust' else 'Python peer'} | {r['requests']} | "
                f"{r['per_second']:.0f} | {r['p50_ms']:.2f} ms | {r['p99_ms']:.2f} ms | "
                f"{r['emulator_ms_per_request']:.2f} ms | {max(r['p50_ms'] - r['emulator_ms_per_request'], 0):.2f} ms | "
                f"{r['peak_rss_mib']:.1f} MiB |")
    lines += init_phases(api["init_phases"]) if "init_phases" in api else []
    lines += cost_section(api, cold)
    return lines


def init_phases(runs):
    """The API's init steps, timed in-process (api/examples/init_phases.rs)."""
    lines = ["", f"Where the API's init goes: its init steps timed in-process, median of {len(runs)} runs",
             "(`api/examples/init_phases.rs`):", "", "| step | median |", "| --- | ---: |"]
    for step in runs[0]:
        lines.append(f"| {step.replace('_', ' ')} | {statistics.median(r[step] for r in runs) / 1000:.2f} ms |")
    return lines


def cost_section(api, cold):
    """Lambda cost of a million sign-up journeys (sign-up, confirm, first
    sign-in): three API calls and the four triggers they run."""
    c = api["cold"]

    def journey(api_ms, trigger_ms):
        api_gb_s = sum(api_ms) / 1000 * MEMORY_MB["api"] / 1024
        trigger_gb_s = sum(trigger_ms) / 1000 * MEMORY_MB["trigger"] / 1024
        return api_gb_s + trigger_gb_s, len(api_ms) + len(trigger_ms)

    billed = lambda ms: float(int(ms) + (0 if ms == int(ms) else 1))  # rounded up to 1 ms
    triggers = ("pre-signup", "custom-message", "post-confirmation", "pre-token-generation")
    rows = []
    for language in ("rust", "python"):
        sign_in_cold = c["signin"][language]["median_ms"]
        sign_in_warm = api["warm"]["signin"][language]["p50_ms"]
        trig_cold = [billed(cold[t][language]["median_ms"]) for t in triggers]
        for floor in ((False, True) if language == "rust" else (False,)):
            api_ms = [billed(sign_in_cold)] * 3
            if floor:
                api_ms[0] = max(api_ms[0], SIGN_UP_MIN_MS)
            gb_s, requests = journey(api_ms, trig_cold)
            cost = {arch: gb_s * price * 1e6 + requests * PRICE_PER_MILLION_REQUESTS
                    for arch, price in PRICE_GB_SECOND.items()}
            rows.append((language, "every call cold" + (", sign-up held to 1 s" if floor else ""), gb_s, cost))
        gb_s, requests = journey([billed(sign_in_warm)] * 3, [])
        # The peers' warm trigger durations are not measured: warm, the API calls alone.
        rows.append((language, "the three API calls warm (triggers left out)", gb_s,
                     {arch: gb_s * price * 1e6 + 3 * PRICE_PER_MILLION_REQUESTS for arch, price in PRICE_GB_SECOND.items()}))
    lines = [
        "",
        "### Cost of a million sign-ups",
        "",
        "One journey: sign-up, confirm and first sign-in through the API (256 MB, the template's",
        "size) and the four triggers they run (pre sign-up, custom message, post confirmation, pre",
        "token generation; 128 MB each): 7 requests. Durations are this page's medians against moto,",
        "rounded up to the millisecond as Lambda bills; sign-up and confirm are taken to last as",
        "long as a sign-in (one or two Cognito calls each). Cold figures include init, which Lambda",
        "bills. Against real Cognito every API call also waits for Cognito (and Cognito for the",
        "triggers it runs), the same wait for both languages, so the differences below are the part",
        "the implementation decides. The Rust API's warm sign-in waits on three calls (its two attempt",
        "counters, then InitiateAuth) where the peer, which has no attempt limits, makes one: that is",
        "the whole of the warm rows' difference. Prices: us-east-1, arm64 $0.0000133334 and x86_64",
        "$0.0000166667 per GB-second, $0.20 per million requests.",
        "",
        "| implementation | case | GB-seconds per journey | per million journeys, arm64 | x86_64 |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for language, case, gb_s, cost in rows:
        lines.append(f"| {'Rust' if language == 'rust' else 'Python peer'} | {case} | {gb_s:.4f} | "
                     f"${cost['arm64']:.2f} | ${cost['x86_64']:.2f} |")
    return lines


def load_section(load):
    """The last `scripts/load` run (.local/load/report.json)."""
    lines = [
        "",
        "## Load",
        "",
        f"The last `scripts/load` run: {load['journeys_asked']:,} complete journeys at {load['users']} "
        f"concurrent users (locust) against the local stack on loopback (MiniStack running the",
        "stack and its Lambdas, the API's server in a release build), all on this machine's "
        f"{load['cores']} cores; it took {load['wall_seconds']:.0f} s. Journeys completed: "
        f"{load['journeys_completed']:,}; failed requests: {load['failures']}; accounts confirmed: "
        f"{load['confirmed']:,}, profiles lost: {load['profiles_lost']}.",
        "",
        "| step | requests | failures | p50 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, step in sorted(load["steps"].items()):
        lines.append(f"| {name} | {step['requests']:,} | {step['failures']} | {step['p50_ms']:.0f} ms | "
                     f"{step['p99_ms']:.0f} ms | {step['max_ms']:.0f} ms |")
    lines += ["", "CPU each component used over the run (cores: 1.0 is one core busy):", "",
              "| component | CPU seconds | mean cores | p90 of 1 s samples |", "| --- | ---: | ---: | ---: |"]
    busiest = max(load["cpu"].items(), key=lambda item: item[1]["p90_cores"])
    for name, cpu in load["cpu"].items():
        lines.append(f"| {name} | {cpu['cpu_seconds']:.0f} | {cpu['mean_cores']:.2f} | {cpu['p90_cores']:.2f} |")
    lines += ["", f"Busiest, so the first to saturate: {busiest[0]} ({busiest[1]['p90_cores']:.2f} cores at the "
                  "90th percentile of its 1 s samples; a Python process does not use much more than one)."]
    sign_up = load["steps"].get("1 sign-up")
    if sign_up and sign_up["p50_ms"] >= 1000:
        lines.append(f"Nothing saturated at {load['users']} users: their pace is set by the sign-up, which answers "
                     "no sooner than `SIGNUP_MIN_DURATION_MS` (1 s, plus up to a fifth) so that a registered "
                     "email cannot be told from a new one.")
    return lines


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
    api = load(directory, "api-bench")
    phases = directory / "init-phases.jsonl"
    if phases.exists():
        api["init_phases"] = [json.loads(line) for line in phases.read_text().splitlines() if '"telemetry"' in line]
    lines += api_section(api, cold)
    lines += [
        "",
        "## Password scoring",
        "",
        f"The same {rust_score['count']} passwords (`scripts/lib/bench/passwords.py`: common, random,",
        "passphrases, l33t, repeats and sequences up to 256 characters, unicode, and strings made of",
        "every l33t substitute zxcvbn knows, which multiply the substitutions its l33t matcher tries),",
        "each scored with the",
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
    lines += [
        "",
        "The project's check scores the longest start of a password whose scoring work (its",
        "length squared, times the l33t substitution maps its symbols make zxcvbn try) stays within",
        "a bound (`api::password::scored_part`); zxcvbn on the whole password took up to "
        f"{rust_score['slowest_whole_us'] / 1000:.0f} ms here.",
        f"{rust_score['scored_in_part']} of the {rust_score['count']} passwords were scored in part; verdicts that",
        f"differ from zxcvbn on the whole password: refused whole but accepted in part "
        f"{rust_score['refused_whole_accepted_in_part']}, accepted whole but refused in part "
        f"{rust_score['accepted_whole_refused_in_part']}. That none moved on this corpus is a measurement,",
        "not a proof: zxcvbn's estimate is not monotone in the length (a cut through a word or a",
        "repeat leaves a fragment guessed by brute force, which can cost more guesses than the",
        "whole word), so some password scored in part can be accepted that the whole would not be.",
    ]
    lines += ["", f"Targets: max ≤ 10 ms at up to 256 characters: {verdict(rust_score['max_us'] <= 10000)} "
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
    if len(sys.argv) > 2 and Path(sys.argv[2]).exists():
        lines += load_section(json.loads(Path(sys.argv[2]).read_text()))
    lines += history()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
