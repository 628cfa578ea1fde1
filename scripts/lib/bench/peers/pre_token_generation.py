"""Python peer of the pre-token-generation (V2_0) trigger: roles,
permissions and scopes from the user's groups."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lambda_loop import serve  # noqa: E402

USER = ["profile:read", "profile:write", "data:read", "data:write"]
PERMISSIONS = json.loads(os.environ.get("ROLE_PERMISSIONS") or json.dumps(
    {"users": USER, "admin": USER + ["admin:users:read", "admin:users:write"]}))


def handler(event, _context):
    groups = event["request"]["groupConfiguration"].get("groupsToOverride") or []
    roles = [g for g in groups if g in PERMISSIONS]
    permissions = sorted({p for role in roles for p in PERMISSIONS[role]})
    event["response"] = {"claimsAndScopeOverrideDetails": {
        "idTokenGeneration": {"claimsToAddOrOverride": {"roles": roles, "permissions": permissions}},
        "accessTokenGeneration": {"claimsToAddOrOverride": {"roles": roles}, "scopesToAdd": permissions},
        "groupOverrideDetails": event["request"]["groupConfiguration"],
    }}
    return event


serve(handler)
