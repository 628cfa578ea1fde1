#!/usr/bin/env python3
"""Checks a stack deployed from cloudformation/template.yaml to MiniStack's
CloudFormation engine (by scripts/deploy --endpoint-url): every resource
complete, the outputs, the pool's trigger wiring, the Rust triggers running
inside the emulated user pool (with the project's extension, emulator/, for
the triggers MiniStack does not fire), identity-pool access, and the
deployed HTTP API (its CORS answers and the Rust API Lambda behind it).
Prints one line per check and a closing `N passed, N failed` line.
"""
import argparse
import base64
import hashlib
import hmac
import json
import re
import sys
import time
import urllib.error
import urllib.request
import uuid

import boto3
from botocore.exceptions import ClientError

REGION = "us-east-1"
EXPECTED_OUTPUTS = {
    "Region", "UserPoolId", "UserPoolArn", "UserPoolProviderName", "WebClientId", "ApiClientId",
    "IdentityPoolId", "ProfilesTableName", "UserDataTableName", "UsernamesTableName", "ThrottleTableName", "ApiUrl", "HostedUiDomain",
    "PreSignUpFunctionArn", "PostConfirmationFunctionArn", "CustomMessageFunctionArn",
    "PreTokenGenerationFunctionArn",
}
PASSWORD = "Correct-Horse-9-battery-staple"


def jwt_claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--app-name", default="Secure App (local)")
    parser.add_argument("--origin", default="http://localhost:5173",
                        help="an origin the stack's AllowedOrigins parameter allows")
    args = parser.parse_args()
    aws = dict(endpoint_url=args.endpoint, region_name=REGION,
               aws_access_key_id="local", aws_secret_access_key="local")
    cfn = boto3.client("cloudformation", **aws)
    idp = boto3.client("cognito-idp", **aws)
    results = []

    def check(name, condition, detail=""):
        results.append(bool(condition))
        print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)[:600]}")

    stack = cfn.describe_stacks(StackName=args.stack)["Stacks"][0]
    check("stack is CREATE_COMPLETE or UPDATE_COMPLETE",
          stack["StackStatus"] in ("CREATE_COMPLETE", "UPDATE_COMPLETE"), stack["StackStatus"])
    resources = cfn.list_stack_resources(StackName=args.stack)["StackResourceSummaries"]
    incomplete = [(r["LogicalResourceId"], r["ResourceStatus"]) for r in resources
                  if not r["ResourceStatus"].endswith("_COMPLETE")]
    check(f"all {len(resources)} resources complete", not incomplete, incomplete)
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    check("every output is present", EXPECTED_OUTPUTS <= set(outputs), EXPECTED_OUTPUTS - set(outputs))

    pool_id = outputs["UserPoolId"]
    pool = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    lambda_config = pool.get("LambdaConfig", {})
    check("pool wires the four triggers, pre token generation as V2_0",
          lambda_config.get("PreSignUp") == outputs["PreSignUpFunctionArn"]
          and lambda_config.get("PostConfirmation") == outputs["PostConfirmationFunctionArn"]
          and lambda_config.get("CustomMessage") == outputs["CustomMessageFunctionArn"]
          and lambda_config.get("PreTokenGenerationConfig") == {
              "LambdaArn": outputs["PreTokenGenerationFunctionArn"], "LambdaVersion": "V2_0"},
          lambda_config)
    check("pool: email usernames, MFA optional with TOTP",
          pool.get("UsernameAttributes") == ["email"] and pool.get("MfaConfiguration") == "OPTIONAL",
          {k: pool.get(k) for k in ("UsernameAttributes", "MfaConfiguration")})
    check("pool tracks devices and remembers one when its user asks (RememberedDevices OPT_IN)",
          pool.get("DeviceConfiguration") == {"ChallengeRequiredOnNewDevice": True,
                                              "DeviceOnlyRememberedOnUserPrompt": True},
          pool.get("DeviceConfiguration"))
    # Beside Cognito's own group per identity provider (<pool id>_<provider>).
    groups = {g["GroupName"]: g.get("Precedence") for g in idp.list_groups(UserPoolId=pool_id)["Groups"]
              if not g["GroupName"].startswith(f"{pool_id}_")}
    check("admin and users groups with precedence", groups == {"admin": 0, "users": 10}, groups)
    web = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=outputs["WebClientId"])["UserPoolClient"]
    api = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=outputs["ApiClientId"])["UserPoolClient"]
    check("web client: public, SRP, no existence errors",
          not web.get("ClientSecret") and "ALLOW_USER_SRP_AUTH" in web["ExplicitAuthFlows"]
          and web.get("PreventUserExistenceErrors") == "ENABLED", web)
    check("API client: confidential, USER_PASSWORD_AUTH",
          api.get("ClientSecret") and "ALLOW_USER_PASSWORD_AUTH" in api["ExplicitAuthFlows"], api)
    # The local parameters turn rotation on for the API client too (cloudformation/params/local.json).
    check("both clients rotate refresh tokens (2 s grace locally) and leave out REFRESH_TOKEN_AUTH",
          all(c.get("RefreshTokenRotation") == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 2}
              and "ALLOW_REFRESH_TOKEN_AUTH" not in c["ExplicitAuthFlows"] for c in (web, api)), (web, api))
    if outputs.get("HostedUiDomain"):
        # scripts/test deploys with a local OIDC provider (local_oidc_parameters).
        providers = idp.list_identity_providers(UserPoolId=pool_id)["Providers"]
        details = idp.describe_identity_provider(UserPoolId=pool_id, ProviderName="LocalIdP")["IdentityProvider"]
        check("the template's OIDC provider exists, its client secret resolved from Secrets Manager",
              [p["ProviderName"] for p in providers] == ["LocalIdP"]
              and details["ProviderDetails"].get("client_secret") == "local-oidc-secret"
              and details["AttributeMapping"].get("email") == "email", details)
        check("the web client signs in with it through the managed login domain (code flow)",
              "LocalIdP" in web.get("SupportedIdentityProviders", []) and web.get("AllowedOAuthFlows") == ["code"]
              and idp.describe_user_pool(UserPoolId=pool_id)["UserPool"].get("Domain") == outputs["HostedUiDomain"]
              .split(".")[0], web)
        domain = idp.describe_user_pool_domain(Domain=outputs["HostedUiDomain"].split(".")[0])["DomainDescription"]
        branding = idp.describe_managed_login_branding_by_client(
            UserPoolId=pool_id, ClientId=outputs["WebClientId"])["ManagedLoginBranding"]
        check("managed login version 2, the web client with Cognito's branding style",
              domain.get("ManagedLoginVersion") == 2 and branding.get("UseCognitoProvidedValues") is True,
              (domain, branding))
    identity_pool = boto3.client("cognito-identity", **aws).describe_identity_pool(
        IdentityPoolId=outputs["IdentityPoolId"])
    check("identity pool refuses unauthenticated identities",
          identity_pool["AllowUnauthenticatedIdentities"] is False, identity_pool)
    tables = boto3.client("dynamodb", **aws).list_tables()["TableNames"]
    check("profiles, user-data and usernames tables exist",
          {outputs["ProfilesTableName"], outputs["UserDataTableName"], outputs["UsernamesTableName"]} <= set(tables), tables)

    secret = api["ClientSecret"]

    def secret_hash(username):
        digest = hmac.new(secret.encode(), (username + api["ClientId"]).encode(), hashlib.sha256).digest()
        return base64.b64encode(digest).decode()

    def sign_up(client_id, email, name="Ada Lovelace", with_secret=True):
        extra = {"SecretHash": secret_hash(email)} if with_secret else {}
        try:
            return idp.sign_up(ClientId=client_id, Username=email, Password=PASSWORD, **extra,
                               UserAttributes=[{"Name": "email", "Value": email}, {"Name": "name", "Value": name}])
        except idp.exceptions.UserLambdaValidationException as e:
            return str(e)

    rejected = sign_up(api["ClientId"], f"x{uuid.uuid4().hex[:6]}@mailinator.com")
    check("Rust pre-signup rejects a disposable address",
          isinstance(rejected, str) and "Disposable email addresses are not allowed." in rejected, rejected)
    rejected = sign_up(api["ClientId"], f"ada{uuid.uuid4().hex[:6]}@example.com", name="<script>")
    check("Rust pre-signup rejects a name with markup",
          isinstance(rejected, str) and "Name contains characters that are not allowed." in rejected, rejected)
    rejected = sign_up(web["ClientId"], f"bob{uuid.uuid4().hex[:6]}@example.com", with_secret=False)
    check("Rust pre-signup refuses self sign-up outside the API client (client IDs from SSM)",
          isinstance(rejected, str) and "Sign-up is not available from this application." in rejected, rejected)
    email = f"ada{uuid.uuid4().hex[:8]}@example.com"
    accepted = sign_up(api["ClientId"], email)
    check("a valid sign-up through the API client is accepted, unconfirmed",
          isinstance(accepted, dict) and accepted.get("UserConfirmed") is False, accepted)

    def mails_to(address):
        mail = json.load(urllib.request.urlopen(f"{args.endpoint}/_ministack/ses/messages"))["messages"]
        return [m for messages in mail.values() for m in messages if address in m.get("To", [])]

    # CustomMessage_SignUp (fired by the project's emulator extension).
    to_ada = mails_to(email)
    body = to_ada[-1].get("BodyHtml", "") if to_ada else ""
    check("Rust custom-message renders the branded sign-up mail, with the code",
          to_ada and to_ada[-1]["Subject"] == f"Confirm your {args.app_name} account"
          and "123456" in body and "{####}" not in body, to_ada)

    invited = f"grace{uuid.uuid4().hex[:8]}@example.com"
    idp.admin_create_user(UserPoolId=pool_id, Username=invited, DesiredDeliveryMediums=["EMAIL"],
                          UserAttributes=[{"Name": "email", "Value": invited}, {"Name": "name", "Value": "Grace <Hopper>"}])
    to_invited = mails_to(invited)
    body = to_invited[-1].get("BodyHtml", "") if to_invited else ""
    check("Rust custom-message renders the branded invitation",
          to_invited and to_invited[-1]["Subject"] == f"Your {args.app_name} account is ready"
          and "Grace &lt;Hopper&gt;" in body and "Temporary password" in body and "{####}" not in body,
          to_invited)

    # PostConfirmation (fired by the project's emulator extension): the Rust
    # trigger writes the profile and adds the default group, nothing else does.
    idp.confirm_sign_up(ClientId=api["ClientId"], Username=email, ConfirmationCode="123456",
                        SecretHash=secret_hash(email))
    groups = [g["GroupName"] for g in idp.admin_list_groups_for_user(UserPoolId=pool_id, Username=email)["Groups"]]
    sub = next(a["Value"] for a in idp.admin_get_user(UserPoolId=pool_id, Username=email)["UserAttributes"]
               if a["Name"] == "sub")
    profile = boto3.client("dynamodb", **aws).get_item(
        TableName=outputs["ProfilesTableName"], Key={"userId": {"S": sub}}).get("Item", {})
    check("Rust post-confirmation ran on ConfirmSignUp: profile written, default group added",
          groups == ["users"] and profile.get("email", {}).get("S") == email, (groups, profile))
    tokens = idp.initiate_auth(ClientId=api["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                               AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD,
                                               "SECRET_HASH": secret_hash(email)})["AuthenticationResult"]
    id_claims, access_claims = jwt_claims(tokens["IdToken"]), jwt_claims(tokens["AccessToken"])
    check("Rust pre-token-generation V2 adds roles and permissions to the ID token",
          id_claims.get("roles") == ["users"] and "data:write" in id_claims.get("permissions", []), id_claims)
    check("... and scopes to the access token, keeping cognito:groups",
          "data:write" in access_claims.get("scope", "").split() and access_claims.get("cognito:groups") == ["users"],
          access_claims)

    check_identity_pool_access(check, aws, outputs, tokens["IdToken"], id_claims["sub"])
    check_lockout(check, idp, api["ClientId"], email, secret_hash(email))
    check_refresh_rotation(check, idp, api, email, secret_hash(email))
    check_email_code_sign_in(check, idp, api, email, secret_hash(email), mails_to, args.app_name)
    check_email_mfa(check, idp, api, email, secret_hash(email), mails_to, args.app_name)
    check_deployed_api(check, args.endpoint, outputs, args.origin)

    check_email_change(check, idp, api, sign_up, secret_hash, mails_to, args, outputs)
    check_recovery_code(check, idp, api, sign_up, secret_hash, mails_to, args, outputs)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if passed == len(results) else 1


def http(method, url, headers=None, body=None):
    """(status, headers, body) of one request; HTTP errors are answers too."""
    data = json.dumps(body).encode() if body is not None else None
    headers = dict(headers or {}, **({"Content-Type": "application/json"} if data else {}))
    request = urllib.request.Request(url, method=method, headers=headers, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def gateway_base(endpoint, outputs):
    api_id = re.match(r"https://([^.]+)\.execute-api\.", outputs["ApiUrl"]).group(1)
    return f"{endpoint}/_aws/execute-api/{api_id}/$default"


def check_email_change(check, idp, api, sign_up, secret_hash, mails_to, args, outputs):
    """The email moves only through the API: straight to Cognito, the Rust
    custom-message trigger refuses the code (UpdateUserAttributes and
    VerifyUserAttribute are the project's emulator extension; the web ACL
    that also blocks them is not emulated), so the pool keeps the old
    address; through the deployed API, codes mailed to the new and the
    current address move it, and the old one is told."""
    email = f"mover{uuid.uuid4().hex[:8]}@example.com"
    sign_up(api["ClientId"], email)
    idp.confirm_sign_up(ClientId=api["ClientId"], Username=email, ConfirmationCode="123456",
                        SecretHash=secret_hash(email))
    token = idp.initiate_auth(ClientId=api["ClientId"], AuthFlow="USER_PASSWORD_AUTH",
                              AuthParameters={"USERNAME": email, "PASSWORD": PASSWORD,
                                              "SECRET_HASH": secret_hash(email)})["AuthenticationResult"]["AccessToken"]

    def attributes():
        return {a["Name"]: a["Value"] for a in idp.get_user(AccessToken=token)["UserAttributes"]}

    def refused(call, **kwargs):
        try:
            call(AccessToken=token, **kwargs)
            return "accepted"
        except idp.exceptions.ClientError as error:
            return error.response["Error"]["Code"]

    stolen = f"thief{uuid.uuid4().hex[:8]}@example.com"
    direct = (refused(idp.update_user_attributes, UserAttributes=[{"Name": "email", "Value": stolen}]),
              refused(idp.get_user_attribute_verification_code, AttributeName="email"),
              refused(idp.verify_user_attribute, AttributeName="email", Code="123456"))
    check("an email change straight to Cognito gets no code (Rust custom-message refuses it) and moves nothing",
          direct == ("UserLambdaValidationException", "UserLambdaValidationException", "ExpiredCodeException")
          and not mails_to(stolen) and attributes().get("email") == email, direct)

    base = gateway_base(args.endpoint, outputs)
    auth = {"Authorization": f"Bearer {token}"}
    new = f"moved{uuid.uuid4().hex[:8]}@example.com"
    started, _, started_body = http("POST", f"{base}/api/users/me/email", auth, {"email": new})
    to_new, to_current = mails_to(new), mails_to(email)

    def code_in(mails):
        found = re.search(r"\b(\d{6})\b", mails[-1].get("BodyHtml", "")) if mails else None
        return found.group(1) if found else ""

    kept = attributes().get("email")
    alone, _, _ = http("POST", f"{base}/api/users/me/email/verify", auth, {"email": new, "code": code_in(to_new)})
    verified, _, verified_body = http("POST", f"{base}/api/users/me/email/verify", auth,
                                      {"email": new, "code": code_in(to_new), "current_code": code_in(to_current)})
    after = attributes()
    told = [m["Subject"] for m in mails_to(email)]
    check("through the deployed API the new and the current address get a code, which together move the email "
          "(the new one's alone does not); the old address is told",
          started == 202 and to_new and to_new[-1]["Subject"] == f"Confirm your new {args.app_name} email address"
          and to_current and to_current[-1]["Subject"].startswith("Confirm moving your")
          and alone == 400 and kept == email and verified == 200 and after.get("email") == new
          and after.get("email_verified") == "true"
          and any("The email address was changed" in subject for subject in told),
          (started, started_body, verified, verified_body, after.get("email"), told))


def totp(secret, at=None):
    """RFC 6238's code for `secret` (base32) now."""
    import struct
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int((at or time.time()) // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def check_recovery_code(check, idp, api, sign_up, secret_hash, mails_to, args, outputs):
    """A lost authenticator, through the deployed API: the password and a
    recovery code sign in once and turn the second factor off."""
    email = f"lost{uuid.uuid4().hex[:8]}@example.com"
    sign_up(api["ClientId"], email)
    idp.confirm_sign_up(ClientId=api["ClientId"], Username=email, ConfirmationCode="123456",
                        SecretHash=secret_hash(email))
    base = gateway_base(args.endpoint, outputs)
    _, _, signed_in = http("POST", f"{base}/api/auth/signin", {}, {"email": email, "password": PASSWORD})
    auth = {"Authorization": f"Bearer {json.loads(signed_in).get('access_token', '')}"}
    _, _, secret = http("POST", f"{base}/api/auth/mfa/setup", auth)
    verified, _, _ = http("POST", f"{base}/api/auth/mfa/verify", auth,
                          {"code": totp(json.loads(secret).get("secret", "AAAA"))})
    made, _, codes = http("POST", f"{base}/api/auth/mfa/recovery-codes", auth)
    codes = json.loads(codes).get("codes", [""]) if made == 200 else [""]
    _, _, challenged = http("POST", f"{base}/api/auth/signin", {}, {"email": email, "password": PASSWORD})
    recovered, _, answer = http("POST", f"{base}/api/auth/signin/recovery", {},
                                {"email": email, "password": PASSWORD, "recovery_code": codes[0]})
    token = json.loads(answer).get("access_token", "") if recovered == 200 else ""
    _, _, settings = http("GET", f"{base}/api/auth/mfa", {"Authorization": f"Bearer {token}"})
    told = [m["Subject"] for m in mails_to(email)]
    check("through the deployed API a recovery code and the password sign in once a TOTP user who lost the app, "
          "turn the second factor off and tell the owner",
          verified == 200 and len(codes) == 10 and json.loads(challenged).get("challenge") == "SOFTWARE_TOKEN_MFA"
          and recovered == 200 and json.loads(settings).get("methods") == []
          and any("A recovery code was used" in subject for subject in told),
          (verified, made, challenged[:120], recovered, answer[:200], settings[:120], told))


def check_deployed_api(check, endpoint, outputs, origin):
    """The HTTP API as deployed: API Gateway's own CORS answers (from the
    template's CorsConfiguration, the same policy the API's router applies
    locally) and the deployed Rust API Lambda behind a public route."""
    base = gateway_base(endpoint, outputs)

    def preflight(from_origin):
        return http("OPTIONS", f"{base}/api/users/me", {
            "Origin": from_origin, "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})

    status, headers, _ = preflight(origin)
    check("deployed API: a preflight from the allowed origin is granted",
          status < 300 and headers.get("Access-Control-Allow-Origin") == origin
          and headers.get("Access-Control-Max-Age") == "600", (status, dict(headers)))
    status, headers, _ = preflight("https://evil.example")
    check("deployed API: a preflight from another origin gets no CORS grant",
          headers.get("Access-Control-Allow-Origin") is None, (status, dict(headers)))
    status, headers, body = http("GET", f"{base}/api/health", {"Origin": "https://evil.example"})
    check("deployed API: the Rust API Lambda answers GET /api/health through the gateway, "
          "with its request ID and no grant for another origin",
          status == 200 and json.loads(body) == {"status": "ok"} and headers.get("x-request-id")
          and headers.get("Access-Control-Allow-Origin") is None, (status, dict(headers), body[:300]))


def check_lockout(check, idp, client_id, email, secret_hash):
    """Cognito's lockout (the project's emulator extension): after five wrong
    passwords the right one is refused for a second, then accepted."""
    def sign_in(password):
        try:
            idp.initiate_auth(ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
                "USERNAME": email, "PASSWORD": password, "SECRET_HASH": secret_hash})
            return "signed in"
        except idp.exceptions.NotAuthorizedException as err:
            return err.response["Error"]["Message"]

    wrong = [sign_in("Wrong-password-1!") for _ in range(5)]
    locked = sign_in(PASSWORD)
    time.sleep(1.2)
    check("five wrong passwords lock the user out for a second, then the right one works",
          wrong == ["Incorrect username or password."] * 5 and locked == "Password attempts exceeded"
          and sign_in(PASSWORD) == "signed in", (wrong, locked))


def check_refresh_rotation(check, idp, client, email, secret_hash):
    """Refresh-token rotation (the project's emulator extension): each
    refresh answers a new refresh token; the replaced one works for the
    grace period, for a retry, and is refused after it."""
    tokens = idp.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": secret_hash})["AuthenticationResult"]

    def refresh(token):
        try:
            return idp.get_tokens_from_refresh_token(
                ClientId=client["ClientId"], ClientSecret=client["ClientSecret"],
                RefreshToken=token)["AuthenticationResult"]
        except ClientError as err:
            return err.response["Error"]["Code"]

    first = refresh(tokens["RefreshToken"])
    retry = refresh(tokens["RefreshToken"])
    time.sleep(client["RefreshTokenRotation"]["RetryGracePeriodSeconds"] + 0.5)
    replayed = refresh(tokens["RefreshToken"])
    latest = refresh(retry["RefreshToken"]) if isinstance(retry, dict) else retry
    check("a refresh rotates the refresh token; the old one is refused after the grace period",
          isinstance(first, dict) and first.get("RefreshToken") not in (None, tokens["RefreshToken"])
          and isinstance(retry, dict) and replayed == "RefreshTokenReuseException" and isinstance(latest, dict),
          (first, retry, replayed, latest))


def check_email_code_sign_in(check, idp, client, email, secret_hash, mails_to, app_name):
    """Choice-based sign-in by a mailed code (the project's emulator extension
    for USER_AUTH; the local parameters give the pool an SES identity, so its
    sign-in policy allows EMAIL_OTP): the Rust custom-message trigger writes
    the mail, the code signs in, a wrong one is refused."""
    pool = idp.describe_user_pool(UserPoolId=client["UserPoolId"])["UserPool"]
    factors = pool.get("Policies", {}).get("SignInPolicy", {}).get("AllowedFirstAuthFactors")

    def start():
        return idp.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_AUTH", AuthParameters={
            "USERNAME": email, "PREFERRED_CHALLENGE": "EMAIL_OTP", "SECRET_HASH": secret_hash})

    def answer(session, code):
        try:
            return idp.respond_to_auth_challenge(
                ClientId=client["ClientId"], ChallengeName="EMAIL_OTP", Session=session,
                ChallengeResponses={"USERNAME": email, "EMAIL_OTP_CODE": code, "SECRET_HASH": secret_hash})
        except ClientError as err:
            return err.response["Error"]["Code"]

    before = len(mails_to(email))
    first = start()
    mails = mails_to(email)[before:]
    code = re.search(r"\b(\d{6})\b", mails[-1].get("BodyHtml", "")).group(1) if mails else None
    wrong = answer(first["Session"], "000000" if code != "000000" else "111111")
    signed_in = answer(first["Session"], code) if code else None
    check("sign-in by mailed code: EMAIL_OTP allowed, the branded mail, wrong code refused, right one signs in",
          factors == ["PASSWORD", "EMAIL_OTP", "WEB_AUTHN"] and first.get("ChallengeName") == "EMAIL_OTP"
          and mails and mails[-1]["Subject"] == f"Your {app_name} sign-in code"
          and wrong == "CodeMismatchException"
          and isinstance(signed_in, dict) and "AccessToken" in signed_in.get("AuthenticationResult", {}),
          (factors, first.get("ChallengeName"), mails[-1:], wrong, signed_in))


def check_email_mfa(check, idp, client, email, secret_hash, mails_to, app_name):
    """Codes by email as the second factor (the project's emulator extension;
    the template's EnabledMfas with an SES identity): a password sign-in asks
    for the code the Rust custom-message trigger mails; turned off again
    after."""
    pool_id = client["UserPoolId"]
    config = idp.get_user_pool_mfa_config(UserPoolId=pool_id)
    idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username=email,
                                      EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
    before = len(mails_to(email))
    started = idp.initiate_auth(ClientId=client["ClientId"], AuthFlow="USER_PASSWORD_AUTH", AuthParameters={
        "USERNAME": email, "PASSWORD": PASSWORD, "SECRET_HASH": secret_hash})
    mails = mails_to(email)[before:]
    code = re.search(r"\b(\d{6})\b", mails[-1].get("BodyHtml", "")).group(1) if mails else ""
    answered = idp.respond_to_auth_challenge(
        ClientId=client["ClientId"], ChallengeName="EMAIL_OTP", Session=started.get("Session", ""),
        ChallengeResponses={"USERNAME": email, "EMAIL_OTP_CODE": code, "SECRET_HASH": secret_hash})
    idp.admin_set_user_mfa_preference(UserPoolId=pool_id, Username=email, EmailMfaSettings={"Enabled": False})
    check("passkeys: the pool's relying party is the local parameters' (localhost), user verification required",
          config.get("WebAuthnConfiguration") == {"RelyingPartyId": "localhost", "UserVerification": "required"},
          config)
    check("email MFA: on in the pool, a password sign-in asks for the mailed code, which signs in",
          "EmailMfaConfiguration" in config and started.get("ChallengeName") == "EMAIL_OTP"
          and mails and mails[-1]["Subject"] == f"Your {app_name} sign-in code"
          and "AccessToken" in answered.get("AuthenticationResult", {}),
          (config, started.get("ChallengeName"), mails[-1:], answered.get("AuthenticationResult", {}).keys()))


def check_identity_pool_access(check, aws, outputs, id_token, sub):
    """Identity-pool credentials (the `userId` principal tag mapped from the
    user-pool `sub`, the role chosen by the pool's rules) reach the user's own
    items, and no action outside the role's policy nor another user's
    partition: MiniStack under AUTH=true, with the project's extension
    (emulator/), evaluates `dynamodb:LeadingKeys` against the session's
    `aws:PrincipalTag/userId`."""
    identity = boto3.client("cognito-identity", **aws)
    logins = {f"cognito-idp.{REGION}.amazonaws.com/{outputs['UserPoolId']}": id_token}
    identity_id = identity.get_id(IdentityPoolId=outputs["IdentityPoolId"], Logins=logins)["IdentityId"]
    credentials = identity.get_credentials_for_identity(IdentityId=identity_id, Logins=logins)["Credentials"]
    dynamodb = boto3.client(
        "dynamodb", endpoint_url=aws["endpoint_url"], region_name=REGION,
        aws_access_key_id=credentials["AccessKeyId"], aws_secret_access_key=credentials["SecretKey"],
        aws_session_token=credentials["SessionToken"])
    table = outputs["UserDataTableName"]
    own = {"userId": {"S": sub}, "itemId": {"S": "direct-1"}, "title": {"S": "mine"}}
    try:
        dynamodb.put_item(TableName=table, Item=own)
        count = dynamodb.query(TableName=table, KeyConditionExpression="userId = :me",
                               ExpressionAttributeValues={":me": {"S": sub}})["Count"]
        check("identity-pool credentials write and read the user's own items", count >= 1, count)
    except ClientError as err:
        check("identity-pool credentials write and read the user's own items", False, err)
    def denied(call):
        try:
            call()
            return False
        except ClientError as err:
            return err.response["Error"]["Code"] == "AccessDeniedException"

    check("identity-pool credentials cannot scan the whole table", denied(lambda: dynamodb.scan(TableName=table)))
    check("identity-pool credentials cannot touch the profiles table",
          denied(lambda: dynamodb.put_item(TableName=outputs["ProfilesTableName"], Item={"userId": {"S": sub}})))
    for action, call in [
        ("read", lambda: dynamodb.query(TableName=table, KeyConditionExpression="userId = :u",
                                        ExpressionAttributeValues={":u": {"S": "someone-else"}})),
        ("write", lambda: dynamodb.put_item(TableName=table, Item={**own, "userId": {"S": "someone-else"}})),
    ]:
        check(f"identity-pool credentials cannot {action} another user's items", denied(call))


if __name__ == "__main__":
    sys.exit(main())
