#!/usr/bin/env python3
"""Shows that each cfn-guard rule in cloudformation/rules/ fails on a broken
copy of the template and that the real template passes them all.

Each mutation breaks exactly one rule; the copy must fail that rule and pass
every other one. `--broken-out PATH` writes the copy with every mutation
applied, which must fail every rule, for the other checks to be shown failing
on (made from the template on every run, never checked in).
"""
import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEMPLATE = HERE.parent / "template.yaml"
RULES = HERE.parent / "rules" / "stack.guard"

# rule -> variants; a variant is [(text in the template, replacement)], each
# text found exactly once, and breaks that rule alone.
MUTATIONS = {
    "user_pool_mfa_not_off": [
        ("      MfaConfiguration: !Ref MfaConfiguration\n", '      MfaConfiguration: "OFF"\n'),
    ],
    "clients_prevent_user_existence_errors": [
        ("        Feature: !Ref ApiClientRefreshTokenRotation\n        RetryGracePeriodSeconds: !Ref RefreshTokenGraceSeconds\n      PreventUserExistenceErrors: ENABLED\n",
         "        Feature: !Ref ApiClientRefreshTokenRotation\n        RetryGracePeriodSeconds: !Ref RefreshTokenGraceSeconds\n      PreventUserExistenceErrors: LEGACY\n"),
    ],
    "rotating_clients_drop_refresh_token_auth": [
        ("      ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_USER_AUTH]\n",
         "      ExplicitAuthFlows: [ALLOW_USER_SRP_AUTH, ALLOW_USER_AUTH, ALLOW_REFRESH_TOKEN_AUTH]\n"),
    ],
    "identity_pools_refuse_unauthenticated": [
        ("      AllowUnauthenticatedIdentities: false\n", "      AllowUnauthenticatedIdentities: true\n"),
    ],
    "tables_have_pitr_and_encryption": [
        ("        - { AttributeName: itemId, KeyType: RANGE }\n      SSESpecification:\n        SSEEnabled: true\n",
         "        - { AttributeName: itemId, KeyType: RANGE }\n      SSESpecification:\n        SSEEnabled: false\n"),
    ],
    "lambda_permissions_scoped_by_source_arn": [
        ("      FunctionName: !GetAtt CustomMessageFunction.Arn\n      Principal: cognito-idp.amazonaws.com\n      SourceArn: !GetAtt UserPool.Arn\n",
         "      FunctionName: !GetAtt CustomMessageFunction.Arn\n      Principal: cognito-idp.amazonaws.com\n"),
    ],
    "identity_roles_use_leading_keys": [
        ("                  - dynamodb:BatchWriteItem\n                Resource: !GetAtt UserDataTable.Arn\n                Condition:\n                  ForAllValues:StringEquals:\n                    dynamodb:LeadingKeys: [\"${aws:PrincipalTag/userId}\"]\n              - Sid: OwnProfileReadOnly\n",
         "                  - dynamodb:BatchWriteItem\n                Resource: !GetAtt UserDataTable.Arn\n              - Sid: OwnProfileReadOnly\n"),
    ],
    "no_wildcard_resource_for_cognito_or_dynamodb_writes": [
        ("                Action: dynamodb:PutItem\n                Resource: !GetAtt ProfilesTable.Arn\n",
         "                Action: dynamodb:PutItem\n                Resource: \"*\"\n"),
    ], "no_wildcard_resource_for_cognito_or_dynamodb_writes (policy resource)": [
        ("            Action: [cognito-idp:AdminAddUserToGroup, cognito-idp:AdminUserGlobalSignOut]\n"
         "            Resource: !GetAtt UserPool.Arn\n",
         "            Action: [cognito-idp:AdminAddUserToGroup, cognito-idp:AdminUserGlobalSignOut]\n"
         "            Resource: \"*\"\n"),
    ],
    "pre_token_generation_is_v2": [
        ("          LambdaVersion: V2_0\n", "          LambdaVersion: V1_0\n"),
    ],
    "log_delivery_arns_without_wildcard": [
        ('            LogGroupArn: !Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${CognitoNotificationLogGroup}"\n',
         "            LogGroupArn: !GetAtt CognitoNotificationLogGroup.Arn\n"),
    ], "log_delivery_arns_without_wildcard (inside Fn::If)": [
        ('              LogGroupArn: !Sub "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${CognitoAuthEventLogGroup}"\n',
         "              LogGroupArn: !GetAtt CognitoAuthEventLogGroup.Arn\n"),
    ],
}


def mutate(source, rules):
    for rule in rules:
        for old, new in MUTATIONS[rule]:
            count = source.count(old)
            if count != 1:
                raise SystemExit(f"mutation for {rule} matches {count} places; update {Path(__file__).name}")
            source = source.replace(old, new)
    return source


def rule_of(mutation):
    return mutation.split(" ")[0]


def rule_results(guard, template_text):
    with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
        f.write(template_text)
        f.flush()
        run = subprocess.run([guard, "validate", "-r", str(RULES), "-d", f.name, "--show-summary", "all",
                              "--output-format", "single-line-summary"], capture_output=True, text=True)
    results = dict(re.findall(r"stack\.guard/(\w+)\s+(PASS|FAIL|SKIP)", run.stdout))
    if not results:
        raise SystemExit(f"cfn-guard printed no rule results:\n{run.stdout}\n{run.stderr}")
    return results


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--guard", required=True, help="path of the cfn-guard binary")
    parser.add_argument("--broken-out", required=True, type=Path,
                        help="where to write the template with every rule broken")
    args = parser.parse_args()
    source = TEMPLATE.read_text()
    all_broken = mutate(source, MUTATIONS)
    args.broken_out.parent.mkdir(parents=True, exist_ok=True)
    args.broken_out.write_text("# Made by guard_rules.py: template.yaml with every rule broken.\n" + all_broken)

    passed = failed = 0

    def check(name, ok, detail):
        nonlocal passed, failed
        passed += ok
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {name}{'' if ok else ': ' + detail}")

    real = rule_results(args.guard, source)
    rules = {rule_of(m) for m in MUTATIONS}
    check("the template passes every rule", set(real) == rules and set(real.values()) == {"PASS"}, str(real))
    for mutation in MUTATIONS:
        rule = rule_of(mutation)
        results = rule_results(args.guard, mutate(source, [mutation]))
        others = {r: s for r, s in results.items() if r != rule}
        check(f"{mutation} fails on its broken copy, and only it",
              results.get(rule) == "FAIL" and set(others.values()) == {"PASS"}, str(results))
    fixture = rule_results(args.guard, all_broken)
    check("the copy with every rule broken fails every rule",
          set(fixture) == rules and set(fixture.values()) == {"FAIL"}, str(fixture))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
