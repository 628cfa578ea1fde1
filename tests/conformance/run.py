#!/usr/bin/env python3
"""The API against its own document: schemathesis drives every operation of
api/openapi.yaml (examples, boundary and invalid inputs, random ones, with
and without a token) through the deployed API and fails on any 5xx, any
status the document does not list, any body or header that breaks its
schema, and any invalid input accepted.

The token is an admin's, so the admin routes are reached too. Three passes,
each with a new admin: every other operation (and then the token must still
work, or their answers were only 401s); the admin routes (schemathesis
reuses values it has seen, so it may disable the caller itself); and the
operations that end the session (sign-out, account deletion, password
change).

    run.py --url API_URL --endpoint MINISTACK --stack-env stack.env --st PATH
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "api" / "openapi.yaml"
PASSWORD = "orbit-Lantern-meadow-42?"
# Operations after which the token no longer works.
SESSION_ENDERS = [
    ("POST", "/api/auth/signout"),
    ("POST", "/api/auth/change-password"),
    ("DELETE", "/api/users/me"),
]
ADMIN_ROUTES = "^[A-Z]+ /api/admin/"
# The checks that judge the answers. positive_data_acceptance is left out:
# a schema-valid request may rightly be refused (a wrong code, a weak
# password, an unknown user), and the document says so with its 400s.
CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
    "missing_required_header", "unsupported_method", "ignored_auth",
])


def read_env(path):
    values = {}
    for line in Path(path).read_text().splitlines():
        key, _, value = line.partition("=")
        if key and value.startswith('"') and value.endswith('"'):
            values[key] = value[1:-1]
    return values


def post(url, body, attempts=5):
    """The JSON answer; a 429 is waited out (its Retry-After) and tried again."""
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        if err.code == 429 and attempts > 1:
            time.sleep(int(err.headers.get("retry-after", "5")) + 1)
            return post(url, body, attempts - 1)
        raise SystemExit(f"conformance: FAILED to set up: POST {url}: {err.code} {err.read()[:300]!r}")
    except urllib.error.URLError as err:
        raise SystemExit(f"conformance: FAILED to set up: POST {url}: {err.reason}")


def admin_token(api, endpoint, stack):
    """Signs up a user through the API, confirms it and makes it an admin in
    the pool, and signs it in: an access token with the admin group."""
    email = f"conformance-{uuid.uuid4().hex[:10]}@example.com"
    post(f"{api}/api/auth/signup", {"email": email, "password": PASSWORD, "name": "Conformance"})
    cognito = boto3.client("cognito-idp", endpoint_url=endpoint, region_name=stack["AWS_REGION"],
                           aws_access_key_id="test", aws_secret_access_key="test")
    cognito.admin_confirm_sign_up(UserPoolId=stack["USER_POOL_ID"], Username=email)
    cognito.admin_add_user_to_group(UserPoolId=stack["USER_POOL_ID"], Username=email, GroupName="admin")
    return post(f"{api}/api/auth/signin", {"email": email, "password": PASSWORD})["access_token"]


def schemathesis(st, api, token, max_examples, selection, document=DOCUMENT, quiet=False):
    command = [st, "run", str(document), "--url", api, "--header", f"Authorization: Bearer {token}",
               "--checks", CHECKS, "--max-examples", str(max_examples), "--workers", "1",
               "--phases", "examples,coverage,fuzzing", "--continue-on-failure",
               "--suppress-health-check", "all", "--warnings", "off", "--seed", "1",
               "--request-timeout", "20", *selection]
    print("+", " ".join(c if "Bearer" not in c else "Authorization: Bearer …" for c in command), flush=True)
    # schemathesis keeps its state in the working directory: not the repository.
    with tempfile.TemporaryDirectory() as scratch:
        output = subprocess.DEVNULL if quiet else None
        return subprocess.run(command, cwd=scratch, stdout=output).returncode


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True, help="the API's base URL")
    parser.add_argument("--endpoint", required=True, help="MiniStack, for the admin set-up")
    parser.add_argument("--stack-env", required=True, help="the deployed stack's stack.env")
    parser.add_argument("--st", required=True, help="the schemathesis command")
    parser.add_argument("--max-examples", type=int, default=25)
    args = parser.parse_args()
    api = args.url.rstrip("/")
    stack = read_env(args.stack_env)

    # One worker: the functions this set-up warmed serve the whole run (a
    # second instance's cold start could outlast the SDK's time bound and
    # answer a 503 that says nothing about the API).
    token = admin_token(api, args.endpoint, stack)
    others = ["--exclude-name-regex", f"{ADMIN_ROUTES}|{pattern(SESSION_ENDERS)}"]
    first = schemathesis(args.st, api, token, args.max_examples, others)
    status = signed_in_status(api, token)
    if status != 200:
        print(f"conformance: FAILED: the token stopped working during the run (GET /api/users/me "
              f"answered {status}), so the last operations were tested only as 401s")
        return 1
    admin = schemathesis(args.st, api, admin_token(api, args.endpoint, stack), args.max_examples,
                         ["--include-name-regex", ADMIN_ROUTES])
    token = admin_token(api, args.endpoint, stack)
    last = schemathesis(args.st, api, token, args.max_examples,
                        ["--include-name-regex", pattern(SESSION_ENDERS)])
    failed = first != 0 or admin != 0 or last != 0
    print("conformance:", "FAILED" if failed else "every answer is the document's")
    if not failed and not finds_an_undocumented_status(args.st, api, token):
        print("conformance: FAILED to find the 415 a broken copy of the document leaves out")
        return 1
    return 1 if failed else 0


def signed_in_status(api, token):
    request = urllib.request.Request(f"{api}/api/users/me",
                                     headers={"authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code
    except urllib.error.URLError as err:
        return err.reason


def finds_an_undocumented_status(st, api, token):
    """The same run over a copy of the document without sign-in's 415 must
    fail: the check can fail."""
    document = yaml.safe_load(DOCUMENT.read_text())
    del document["paths"]["/api/auth/signin"]["post"]["responses"]["415"]
    with tempfile.TemporaryDirectory() as scratch:
        broken = Path(scratch) / "openapi.yaml"
        broken.write_text(yaml.safe_dump(document))
        code = schemathesis(st, api, token, 10, ["--include-name", "POST /api/auth/signin"],
                            document=broken, quiet=True)
    print("conformance: and a copy of the document without sign-in's 415 "
          + ("fails, as it must" if code != 0 else "PASSES"))
    return code != 0


def pattern(operations):
    """A schemathesis name pattern for exactly these operations."""
    return "^(" + "|".join(f"{m} {p}" for m, p in operations) + ")$"



if __name__ == "__main__":
    sys.exit(main())
