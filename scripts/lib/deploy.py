#!/usr/bin/env python3
"""Builds the Lambda zips, packages them to S3 and deploys
cloudformation/template.yaml with `aws cloudformation deploy`, then writes
the stack's outputs to amplify_outputs.json and an env file.

The same path deploys to AWS and to a local CloudFormation engine
(`--endpoint-url`, e.g. MiniStack). `--dry-run` builds, packages and
validates without calling AWS.
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cloudformation" / "template.yaml"
FUNCTIONS = {  # template parameter -> cargo binary
    "PreSignUpCodeKey": "pre-signup",
    "PostConfirmationCodeKey": "post-confirmation",
    "CustomMessageCodeKey": "custom-message",
    "PreTokenGenerationCodeKey": "pre-token-generation",
    "ApiCodeKey": "api",
}


def say(message):
    print(f"    {message}", flush=True)


def template_parameters():
    class Loader(yaml.SafeLoader):
        pass

    # Intrinsic functions do not matter here, only the Parameters section.
    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load(TEMPLATE.read_text(), Loader=Loader)["Parameters"]


def resolve_parameters(env_file, overrides):
    definitions = template_parameters()
    values = json.loads(env_file.read_text())
    values.update(overrides)
    unknown = sorted(set(values) - set(definitions))
    if unknown:
        raise SystemExit(f"{env_file.name}: unknown parameters {unknown}")
    for key, value in values.items():
        allowed = definitions[key].get("AllowedValues")
        if allowed and str(value) not in [str(a) for a in allowed]:
            raise SystemExit(f"{env_file.name}: {key}={value!r} is not one of {allowed}")
    computed = {*FUNCTIONS, "ArtifactBucket"}
    missing = [k for k, d in definitions.items() if "Default" not in d and k not in values and k not in computed]
    if missing:
        raise SystemExit(f"parameters without a value: {missing}")
    return {k: str(v) for k, v in values.items()}


def setting(pair):
    """KEY=VALUE as (KEY, VALUE), for a parameter the template declares."""
    key, sep, value = pair.partition("=")
    if not sep or key not in template_parameters():
        raise SystemExit(f"--set {pair}: not KEY=VALUE for a parameter of the template")
    return key, value


def effective(parameters, key):
    """A parameter's value as the stack sees it: given, or the default."""
    return parameters.get(key, str(template_parameters()[key].get("Default", "")))


def build(arch, profile):
    command = ["cargo", "lambda", "build", "--workspace", "--bins", "--output-format", "zip"]
    command += ["--arm64"] if arch == "arm64" else ["--x86-64", "--compiler", "cargo"]
    if profile == "release":
        command.append("--release")
    say(" ".join(command))
    subprocess.run(command, cwd=ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    zips = {}
    for parameter, binary in FUNCTIONS.items():
        path = target / "lambda" / binary / "bootstrap.zip"
        if not path.is_file():
            raise SystemExit(f"cargo lambda did not produce {path}")
        zips[parameter] = path
    return zips


def package(zips):
    """Content-addressed keys: an unchanged function is not re-uploaded or
    redeployed."""
    keys = {}
    for parameter, path in zips.items():
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:20]
        keys[parameter] = f"lambda/{FUNCTIONS[parameter]}/{digest}.zip"
        say(f"{FUNCTIONS[parameter]}: {path.stat().st_size / 1e6:.1f} MB -> {keys[parameter]}")
    return keys


def aws(args, endpoint_url, capture=False):
    command = [str(ROOT / ".venv" / "bin" / "aws"), *args]
    env = dict(os.environ)
    if endpoint_url:
        command += ["--endpoint-url", endpoint_url]
        # `cloudformation deploy` uploads the template with its own S3 client,
        # which --endpoint-url does not reach.
        env["AWS_ENDPOINT_URL"] = endpoint_url
    env.setdefault("AWS_DEFAULT_REGION", env.get("AWS_REGION", "us-east-1"))
    run = subprocess.run(command, check=True, text=True, capture_output=capture, env=env)
    return run.stdout if capture else None


def upload(zips, keys, bucket, endpoint_url):
    try:
        aws(["s3api", "head-bucket", "--bucket", bucket], endpoint_url, capture=True)
    except subprocess.CalledProcessError:
        say(f"creating bucket {bucket}")
        aws(["s3", "mb", f"s3://{bucket}"], endpoint_url)
    for parameter, path in zips.items():
        aws(["s3", "cp", str(path), f"s3://{bucket}/{keys[parameter]}", "--only-show-errors"], endpoint_url)


def emulator_ses_identity(parameters, endpoint_url):
    """On AWS the SES identity SesIdentityArn names is verified before the
    stack is deployed (docs/deploying.md, "Deploying to AWS"); on the emulator this
    creates it, and MiniStack verifies it at once."""
    arn = parameters.get("SesIdentityArn", "")
    if not arn:
        return
    import boto3

    identity = arn.split(":identity/", 1)[1]
    ses = boto3.client("sesv2", endpoint_url=endpoint_url, region_name=arn.split(":")[3])
    try:
        ses.create_email_identity(EmailIdentity=identity)
    except ses.exceptions.AlreadyExistsException:
        pass
    say(f"emulator: SES identity {identity} created and verified")


def fix_emulator_types(outputs, endpoint_url):
    """MiniStack's CloudFormation engine passes Number and boolean-string
    parameters to Cognito as strings ("8", "true"), which its Cognito then
    mis-handles. Real CloudFormation coerces them by the resource schema; here
    the same values are written back with their schema types."""
    import boto3

    idp = boto3.client("cognito-idp", endpoint_url=endpoint_url, region_name=outputs["Region"])
    pool_id = outputs["UserPoolId"]
    policies = idp.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"]
    typed = {k: (v == "true" if v in ("true", "false") else int(v) if str(v).isdigit() else v)
             for k, v in policies["PasswordPolicy"].items()}
    # The other policies (the sign-in policy) are written back as they are.
    idp.update_user_pool(UserPoolId=pool_id, Policies={**policies, "PasswordPolicy": typed})
    for client_id in (outputs["WebClientId"], outputs["ApiClientId"]):
        client = idp.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
        numbers = {k: int(client[k]) for k in ("AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity")
                   if k in client}
        keep = {k: client[k] for k in ("ClientName", "ExplicitAuthFlows", "PreventUserExistenceErrors",
                                        "EnableTokenRevocation", "TokenValidityUnits", "ReadAttributes",
                                        "WriteAttributes", "SupportedIdentityProviders", "CallbackURLs",
                                        "LogoutURLs", "AllowedOAuthFlows", "AllowedOAuthScopes",
                                        "AllowedOAuthFlowsUserPoolClient") if k in client}
        idp.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, **keep, **numbers)
    say("emulator: Cognito numbers and booleans written back with their types")


def stack_outputs(stack_name, endpoint_url):
    stacks = json.loads(aws(["cloudformation", "describe-stacks", "--stack-name", stack_name,
                             "--output", "json"], endpoint_url, capture=True))["Stacks"]
    return {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}


def passwordless(parameters, has_ses, mfa):
    """Amplify's passwordless settings, as the template's sign-in policy
    allows them: none of them when MFA is required."""
    settings = {"email_otp_enabled": has_ses and mfa == "OPTIONAL"}
    relying_party = effective(parameters, "PasskeyRelyingPartyId")
    if relying_party and mfa == "OPTIONAL":
        settings["web_authn"] = {"relying_party_id": relying_party,
                                 "user_verification": effective(parameters, "PasskeyUserVerification")}
    return settings


def amplify_outputs(outputs, parameters, endpoint_url):
    """Amplify Gen 2's client configuration (amplify_outputs.json)."""
    def flag(key):
        return effective(parameters, key) == "true"

    # As the template decides them: email codes need the SES identity, and
    # are no first factor when MFA is required.
    has_ses = effective(parameters, "SesIdentityArn") != ""
    mfa = effective(parameters, "MfaConfiguration")

    auth = {
        "aws_region": outputs["Region"],
        "user_pool_id": outputs["UserPoolId"],
        "user_pool_client_id": outputs["WebClientId"],
        "identity_pool_id": outputs["IdentityPoolId"],
        "standard_required_attributes": ["email", "name"],
        "username_attributes": ["email"],
        "user_verification_types": ["email"],
        "unauthenticated_identities_enabled": False,
        # Amplify's names: OPTIONAL or REQUIRED (Cognito's ON).
        "mfa_configuration": {"ON": "REQUIRED"}.get(mfa, mfa),
        "mfa_methods": ["TOTP", "EMAIL"] if has_ses else ["TOTP"],
        "passwordless": passwordless(parameters, has_ses, mfa),
        "password_policy": {
            "min_length": int(effective(parameters, "PasswordMinimumLength")),
            "require_lowercase": flag("PasswordRequireLowercase"),
            "require_uppercase": flag("PasswordRequireUppercase"),
            "require_numbers": flag("PasswordRequireNumbers"),
            "require_symbols": flag("PasswordRequireSymbols"),
        },
        "groups": [{"admin": {"precedence": 0}}, {"users": {"precedence": 10}}],
    }
    if outputs.get("HostedUiDomain"):
        auth["oauth"] = {
            # Amplify's names for the providers the stack configures (an ID
            # and a secret each, as the template's conditions ask).
            "identity_providers": [
                name for name, keys in (("GOOGLE", ("GoogleClientId", "GoogleClientSecretName")),
                                        ("FACEBOOK", ("FacebookAppId", "FacebookAppSecretName")),
                                        ("LOGIN_WITH_AMAZON", ("AmazonClientId", "AmazonClientSecretName")),
                                        ("SIGN_IN_WITH_APPLE", ("AppleServicesId", "AppleTeamId", "AppleKeyId",
                                                                "ApplePrivateKeySecretName")))
                if all(effective(parameters, key) for key in keys)],
            "domain": outputs["HostedUiDomain"],
            # aws.cognito.signin.user.admin: without it a managed-login
            # token cannot call GetUser and the rest of the user's own
            # operations (the API's users/me, Amplify's MFA and devices).
            "scopes": ["openid", "email", "profile", "aws.cognito.signin.user.admin"],
            "redirect_sign_in_uri": effective(parameters, "CallbackUrls").split(","),
            "redirect_sign_out_uri": effective(parameters, "LogoutUrls").split(","),
            "response_type": "code",
        }
    # Clients use the edge (CloudFront and its WAF) when the stack has one.
    custom = {"api_url": outputs.get("ApiEdgeUrl") or outputs["ApiUrl"],
              "user_data_table": outputs["UserDataTableName"],
              # The API signs users up and in with its own client; device data
              # for threat protection is encoded for that client.
              "api_client_id": outputs["ApiClientId"],
              # OPT_IN, ALWAYS or OFF: whether Cognito tracks devices, and
              # whether it remembers one only when its user asks.
              "remembered_devices": effective(parameters, "RememberedDevices")}
    oidc = ("OidcProviderName", "OidcIssuer", "OidcClientId", "OidcClientSecretName")
    if outputs.get("HostedUiDomain") and all(effective(parameters, key) for key in oidc):
        # Amplify names no generic OIDC provider: signInWithRedirect({provider: {custom: name}}).
        custom["oidc_providers"] = [effective(parameters, "OidcProviderName")]
    if endpoint_url:
        custom["aws_endpoint_url"] = endpoint_url
    return {"version": "1.4", "auth": auth, "custom": custom}


def local_api_url(outputs, endpoint_url):
    """The HTTP API's stage as the emulator serves it (its path-style
    execute-api URL), in place of the AWS hostname it reports."""
    api_id = re.match(r"https://([^.]+)\.execute-api\.", outputs["ApiUrl"]).group(1)
    return f"{endpoint_url.rstrip('/')}/_aws/execute-api/{api_id}/$default"


def write_outputs(directory, outputs, parameters, endpoint_url):
    directory.mkdir(parents=True, exist_ok=True)
    if endpoint_url:
        outputs = {**outputs, "ApiUrl": local_api_url(outputs, endpoint_url)}
    amplify = directory / "amplify_outputs.json"
    amplify.write_text(json.dumps(amplify_outputs(outputs, parameters, endpoint_url), indent=2) + "\n")
    env = {
        "AWS_REGION": outputs["Region"],
        "USER_POOL_ID": outputs["UserPoolId"],
        "WEB_CLIENT_ID": outputs["WebClientId"],
        "API_CLIENT_ID": outputs["ApiClientId"],
        "IDENTITY_POOL_ID": outputs["IdentityPoolId"],
        "PROFILES_TABLE": outputs["ProfilesTableName"],
        "USER_DATA_TABLE": outputs["UserDataTableName"],
        "USERNAMES_TABLE": outputs["UsernamesTableName"],
        "THROTTLE_TABLE": outputs["ThrottleTableName"],
        "API_URL": outputs.get("ApiEdgeUrl") or outputs["ApiUrl"],
        # The smoke test checks the user pool's web ACL when there is one.
        "WAF_ENABLED": effective(parameters, "EnableWaf"),
    }
    if endpoint_url:
        env["AWS_ENDPOINT_URL"] = endpoint_url
    (directory / "stack.env").write_text("".join(f'{k}="{v}"\n' for k, v in env.items()))
    say(f"wrote {amplify.relative_to(ROOT)} and {(directory / 'stack.env').relative_to(ROOT)}")


# What the checked-in parameter files hold until a team fills them in.
PLACEHOLDERS = ("example.com", "123456789012")


def placeholders(parameters):
    """The parameters still holding a placeholder value, sorted."""
    return sorted(key for key, value in parameters.items()
                  if any(placeholder in str(value) for placeholder in PLACEHOLDERS))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", required=True, help="parameters file cloudformation/params/ENV.json")
    parser.add_argument("--stack-name", help="default: auth-ENV")
    parser.add_argument("--arch", choices=["arm64", "x86_64"], help="default: the env's LambdaArchitecture")
    parser.add_argument("--profile", choices=["release", "dev"], default="release", help="cargo profile")
    parser.add_argument("--endpoint-url", help="a local AWS emulator instead of AWS")
    parser.add_argument("--outputs-dir", help="default: .local/ENV")
    parser.add_argument("--dry-run", action="store_true", help="build, package and validate; no AWS calls")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter over the env's file (repeatable)")
    args = parser.parse_args()

    env_file = ROOT / "cloudformation" / "params" / f"{args.env}.json"
    if not env_file.is_file():
        raise SystemExit(f"no parameters file {env_file.relative_to(ROOT)}")
    stack_name = args.stack_name or f"auth-{args.env}"
    overrides = dict(setting(pair) for pair in args.set)
    if args.arch:
        overrides["LambdaArchitecture"] = args.arch
    parameters = resolve_parameters(env_file, overrides)
    unfilled = placeholders(parameters)
    if unfilled and not args.endpoint_url:
        message = (f"{env_file.relative_to(ROOT)} still holds placeholder values for {', '.join(unfilled)}: "
                   "set them in the file or with --set KEY=VALUE")
        if not args.dry_run:
            raise SystemExit(message)
        say(f"warning: {message}")
    arch = effective(parameters, "LambdaArchitecture")
    outputs_dir = Path(args.outputs_dir).resolve() if args.outputs_dir else ROOT / ".local" / args.env

    print(f"==> Building {arch} Lambda zips ({args.profile})", flush=True)
    zips = build(arch, args.profile)
    print("==> Packaging", flush=True)
    keys = package(zips)
    parameters.update(keys)
    # CI passes the bucket and the CloudFormation execution role made by
    # cloudformation/github-oidc.yaml.
    if os.environ.get("ARTIFACT_BUCKET"):
        parameters["ArtifactBucket"] = os.environ["ARTIFACT_BUCKET"]
    bucket = parameters.get("ArtifactBucket")
    if not bucket and not args.dry_run:
        identity = json.loads(aws(["sts", "get-caller-identity", "--output", "json"], args.endpoint_url, True))
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
        bucket = parameters["ArtifactBucket"] = f"{stack_name}-artifacts-{identity['Account']}-{region}"
    # The template is over CloudFormation's 51,200-byte inline limit: the CLI
    # uploads it to the artifact bucket and passes its URL.
    deploy = ["cloudformation", "deploy", "--template-file", str(TEMPLATE), "--stack-name", stack_name,
              "--s3-bucket", bucket or "<ArtifactBucket>", "--s3-prefix", "templates",
              "--capabilities", "CAPABILITY_IAM", "--no-fail-on-empty-changeset",
              "--parameter-overrides", *[f"{k}={v}" for k, v in sorted(parameters.items())]]
    if os.environ.get("CFN_EXECUTION_ROLE_ARN"):
        deploy += ["--role-arn", os.environ["CFN_EXECUTION_ROLE_ARN"]]
    if args.dry_run:
        outputs_dir.mkdir(parents=True, exist_ok=True)
        (outputs_dir / "packaged-parameters.json").write_text(json.dumps(parameters, indent=2) + "\n")
        print("==> Dry run: validated and packaged; nothing sent to AWS", flush=True)
        say(f"parameters: {(outputs_dir / 'packaged-parameters.json').relative_to(ROOT)}")
        say("would run: aws s3 cp <zips> s3://<ArtifactBucket>/lambda/... && aws " + " ".join(deploy[:8]) + " ...")
        return 0

    print(f"==> Uploading to s3://{bucket}", flush=True)
    upload(zips, keys, bucket, args.endpoint_url)
    if args.endpoint_url:
        emulator_ses_identity(parameters, args.endpoint_url)
    print(f"==> Deploying stack {stack_name}", flush=True)
    aws(deploy, args.endpoint_url)
    outputs = stack_outputs(stack_name, args.endpoint_url)
    if args.endpoint_url:
        fix_emulator_types(outputs, args.endpoint_url)
    write_outputs(outputs_dir, outputs, parameters, args.endpoint_url)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as failed:
        detail = (failed.stderr or "").strip()
        sys.exit(f"error: {' '.join(map(str, failed.cmd[:3]))} ... failed ({failed.returncode}){': ' + detail if detail else ''}")
