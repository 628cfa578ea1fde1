"""Cold starts, peak memory and zip sizes of the four triggers (release
zips built by cargo lambda), beside their Python peers, under the same
Runtime API harness: each run starts a new process that answers one event.
Post confirmation does its real I/O against moto (both languages).
Prints JSON."""
import argparse
import json
import statistics
import sys
import tempfile
import uuid
import zipfile
from pathlib import Path

import boto3

from runtime_harness import Harness

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "triggers" / "tests" / "events"
PEERS = Path(__file__).resolve().parent / "peers"
TRIGGERS = {
    "pre-signup": "pre_signup",
    "custom-message": "custom_message",
    "pre-token-generation": "pre_token_generation",
    "post-confirmation": "post_confirmation",
}


def moto_fixture(endpoint):
    """A profiles table and a pool with the users group and one user."""
    aws = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
               aws_secret_access_key="bench")
    dynamodb, idp = boto3.client("dynamodb", **aws), boto3.client("cognito-idp", **aws)
    table = f"bench-profiles-{uuid.uuid4().hex[:8]}"
    dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                          AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
                          KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}])
    pool = idp.create_user_pool(PoolName="bench")["UserPool"]["Id"]
    idp.create_group(UserPoolId=pool, GroupName="users")
    idp.admin_create_user(UserPoolId=pool, Username="bench-user", MessageAction="SUPPRESS")
    return {"PROFILES_TABLE": table, "AWS_ENDPOINT_URL": endpoint}, pool


def event_for(name, pool):
    event = json.loads((EVENTS / f"{TRIGGERS[name]}.json").read_text())
    if name == "post-confirmation":
        event["userPoolId"], event["userName"] = pool, "bench-user"
        event["request"]["userAttributes"]["sub"] = str(uuid.uuid4())
    return event


def summary(runs):
    millis = [r[0] for r in runs]
    return {"median_ms": statistics.median(millis), "max_ms": max(millis),
            "peak_rss_mib": max(r[1] for r in runs) / 1024}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lambda-dir", required=True, help="cargo lambda's target/lambda")
    parser.add_argument("--python", required=True, help="the peers' interpreter (with boto3)")
    parser.add_argument("--moto", required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    env, pool = moto_fixture(args.moto)
    results = {}
    with tempfile.TemporaryDirectory() as scratch:
        for name in TRIGGERS:
            archive = Path(args.lambda_dir) / name / "bootstrap.zip"
            code = Path(scratch) / name
            with zipfile.ZipFile(archive) as z:
                z.extractall(code)
            (code / "bootstrap").chmod(0o755)
            runs = {"rust": [], "python": []}
            for _ in range(args.runs):
                for language, command in (("rust", [str(code / "bootstrap")]),
                                          ("python", [args.python, str(PEERS / f"{TRIGGERS[name]}.py")])):
                    harness = Harness()
                    try:
                        millis, rss, kind, answer = harness.cold_start(command, event_for(name, pool), env)
                    finally:
                        harness.close()
                    if kind != "response":
                        sys.exit(f"{language} {name} answered with an error: {answer}")
                    runs[language].append((millis, rss))
            results[name] = {
                "zip_bytes": archive.stat().st_size,
                "binary_bytes": (code / "bootstrap").stat().st_size,
                "rust": summary(runs["rust"]),
                "python": summary(runs["python"]),
            }
            print(f"{name}: rust {results[name]['rust']}, python {results[name]['python']}", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
