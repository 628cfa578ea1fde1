"""The calls the stack's code makes at run time, and the deploy workflow's.

A Lambda's AWS calls are read from its built binary: the linker keeps an SDK
operation's code only when something calls it, so the operations whose
symbols a binary holds are the calls it can make. Which resource each call
is made on comes from the tables below, which must name exactly the
IAM-authorized operations of each binary (the preflight fails when the code
gains or loses a call the table does not list)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import cfn

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "scripts" / "lib"))
from deploy import FUNCTIONS as FUNCTION_BINARIES  # noqa: E402  template parameter -> cargo binary


class CodeError(Exception):
    pass


SDK_SERVICES = {"dynamodb": "dynamodb", "cognitoidentityprovider": "cognito-idp", "sesv2": "ses", "ssm": "ssm"}
# aws-config's credential providers link STS; in Lambda the credentials come
# from the environment and these are never called.
IGNORED_SDKS = {"sts", "sso", "ssooidc"}

# Cognito user-pool operations that are public or authorized by the user's
# own token: IAM policies do not apply to them (Cognito developer guide,
# "Authorization models for the user pools API").
COGNITO_NOT_IAM = {
    "SignUp", "ConfirmSignUp", "ResendConfirmationCode", "ForgotPassword", "ConfirmForgotPassword", "InitiateAuth",
    "RespondToAuthChallenge", "GlobalSignOut", "RevokeToken", "GetUser", "ChangePassword", "UpdateUserAttributes",
    "DeleteUser", "DeleteUserAttributes", "GetUserAttributeVerificationCode", "VerifyUserAttribute",
    "AssociateSoftwareToken", "VerifySoftwareToken", "SetUserMFAPreference", "SetUserSettings", "ConfirmDevice",
    "ForgetDevice", "GetDevice", "ListDevices", "UpdateDeviceStatus", "GetTokensFromRefreshToken",
    "GetUserAuthFactors", "StartWebAuthnRegistration", "CompleteWebAuthnRegistration", "ListWebAuthnCredentials",
    "DeleteWebAuthnCredential",
}

# Each function's IAM-authorized calls and the template resources they are
# made on. A value may be a function of the stack (calls that depend on a
# condition).
FUNCTION_CALLS = {
    "PreSignUpFunction": {"ssm:GetParameter": ["SignUpClientsParameter"]},
    "PostConfirmationFunction": {
        "dynamodb:PutItem": ["ProfilesTable"],
        "cognito-idp:AdminAddUserToGroup": ["UserPool"],
        # Every session ended after a password reset.
        "cognito-idp:AdminUserGlobalSignOut": ["UserPool"],
        # The welcome mail is sent only when the stack enables it.
        "ses:SendEmail": lambda stack: ["param:SesIdentityArn"] if stack.condition("WelcomeEmail") else [],
    },
    "CustomMessageFunction": {},
    "PreTokenGenerationFunction": {},
    "ApiFunction": {
        # The throttle table also keeps the API's own reset codes.
        "dynamodb:GetItem": ["ProfilesTable", "UserDataTable", "UsernamesTable", "ThrottleTable"],
        "dynamodb:PutItem": ["ProfilesTable", "UserDataTable", "UsernamesTable", "ThrottleTable"],
        "dynamodb:UpdateItem": ["ProfilesTable", "UsernamesTable", "ThrottleTable"],
        "dynamodb:DeleteItem": ["ProfilesTable", "UserDataTable", "UsernamesTable", "ThrottleTable"],
        "dynamodb:Query": ["UserDataTable"],
        "dynamodb:BatchWriteItem": ["UserDataTable"],
        # The API's own mail (the account-exists notice, its reset and
        # email-change codes, security notices), only with an SES identity.
        "ses:SendEmail": lambda stack: ["param:SesIdentityArn"] if stack.condition("HasSes") else [],
        "cognito-idp:AdminAddUserToGroup": ["UserPool"],
        "cognito-idp:AdminRemoveUserFromGroup": ["UserPool"],
        "cognito-idp:AdminListGroupsForUser": ["UserPool"],
        "cognito-idp:AdminDeleteUser": ["UserPool"],
        "cognito-idp:AdminGetUser": ["UserPool"],
        "cognito-idp:AdminSetUserPassword": ["UserPool"],
        "cognito-idp:AdminUpdateUserAttributes": ["UserPool"],
        "cognito-idp:AdminSetUserMFAPreference": ["UserPool"],
        "cognito-idp:AdminLinkProviderForUser": ["UserPool"],
        "cognito-idp:AdminDisableUser": ["UserPool"],
        "cognito-idp:AdminEnableUser": ["UserPool"],
        "cognito-idp:AdminUserGlobalSignOut": ["UserPool"],
        "cognito-idp:ListUsers": ["UserPool"],
        "cognito-idp:DescribeUserPoolClient": ["UserPool"],
    },
}
# What the Lambda service does with the function's role: its logs.
RUNTIME_CALLS = ["logs:CreateLogStream", "logs:PutLogEvents"]

# The web client's direct DynamoDB calls, with identity-pool credentials.
WEB_CALLS = {"dynamodb:Query": ["UserDataTable"]}
IDENTITY_ROLES = ["AuthenticatedRole", "AdminRole"]
ITEM_ACTIONS = ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem"]


def default_binaries():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    triple = os.environ.get("CARGO_BUILD_TARGET", "")
    return target / triple / "debug" if triple else target / "debug"


def _camel(snake):
    word = {"mfa": "MFA", "ui": "UI"}
    return "".join(word.get(part, part.capitalize()) for part in snake.split("_"))


def binary_calls(binary):
    """The IAM actions of the SDK operations linked into a binary."""
    if not binary.is_file():
        raise CodeError(f"{binary}: not built (cargo build --workspace --bins)")
    symbols = subprocess.run(["nm", "--demangle", str(binary)], capture_output=True, text=True, check=True).stdout
    found = set()
    for sdk, op in set(re.findall(r"aws_sdk_([a-z0-9]+)::operation::([a-z0-9_]+)::", symbols)):
        if sdk in IGNORED_SDKS:
            continue
        if sdk not in SDK_SERVICES:
            raise CodeError(f"{binary.name}: calls aws-sdk-{sdk}, which the preflight does not map to IAM")
        action = f"{SDK_SERVICES[sdk]}:{_camel(op)}"
        if SDK_SERVICES[sdk] == "cognito-idp" and _camel(op) in COGNITO_NOT_IAM:
            continue
        found.add(action)
    return found


def web_calls(src):
    found = set()
    for path in sorted(src.rglob("*.js")):
        text = path.read_text()
        if "@aws-sdk/client-dynamodb" in text:
            found |= {f"dynamodb:{name}" for name in re.findall(r"new (\w+)Command\(", text)}
    return found


def _function_of(stack, code_param):
    for lid in stack.resources:
        if stack.type_of(lid) == "AWS::Lambda::Function":
            key = stack.template["Resources"][lid]["Properties"]["Code"].get("S3Key", {})
            if key == {"Ref": code_param}:
                return lid
    raise CodeError(f"no function of the template runs the code of {code_param}")


def _arns(stack, targets):
    """(ARN, the tags IAM sees on it) of each target."""
    out = []
    for target in targets:
        if target.startswith("param:"):
            out.append((stack.params[target[6:]], {}))
        elif target in stack.resources:
            out.append((stack.arn(target), {f"aws:ResourceTag/{k}": v for k, v in stack.tags(target).items()}))
        else:
            raise CodeError(f"{target}: not a resource of the stack")
    return out


def _resolve_targets(stack, value):
    return value(stack) if callable(value) else value


def _check_table(where, declared, found):
    if set(declared) != found:
        raise CodeError(
            f"{where}: the code calls {sorted(found)} but the preflight's table lists {sorted(declared)}; "
            "update scripts/lib/preflight/calls.py (and the role) together")


def runtime_requests(stack, binaries, web_src):
    """(group, request with "role", expected decision) for every function and
    identity-pool role: each call the code makes, and probes of what it must
    not reach."""
    checks = []
    tables = [lid for lid in stack.resources if stack.type_of(lid) == "AWS::DynamoDB::Table"]
    for param, binary in FUNCTION_BINARIES.items():
        function = _function_of(stack, param)
        declared = FUNCTION_CALLS[function]
        _check_table(f"{binary}", declared, binary_calls(binaries / binary))
        props = stack.properties(function)
        role = _role_of(stack, props["Role"])
        principal = f"arn:{cfn.PARTITION}:sts::{cfn.ACCOUNT}:assumed-role/{stack.name_of(role)}/{stack.name_of(function)}"
        group = f"{binary} role"
        for action, targets in declared.items():
            for arn, tags in _arns(stack, _resolve_targets(stack, targets)):
                checks.append((group, _request(f"{function} calls", principal, action, arn, role, stack,
                                               resource_tags=tags), "Allowed"))
        log_group = props.get("LoggingConfig", {}).get("LogGroup")
        stream = f"arn:{cfn.PARTITION}:logs:{stack.region}:{cfn.ACCOUNT}:log-group:{log_group}:log-stream:2026/01/01/[$LATEST]0a1b"
        for action in RUNTIME_CALLS:
            checks.append((group, _request(f"{function} logs", principal, action, stream, role, stack), "Allowed"))
        # Nothing broader: every item action on every table it is not declared for.
        for table in tables:
            for action in ITEM_ACTIONS:
                if table not in _resolve_targets(stack, declared.get(action, [])):
                    checks.append((group, _request(f"{function} must not", principal, action, stack.arn(table),
                                                   role, stack, resource_tags=_arns(stack, [table])[0][1]), "Denied"))
    web = web_calls(web_src)
    _check_table("web client", WEB_CALLS, web)
    own, other = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
    for role in IDENTITY_ROLES:
        principal = f"arn:{cfn.PARTITION}:sts::{cfn.ACCOUNT}:assumed-role/{stack.name_of(role)}/CognitoIdentityCredentials"
        group = f"identity pool {role}"
        session = {"aws:PrincipalTag/userId": own}
        for action, targets in WEB_CALLS.items():
            for arn, _ in _arns(stack, targets):
                checks.append((group, _request("web client", principal, action, arn, role, stack,
                                               {**session, "dynamodb:LeadingKeys": [own]}), "Allowed"))
        for action in ITEM_ACTIONS + ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"]:
            arn = stack.arn("UserDataTable")
            for keys, label in (([other], "another user's partition"), ([own, other], "own and another's keys")):
                checks.append((group, _request(label, principal, action, arn, role, stack,
                                               {**session, "dynamodb:LeadingKeys": keys}), "Denied"))
        for action in ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]:
            checks.append((group, _request("profiles are read-only", principal, action, stack.arn("ProfilesTable"),
                                           role, stack, {**session, "dynamodb:LeadingKeys": [own]}), "Denied"))
    return checks


def _role_of(stack, role_arn):
    for lid in stack.resources:
        if stack.type_of(lid) == "AWS::IAM::Role" and stack.arn(lid) == role_arn:
            return lid
    raise CodeError(f"role {role_arn} is not in the template")


def _request(label, principal, action, arn, role, stack, context=None, resource_tags=None):
    return {"id": label, "principal": principal, "action": action, "role": role,
            "candidates": [{"arn": arn, "context": resource_tags or {}}], "context": context or {}}


def unused_grants(stack, binaries):
    """Actions a function role grants that its code never calls."""
    out = []
    for param, binary in FUNCTION_BINARIES.items():
        function = _function_of(stack, param)
        role = _role_of(stack, stack.properties(function)["Role"])
        used = set(FUNCTION_CALLS[function]) | set(RUNTIME_CALLS)
        documents = [p["PolicyDocument"] for p in stack.properties(role).get("Policies", [])]
        for lid in stack.resources:
            if stack.type_of(lid) == "AWS::IAM::Policy" and stack.name_of(role) in stack.properties(lid).get("Roles", []):
                documents.append(stack.properties(lid)["PolicyDocument"])
        for document in documents:
            for statement in document["Statement"]:
                if statement.get("Effect") != "Allow":
                    continue
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                for action in actions:
                    if action not in used:
                        out.append(f"{role} grants {action}, which {binary} never calls")
    return out


def deploy_role_requests(stack, roles, deploy_lid, bucket):
    """What the deploy workflow does as the deploy role: scripts/deploy
    (`aws s3 cp` of the zips and the template, `aws cloudformation deploy
    --role-arn`, then describe-stacks for the outputs) and scripts/smoke."""
    principal = f"arn:{cfn.PARTITION}:sts::{cfn.ACCOUNT}:assumed-role/{roles.name_of(deploy_lid)}/GitHubActions"
    stack_arn = f"arn:{cfn.PARTITION}:cloudformation:{stack.region}:{cfn.ACCOUNT}:stack/{stack.name}/0000-preflight"
    out = []

    def add(label, action, arn, context=None, resource_tags=None):
        out.append({"id": label, "principal": principal, "action": action,
                    "candidates": [{"arn": arn, "context": resource_tags or {}}], "context": context or {}})

    add("scripts/deploy: head-bucket", "s3:ListBucket", f"arn:{cfn.PARTITION}:s3:::{bucket}")
    add("scripts/deploy: upload a zip", "s3:PutObject", f"arn:{cfn.PARTITION}:s3:::{bucket}/lambda/api-0123.zip")
    add("scripts/deploy: upload the template", "s3:PutObject",
        f"arn:{cfn.PARTITION}:s3:::{bucket}/templates/{stack.name}-0123.template")
    add("CloudFormation reads the template as the caller", "s3:GetObject",
        f"arn:{cfn.PARTITION}:s3:::{bucket}/templates/{stack.name}-0123.template")
    for action in ["DescribeStacks", "CreateChangeSet", "DescribeChangeSet", "ExecuteChangeSet",
                   "DescribeStackEvents", "DeleteChangeSet"]:
        add(f"aws cloudformation deploy: {action}", f"cloudformation:{action}", stack_arn)
    add("aws cloudformation deploy --role-arn", "iam:PassRole", roles.arn("ExecutionRole"),
        {"iam:PassedToService": "cloudformation.amazonaws.com"})
    pool = stack.arn("UserPool")
    tags = {f"aws:ResourceTag/{k}": v for k, v in stack.tags("UserPool").items()}
    for action in ["AdminConfirmSignUp", "AdminDeleteUser"]:
        add(f"scripts/smoke: {action}", f"cognito-idp:{action}", pool, resource_tags=tags)
    return out
