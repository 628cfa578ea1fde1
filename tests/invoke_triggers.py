#!/usr/bin/env python3
"""Invokes each trigger binary through `cargo lambda watch` / `cargo lambda
invoke` with the sample events, and checks the documented responses.

Post confirmation runs against moto (a profiles table and a user pool made
here). Prints one line per check and a closing `N passed, N failed` line.
"""
import argparse
import copy
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parent.parent
# cargo-lambda lives in the project's venv.
os.environ["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"
EVENTS = ROOT / "triggers" / "tests" / "events"
REGION = "us-east-1"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, seconds, process):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("cargo lambda watch exited; see .local/logs/watch-test.log")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"cargo lambda watch did not listen on {port} within {seconds}s")


def event(name):
    return json.loads((EVENTS / f"{name}.json").read_text())


class Invoker:
    def __init__(self, port):
        self.port = port

    def __call__(self, function, payload):
        """Returns (ok, parsed output or error text)."""
        with tempfile.NamedTemporaryFile("w", suffix=".json") as f:
            json.dump(payload, f)
            f.flush()
            run = subprocess.run(
                ["cargo", "lambda", "invoke", function, "--invoke-address", "127.0.0.1",
                 "--invoke-port", str(self.port), "--data-file", f.name, "--output-format", "json"],
                capture_output=True, text=True, timeout=300,
            )
        if run.returncode != 0:
            return False, run.stdout + run.stderr
        return True, json.loads(run.stdout)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--moto", required=True, help="moto server URL")
    args = parser.parse_args()

    aws = dict(endpoint_url=args.moto, region_name=REGION,
               aws_access_key_id="local", aws_secret_access_key="local")
    table = f"profiles-{uuid.uuid4().hex[:8]}"
    boto3.client("dynamodb", **aws).create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "userId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "userId", "KeyType": "HASH"}],
    )
    cognito = boto3.client("cognito-idp", **aws)
    pool_id = cognito.create_user_pool(PoolName="invoke-test")["UserPool"]["Id"]
    cognito.create_group(UserPoolId=pool_id, GroupName="users")
    user = str(uuid.uuid4())
    cognito.admin_create_user(UserPoolId=pool_id, Username=user,
                              UserAttributes=[{"Name": "email", "Value": "ada@example.com"}])

    port = free_port()
    env = dict(os.environ, AWS_ENDPOINT_URL=args.moto, AWS_REGION=REGION,
               AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
               PROFILES_TABLE=table, APP_NAME="Acme", APP_URL="https://acme.example",
               SIGNUP_CLIENT_IDS="1example23456789")
    (ROOT / ".local" / "logs").mkdir(parents=True, exist_ok=True)
    log = open(ROOT / ".local" / "logs" / "watch-test.log", "w")
    watch = subprocess.Popen(
        ["cargo", "lambda", "watch", "--invoke-address", "127.0.0.1", "--invoke-port", str(port),
         "--ignore-changes", "--quiet"],
        cwd=ROOT / "triggers", env=env, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=log,
    )
    results = []

    def check(name, condition, detail=""):
        results.append(condition)
        print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)[:800]}")

    try:
        wait_for_port(port, 300, watch)
        invoke = Invoker(port)

        ok, out = invoke("pre-signup", event("pre_signup"))
        check("pre-signup accepts a valid sign-up",
              ok and out["response"] == {"autoConfirmUser": False, "autoVerifyEmail": False,
                                         "autoVerifyPhone": False}, out)
        bad = event("pre_signup")
        bad["request"]["userAttributes"]["email"] = "x@mailinator.com"
        ok, out = invoke("pre-signup", bad)
        check("pre-signup rejects a disposable address with a user-safe message",
              not ok and "Disposable email addresses are not allowed." in out, out)
        other_client = event("pre_signup")
        other_client["callerContext"]["clientId"] = "someone-else"
        ok, out = invoke("pre-signup", other_client)
        check("pre-signup refuses self sign-up from other clients",
              not ok and "Sign-up is not available from this application." in out, out)
        ok, out = invoke("pre-signup", {"not": "an event"})
        check("pre-signup answers a malformed event with a clear error",
              not ok and "Invalid request." in out, out)

        for source in ["SignUp", "ResendCode", "ForgotPassword", "AdminCreateUser", "Authentication"]:
            payload = event("custom_message")
            payload["triggerSource"] = f"CustomMessage_{source}"
            if source == "AdminCreateUser":
                payload["request"]["usernameParameter"] = "{username}"
            ok, out = invoke("custom-message", payload)
            response = out.get("response", {}) if ok else {}
            check(f"custom-message {source} has subject, HTML with the code and SMS",
                  ok and "Acme" in (response.get("emailSubject") or "")
                  and "{####}" in (response.get("emailMessage") or "")
                  and "{####}" in (response.get("smsMessage") or ""), out)

        for source in ["UpdateUserAttribute", "VerifyUserAttribute"]:
            payload = event("custom_message")
            payload["triggerSource"] = f"CustomMessage_{source}"
            ok, out = invoke("custom-message", payload)
            check(f"custom-message refuses the code of {source} made straight to Cognito",
                  not ok and "through the app" in str(out), out)

        ok, out = invoke("pre-token-generation", event("pre_token_generation"))
        details = out.get("response", {}).get("claimsAndScopeOverrideDetails", {}) if ok else {}
        check("pre-token-generation adds roles and keeps groups",
              ok and details["idTokenGeneration"]["claimsToAddOrOverride"]["roles"] == ["admin", "users"]
              and details["groupOverrideDetails"]["groupsToOverride"] == ["users", "admin"]
              and "data:write" in details["accessTokenGeneration"]["scopesToAdd"], out)

        confirm = event("post_confirmation")
        confirm["userPoolId"] = pool_id
        confirm["userName"] = user
        confirm["request"]["userAttributes"]["sub"] = user
        for attempt in range(3):
            ok, out = invoke("post-confirmation", confirm)
            check(f"post-confirmation call {attempt + 1} succeeds", ok and out["response"] == {}, out)
        items = boto3.client("dynamodb", **aws).scan(TableName=table)["Items"]
        check("post-confirmation stored exactly one profile",
              len(items) == 1 and items[0]["userId"]["S"] == user, items)
        groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username=user)["Groups"]
        check("post-confirmation added the user to the default group",
              [g["GroupName"] for g in groups] == ["users"], groups)
    finally:
        os.killpg(watch.pid, signal.SIGTERM)
        try:
            watch.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(watch.pid, signal.SIGKILL)

    passed = sum(results)
    failed = len(results) - passed
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
