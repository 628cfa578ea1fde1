"""Smoke test of a deployed stack through its API (see scripts/smoke).
Prints one line per step; exits 1 at the first failure, after deleting the
synthetic user."""
import argparse
import base64
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = f"Smoke-{uuid.uuid4().hex[:12]}-Quasar!"


def read_env(path):
    values = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition("=")
        if key:
            values[key.strip()] = value.strip().strip('"')
    return values


def call(api, method, path, body=None, token=None):
    request = urllib.request.Request(f"{api}{path}", method=method)
    if body is not None:
        request.add_header("content-type", "application/json")
        request.data = json.dumps(body).encode()
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        status, text = err.code, err.read().decode()
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text


def claims(token):
    """A JWT's payload, unverified (the API verified it)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# What the user pool's web ACL blocks (EnableWaf): self-service calls that
# change the account around the API.
BLOCKED_TARGETS = ["DeleteUser", "DeleteUserAttributes", "SetUserMFAPreference", "UpdateUserAttributes",
                   "GetUserAttributeVerificationCode", "VerifyUserAttribute"]


def cognito_status(endpoint, target):
    """The HTTP status Cognito's endpoint answers `target` with a junk token:
    403 when the web ACL blocks it first, 400 (NotAuthorized) when it reaches
    Cognito."""
    request = urllib.request.Request(endpoint, method="POST", data=json.dumps({"AccessToken": "junk"}).encode(),
                                     headers={"Content-Type": "application/x-amz-json-1.1",
                                              "X-Amz-Target": f"AWSCognitoIdentityProviderService.{target}"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--env", help="reads .local/ENV/stack.env")
    parser.add_argument("--outputs-dir", help="a directory with stack.env (instead of --env)")
    parser.add_argument("--api-url", help="default: API_URL of stack.env")
    args = parser.parse_args()
    directory = Path(args.outputs_dir) if args.outputs_dir else ROOT / ".local" / (args.env or "dev")
    stack = read_env(directory / "stack.env")
    api = (args.api_url or stack["API_URL"]).rstrip("/")
    idp = boto3.client("cognito-idp", region_name=stack["AWS_REGION"],
                       endpoint_url=stack.get("AWS_ENDPOINT_URL"))
    pool_id = stack["USER_POOL_ID"]
    # SES's mailbox simulator: the verification mail is accepted and dropped,
    # so no deploy bounces a mail or counts against the sender's reputation.
    # The pre sign-up trigger admits this form alone, whatever the domain lists.
    email = f"success+smoke-{uuid.uuid4().hex[:16]}@simulator.amazonses.com"

    def step(name, ok, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)[:300]}", flush=True)
        if not ok:
            raise SystemExit(1)

    if stack.get("WAF_ENABLED") == "true":
        endpoint = stack.get("AWS_ENDPOINT_URL") or f"https://cognito-idp.{stack['AWS_REGION']}.amazonaws.com/"
        answers = {target: cognito_status(endpoint, target)
                   for target in BLOCKED_TARGETS + ["updateUSERattributes", "GetUser"]}
        step("the user pool's web ACL blocks the self-service account changes, in any case, and lets GetUser by",
             all(answers[t] == 403 for t in BLOCKED_TARGETS + ["updateUSERattributes"]) and answers["GetUser"] == 400,
             answers)
    status, body = call(api, "GET", "/api/health")
    step(f"GET {api}/api/health", status == 200 and body == {"status": "ok"}, (status, body))
    try:
        status, body = call(api, "POST", "/api/auth/signup",
                            {"email": email, "password": PASSWORD, "name": "Smoke Test"})
        step("a synthetic user signs up through the API", status == 201, (status, body))
        idp.admin_confirm_sign_up(UserPoolId=pool_id, Username=email)
        status, tokens = call(api, "POST", "/api/auth/signin", {"email": email, "password": PASSWORD})
        step("... is confirmed and signs in", status == 200 and "access_token" in tokens, (status, tokens))
        status, me = call(api, "GET", "/api/users/me", token=tokens["access_token"])
        step("... reads its profile", status == 200 and me.get("email") == email, (status, me))
        # The step-up of the sensitive routes trusts that a refresh keeps the
        # sign-in's auth_time (OpenID Connect's rule): checked against the
        # deployed Cognito on every deploy.
        time.sleep(2)
        status, renewed = call(api, "POST", "/api/auth/refresh", {"refresh_token": tokens["refresh_token"]})
        step("... refreshes its tokens", status == 200 and "access_token" in renewed, (status, renewed))
        first, later = claims(tokens["access_token"]), claims(renewed["access_token"])
        step("... and the refreshed token keeps the sign-in's auth_time",
             later.get("auth_time") == first.get("auth_time") and later.get("iat", 0) > first.get("iat", 0),
             {name: (first.get(name), later.get(name)) for name in ("auth_time", "iat")})
        # The same through the web client, whose refresh tokens rotate (a
        # public report had Cognito renew auth_time there).
        started = idp.initiate_auth(ClientId=stack["WEB_CLIENT_ID"], AuthFlow="USER_AUTH", AuthParameters={
            "USERNAME": email, "PREFERRED_CHALLENGE": "PASSWORD", "PASSWORD": PASSWORD})
        web = started.get("AuthenticationResult") or {}
        step("... signs in on the web client", "RefreshToken" in web, started.get("ChallengeName"))
        time.sleep(2)
        rotated = idp.get_tokens_from_refresh_token(
            ClientId=stack["WEB_CLIENT_ID"], RefreshToken=web["RefreshToken"])["AuthenticationResult"]
        first, later = claims(web["AccessToken"]), claims(rotated["AccessToken"])
        step("... and its rotated refresh keeps the sign-in's auth_time too",
             later.get("auth_time") == first.get("auth_time") and later.get("iat", 0) > first.get("iat", 0),
             {name: (first.get(name), later.get(name)) for name in ("auth_time", "iat")})
        # The email is how an account is recovered: an access token alone must
        # not move it straight through Cognito (the custom-message trigger
        # refuses the code, the web ACL blocks the calls, and the pool keeps
        # the old address until a new one is verified). Checked against the
        # deployed Cognito, whose answers the emulator only models.
        moved = f"success+smoke-moved-{uuid.uuid4().hex[:12]}@simulator.amazonses.com"
        attempts = {
            "UpdateUserAttributes": lambda: idp.update_user_attributes(
                AccessToken=web["AccessToken"], UserAttributes=[{"Name": "email", "Value": moved}]),
            "UpdateUserAttributes with email_verified": lambda: idp.update_user_attributes(
                AccessToken=web["AccessToken"], UserAttributes=[
                    {"Name": "email", "Value": moved}, {"Name": "email_verified", "Value": "true"}]),
            "GetUserAttributeVerificationCode": lambda: idp.get_user_attribute_verification_code(
                AccessToken=web["AccessToken"], AttributeName="email"),
        }
        accepted = []
        for name, attempt in attempts.items():
            try:
                attempt()
                accepted.append(name)
            except idp.exceptions.ClientError:
                pass
        kept = {a["Name"]: a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id, Username=email)["UserAttributes"]}
        step("... and cannot move its email straight through Cognito",
             not accepted and kept.get("email") == email and kept.get("email_verified") == "true",
             (accepted, kept.get("email"), kept.get("email_verified")))
        status, body = call(api, "DELETE", "/api/users/me", token=tokens["access_token"])
        step("... and deletes itself", status in (200, 204), (status, body))
        status, body = call(api, "POST", "/api/auth/signin", {"email": email, "password": PASSWORD})
        step("... after which it cannot sign in", status == 401, (status, body))
    finally:
        try:
            idp.admin_delete_user(UserPoolId=pool_id, Username=email)
        except idp.exceptions.UserNotFoundException:
            pass
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
