#!/usr/bin/env python3
"""Shows that scripts/preflight fails on broken copies of the templates, each
naming what a real deploy would hit, and passes the real ones.

Each case copies the templates, applies its mutations (each text found
exactly once), runs the preflight for its environment, and expects it to
fail with every one of its expected lines in the output."""
import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TEMPLATE = ROOT / "cloudformation" / "template.yaml"
ROLES = ROOT / "cloudformation" / "github-oidc.yaml"

# The statement that lets the execution role tag a pool as it is created
# (the old role had none).
POOL_TAGS_ON_CREATE = (
    "              # A new pool's tags are authorized before it carries them, so the\n"
    "              # statements below that require aws:ResourceTag cannot cover\n"
    "              # them: only the request's own tags (the environment tag and no\n"
    "              # other key), and never on a pool that already has an\n"
    "              # environment tag (another environment's).\n"
    "              - Sid: TagPoolsAsTheyAreCreated\n"
    "                Effect: Allow\n"
    "                Action: [cognito-idp:TagResource, cognito-identity:TagResource]\n"
    "                Resource: \"*\"\n"
    "                Condition:\n"
    "                  StringEquals: { aws:RequestTag/environment: !Ref DeployEnvironment }\n"
    "                  # Cognito's handlers may add CloudFormation's aws:cloudformation:*\n"
    "                  # system tags (no caller can set aws: keys).\n"
    "                  ForAllValues:StringLike: { aws:TagKeys: [environment, \"aws:cloudformation:*\"] }\n"
    "                  \"Null\": { aws:ResourceTag/environment: \"true\" }\n"
)

# name -> (env, {file: [(text, replacement)]}, [expected output])
CASES = {
    "web ACL without a name (CloudFormation generates one outside auth-ENV-*)": (
        "prod",
        {"template": [('      Name: !Sub "${AWS::StackName}-user-pool"\n', "")]},
        ["UserPoolWebAcl create: wafv2:CreateWebACL", "ImplicitlyDenied"],
    ),
    "the API edge's CLOUDFRONT web ACL checked as global, not regional": (
        "prod",
        {"roles": [('                  - !Sub "arn:${AWS::Partition}:wafv2:us-east-1:${AWS::AccountId}:global/webacl/auth-${DeployEnvironment}-*"\n', "")]},
        ["ApiEdgeWebAcl create: wafv2:CreateWebACL on arn:aws:wafv2:us-east-1:123456789012:global/webacl/auth-prod-api-edge",
         "ImplicitlyDenied"],
    ),
    "CloudFront creates outside us-east-1 (aws:RequestedRegion)": (
        "prod",
        {"roles": [("                  StringEquals: { aws:RequestedRegion: us-east-1 }\n",
                    "                  StringEquals: { aws:RequestedRegion: eu-west-1 }\n")]},
        ["ApiEdgeDistribution create: cloudfront:CreateDistribution", "ImplicitlyDenied"],
    ),
    "no grant for Cognito's SES service-linked role": (
        "prod",
        {"roles": [("                Action: iam:CreateServiceLinkedRole\n", "                Action: iam:GetRole\n")]},
        ["UserPool create: iam:CreateServiceLinkedRole", "email.cognito-idp.amazonaws.com"],
    ),
    "a stack role without the permissions boundary": (
        "dev",
        {"template": [("  ApiRole:\n    Type: AWS::IAM::Role\n    Properties:\n      PermissionsBoundary: !If\n"
                       "        - HasRoleBoundary\n",
                       "  ApiRole:\n    Type: AWS::IAM::Role\n    Properties:\n      PermissionsBoundary: !If\n"
                       "        - WafOn\n")]},
        ["ApiRole create: iam:CreateRole"],
    ),
    "identity-pool role calls the execution role cannot make on a pool ARN": (
        "dev",
        {"roles": [("                Action: [cognito-identity:SetIdentityPoolRoles, cognito-identity:SetPrincipalTagAttributeMap]\n",
                    "                Action: [cognito-identity:ListIdentityPools]\n")]},
        ["IdentityPoolRoles create: cognito-identity:SetIdentityPoolRoles"],
    ),
    "a function role granted more than its code calls": (
        "dev",
        {"template": [("                  - dynamodb:Query\n                Resource: !GetAtt UserDataTable.Arn\n",
                       "                  - dynamodb:Query\n                  - dynamodb:Scan\n"
                       "                Resource: !GetAtt UserDataTable.Arn\n")]},
        ["ApiRole grants dynamodb:Scan, which api never calls", "ApiFunction must not: dynamodb:Scan"],
    ),
    "an identity-pool role without the LeadingKeys condition": (
        "dev",
        {"template": [("              - Sid: OwnProfileReadOnly\n", "              - Sid: OwnProfileReadOnly\n")],
         "template-all": [("                Condition:\n                  ForAllValues:StringEquals:\n"
                           "                    dynamodb:LeadingKeys: [\"${aws:PrincipalTag/userId}\"]\n", "")]},
        ["another user's partition: dynamodb:GetItem", "Allowed (expected Denied)"],
    ),
    # The execution role as it was: KMS authorizes CreateKey's Tags as
    # kms:TagResource on a key that has no tags yet, and the role's only
    # kms:TagResource grant required aws:ResourceTag/environment (so did the
    # pools' TagResource).
    "the old execution role: tags on create allowed only by aws:ResourceTag": (
        "prod",
        {"roles": [("              # KMS authorizes CreateKey's tags as kms:TagResource, by an IAM\n"
                    "              # policy not restricted to particular keys (the key has no ID and\n"
                    "              # no tags yet): both are scoped by the request's own tags (the\n"
                    "              # environment tag and no other key), and the tagging never\n"
                    "              # reaches a key that already has an environment tag.\n"
                    "              - Sid: CreateTaggedKeys\n"
                    "                Effect: Allow\n"
                    "                Action: [kms:CreateKey, kms:TagResource]\n",
                    "              - Sid: CreateTaggedKeys\n"
                    "                Effect: Allow\n"
                    "                Action: kms:CreateKey\n"),
                   ("                  StringEquals: { aws:RequestTag/environment: !Ref DeployEnvironment }\n"
                    "                  ForAllValues:StringEquals: { aws:TagKeys: [environment] }\n"
                    '                  "Null": { aws:ResourceTag/environment: "true" }\n'
                    "              - Sid: ManageThisEnvironmentsKeys\n",
                    "                  StringEquals: { aws:RequestTag/environment: !Ref DeployEnvironment }\n"
                    "              - Sid: ManageThisEnvironmentsKeys\n"),
                   (POOL_TAGS_ON_CREATE, "")]},
        ["AlarmTopicKey create (tags on CreateKey): kms:TagResource on arn:aws:kms:us-east-1:123456789012:key/"
         "0000aaaa-bbbb-4ccc-8ddd-003680559344: ImplicitlyDenied (expected Allowed)",
         "UserPool create (tagging the new resource): cognito-idp:TagResource", "ImplicitlyDenied"],
    ),
    "a key created with a tag key other than the stack's (aws:TagKeys)": (
        "prod",
        {"template": [("            Condition:\n              StringEquals: { aws:SourceAccount: !Ref AWS::AccountId }\n"
                       "      Tags:\n        - { Key: environment, Value: !Ref EnvironmentName }\n",
                       "            Condition:\n              StringEquals: { aws:SourceAccount: !Ref AWS::AccountId }\n"
                       "      Tags:\n        - { Key: environment, Value: !Ref EnvironmentName }\n"
                       "        - { Key: owner, Value: ops }\n")]},
        ["AlarmTopicKey create: kms:CreateKey on *: ImplicitlyDenied",
         "AlarmTopicKey create (tags on CreateKey): kms:TagResource", "ImplicitlyDenied"],
    ),
    "the deploy role cannot upload the template": (
        "dev",
        {"roles": [('                  - !Sub "${ArtifactBucket.Arn}/templates/*"\n', "")]},
        ["scripts/deploy: upload the template: s3:PutObject"],
    ),
}


def mutate(text, mutations, everywhere=False):
    for old, new in mutations:
        count = text.count(old)
        if count == 0 or (count > 1 and not everywhere):
            raise SystemExit(f"mutation text found {count} times: {old[:80]!r}")
        text = text.replace(old, new)
    return text


def run(preflight, env, template, roles):
    done = subprocess.run([preflight, "--env", env, "--template", str(template), "--roles-template", str(roles)],
                          capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preflight", required=True, help="the preflight command")
    args = parser.parse_args()
    failures = 0
    for env in ("dev", "prod"):
        code, out = run(args.preflight, env, TEMPLATE, ROLES)
        print(f"{'ok  ' if code == 0 else 'FAIL'} the real templates pass for {env}")
        failures += code != 0
        if code:
            print(out)
    for name, (env, changes, expected) in CASES.items():
        with tempfile.TemporaryDirectory() as tmp:
            template = Path(tmp) / "template.yaml"
            roles = Path(tmp) / "github-oidc.yaml"
            text = mutate(TEMPLATE.read_text(), changes.get("template", []))
            template.write_text(mutate(text, changes.get("template-all", []), everywhere=True))
            roles.write_text(mutate(ROLES.read_text(), changes.get("roles", [])))
            code, out = run(args.preflight, env, template, roles)
        missing = [line for line in expected if line not in out]
        ok = code == 1 and not missing
        print(f"{'ok  ' if ok else 'FAIL'} fails on a broken copy: {name}")
        if not ok:
            failures += 1
            print(f"     exit {code}, missing {missing}\n{out[-3000:]}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
