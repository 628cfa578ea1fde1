#!/usr/bin/env python3
"""Reads every IAM policy in the templates (with cfn-lint's CloudFormation
YAML loader) and asserts what the stack's security rests on:

- every DynamoDB statement of the identity pool's authenticated role is
  limited to the caller's partition by `dynamodb:LeadingKeys` on the
  `${aws:PrincipalTag/userId}` principal tag, and so is every statement of
  the admin role on the user-data table (admins read profiles, read-only);
- no Cognito or DynamoDB write action, anywhere, has `Resource: "*"`.

Run with the IaC venv's Python (scripts/check-iac does). Prints one line per
check and `N passed, N failed`.
"""
import argparse
import glob
import sys

from cfnlint.decode import decode

WRITE_PREFIXES = (
    "Put", "Update", "Delete", "BatchWrite", "Create", "Admin", "Add", "Remove",
    "Set", "Sign", "Global", "Forget", "Confirm", "Change", "Verify", "Associate",
    "Revoke", "Restore", "Import", "Tag", "Untag", "Start", "Stop",
)
LEADING_KEY = "${aws:PrincipalTag/userId}"
# Actions IAM authorizes on "*" only (no resource type in the Service
# Authorization Reference): they cannot name a resource.
WILDCARD_ONLY = {"cognito-identity:SetIdentityPoolRoles", "cognito-identity:SetPrincipalTagAttributeMap"}


def as_list(value):
    return value if isinstance(value, list) else [value]


def statements(policy_document):
    return as_list(policy_document.get("Statement", []))


def role_statements(resource):
    props = resource.get("Properties", {})
    for policy in props.get("Policies", []):
        yield from statements(policy.get("PolicyDocument", {}))


def all_statements(resources):
    for name, resource in resources.items():
        kind = resource.get("Type")
        props = resource.get("Properties", {})
        if kind == "AWS::IAM::Role":
            for statement in role_statements(resource):
                yield name, statement
        elif kind in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            for statement in statements(props.get("PolicyDocument", {})):
                yield name, statement


def is_write(action):
    service, _, operation = action.partition(":")
    if service not in ("dynamodb", "cognito-idp", "cognito-identity"):
        return False
    return operation == "*" or operation.startswith(WRITE_PREFIXES)


def leading_keys_on_caller(statement):
    for operator, conditions in statement.get("Condition", {}).items():
        if "StringEquals" in operator and "dynamodb:LeadingKeys" in conditions:
            return as_list(conditions["dynamodb:LeadingKeys"]) == [LEADING_KEY]
    return False


def scoped_by_request_tag(statement):
    """Creating a pool names no resource; such a "*" is scoped by the tag
    the request must carry."""
    return any(key.startswith("aws:RequestTag/")
               for conditions in statement.get("Condition", {}).values() for key in conditions)


def targets(statement, table):
    return any(resource == {"Fn::GetAtt": [table, "Arn"]}
               or (isinstance(resource, dict) and table in str(resource))
               for resource in as_list(statement.get("Resource", [])))


def identity_roles(resources):
    """(authenticated role, admin role) logical names from the role attachment."""
    for resource in resources.values():
        if resource.get("Type") != "AWS::Cognito::IdentityPoolRoleAttachment":
            continue
        props = resource["Properties"]
        authenticated = props["Roles"]["authenticated"]["Fn::GetAtt"][0]
        admin = {rule["RoleARN"]["Fn::GetAtt"][0]
                 for mapping in props.get("RoleMappings", {}).values()
                 for rule in mapping.get("RulesConfiguration", {}).get("Rules", [])}
        return authenticated, admin
    return None, set()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("templates", nargs="*", default=sorted(glob.glob("cloudformation/*.yaml")))
    args = parser.parse_args()
    results = []

    def check(name, condition, detail=""):
        results.append(bool(condition))
        print(f"{'ok  ' if condition else 'FAIL'} {name}{'' if condition else ': ' + str(detail)[:400]}")

    for path in args.templates:
        template, matches = decode(path)
        if matches:
            check(f"{path} parses", False, matches)
            continue
        resources = template.get("Resources", {})
        wildcard_writes = [
            (name, action) for name, statement in all_statements(resources)
            if statement.get("Effect") == "Allow" and "*" in as_list(statement.get("Resource", []))
            and not scoped_by_request_tag(statement)
            for action in as_list(statement.get("Action", [])) if is_write(action) and action not in WILDCARD_ONLY
        ]
        check(f"{path}: no Cognito or DynamoDB write action on Resource \"*\" (unless the request must be tagged)",
              not wildcard_writes, wildcard_writes)

        authenticated, admins = identity_roles(resources)
        if authenticated is None:
            continue
        dynamo = [s for s in role_statements(resources[authenticated])
                  if any(str(a).startswith("dynamodb:") for a in as_list(s.get("Action", [])))]
        check(f"{path}: the authenticated identity role has DynamoDB statements", dynamo)
        unlimited = [s.get("Sid") for s in dynamo if not leading_keys_on_caller(s)]
        check(f"{path}: every DynamoDB statement of {authenticated} carries LeadingKeys = {LEADING_KEY}",
              not unlimited, unlimited)
        for admin in sorted(admins):
            on_data = [s for s in role_statements(resources[admin]) if targets(s, "UserDataTable")]
            unlimited = [s.get("Sid") for s in on_data if not leading_keys_on_caller(s)]
            check(f"{path}: every user-data statement of {admin} carries LeadingKeys", on_data and not unlimited,
                  unlimited)
            profile_writes = [a for s in role_statements(resources[admin]) if targets(s, "ProfilesTable")
                              for a in as_list(s.get("Action", [])) if is_write(a)]
            check(f"{path}: {admin} cannot write profiles", not profile_writes, profile_writes)

    passed = sum(results)
    print(f"{passed} passed, {len(results) - passed} failed")
    return 0 if results and passed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
