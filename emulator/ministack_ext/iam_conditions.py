"""What MiniStack 1.5.33's IAM enforcement (AUTH=true) needs to decide
fine-grained DynamoDB access the way AWS does:

- policy variables (`${aws:PrincipalTag/userId}`) in condition values,
  resolved from the request context; a variable with no value matches
  nothing, as in AWS;
- `dynamodb:LeadingKeys`, the partition-key values a request names (Key,
  Item, KeyConditionExpression or KeyConditions, and the Keys, PutRequest
  and DeleteRequest entries of batch requests);
- the principal tags of identity-pool sessions: GetCredentialsForIdentity
  tags the session from the pool's principal-tag mapping
  (SetPrincipalTagAttributeMap) and the claims of the login token.

Resource ARNs with policy variables are not resolved (this stack uses them
in conditions only)."""
import base64
import json
import re

from ministack.core import iam_actions, iam_evaluator
from ministack.services import cognito, dynamodb, sts

from . import check_pins

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
# Cognito's default principal-tag mapping for a user pool (UseDefaults).
DEFAULT_PRINCIPAL_TAGS = {"username": "sub", "client": "aud"}


def _hooked():
    return {
        "iam_evaluator._conditions_met": iam_evaluator._conditions_met,
        "iam_evaluator._resolve_condition_key": iam_evaluator._resolve_condition_key,
        "iam_evaluator._principal_keys": iam_evaluator._principal_keys,
        "iam_actions.dynamodb_service_context": iam_actions.dynamodb_service_context,
        "cognito._get_credentials_for_identity": cognito._get_credentials_for_identity,
        "sts.register_session": sts.register_session,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "iam_evaluator._conditions_met": "15b4c24a03e3ff17",
    "iam_evaluator._resolve_condition_key": "15e26964cd38f32c",
    "iam_evaluator._principal_keys": "82f8fd4f1d91e592",
    "iam_actions.dynamodb_service_context": "0f0021bdc8a3f13c",
    "cognito._get_credentials_for_identity": "62adc8daf624c4cf",
    "sts.register_session": "a84ec986ec012146",
}


# ------------------------------------------------------------ policy variables
def substitute(value, resolve):
    """A condition value with its policy variables resolved, or None when one
    has no single value in the request."""
    missing = False

    def replace(match):
        nonlocal missing
        name = match.group(1)
        if name in _ESCAPES:
            return _ESCAPES[name]
        name, _, default = name.partition(",")
        resolved = resolve(name.strip())
        if isinstance(resolved, list) or resolved is None:
            default = default.strip()
            if default.startswith("'") and default.endswith("'") and len(default) >= 2:
                return default[1:-1]
            missing = True
            return ""
        return str(resolved)

    out = _VARIABLE.sub(replace, value)
    return None if missing else out


def _substituted(conditions, ctx):
    resolve = lambda name: iam_evaluator._resolve_condition_key(name, ctx)  # noqa: E731
    out = {}
    for operator, key_values in conditions.items():
        if not isinstance(key_values, dict):
            out[operator] = key_values
            continue
        block = {}
        for key, expected in key_values.items():
            values = expected if isinstance(expected, list) else [expected]
            resolved = [substitute(v, resolve) if isinstance(v, str) else v for v in values]
            kept = [v for v in resolved if v is not None]
            # Nothing left to match: a value no request key can equal.
            block[key] = kept if kept else ["\x00unresolved policy variable\x00"]
        out[operator] = block
    return out


def _conditions_met(original):
    def met(conditions, ctx):
        return original(_substituted(conditions, ctx) if conditions else conditions, ctx)

    return met


# --------------------------------------------------------- dynamodb:LeadingKeys
def _scalar(attribute_value):
    if not isinstance(attribute_value, dict) or len(attribute_value) != 1:
        return None
    (kind, value), = attribute_value.items()
    return str(value) if kind in ("S", "N", "B") else None


def _hash_key(table_name):
    table = dynamodb._tables.get(str(table_name).rpartition("/")[2] if str(table_name).startswith("arn:")
                                 else table_name)
    return (table or {}).get("pk_name")


def leading_keys(data, hash_key_of):
    """The partition-key values a DynamoDB request names, in order, without
    repeats. `hash_key_of(table)` gives a table's partition-key attribute."""
    values = []

    def add(table, item):
        name = hash_key_of(table)
        value = _scalar((item or {}).get(name)) if name else None
        if value is not None and value not in values:
            values.append(value)

    table = data.get("TableName")
    for field in ("Key", "Item"):
        if isinstance(data.get(field), dict):
            add(table, data[field])
    condition = data.get("KeyConditionExpression")
    if isinstance(condition, str) and table:
        names = data.get("ExpressionAttributeNames") or {}
        placeholders = data.get("ExpressionAttributeValues") or {}
        name = hash_key_of(table)
        for left, right in re.findall(r"([:#\w.]+)\s*=\s*([:#\w.]+)", condition):
            for attribute, placeholder in ((left, right), (right, left)):
                if names.get(attribute, attribute) == name and placeholder in placeholders:
                    add(table, {name: placeholders[placeholder]})
    for attribute, spec in (data.get("KeyConditions") or {}).items():
        if attribute == hash_key_of(table) and isinstance(spec, dict):
            for value in spec.get("AttributeValueList") or []:
                add(table, {attribute: value})
    for batch_table, entry in (data.get("RequestItems") or {}).items():
        if isinstance(entry, dict):  # BatchGetItem
            for key in entry.get("Keys") or []:
                add(batch_table, key)
        elif isinstance(entry, list):  # BatchWriteItem
            for request in entry:
                add(batch_table, ((request or {}).get("PutRequest") or {}).get("Item"))
                add(batch_table, ((request or {}).get("DeleteRequest") or {}).get("Key"))
    return values


def _dynamodb_service_context(original):
    def context(body):
        out = original(body)
        try:
            data = json.loads(body or b"{}")
        except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
            return out
        if isinstance(data, dict):
            keys = leading_keys(data, _hash_key)
            if keys:
                out = dict(out, **{"dynamodb:LeadingKeys": keys})
        return out

    return context


# ------------------------------------------------------ identity-pool sessions
def token_claims(token):
    try:
        payload = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, AttributeError):
        return {}


def principal_tags(pool, logins):
    """Session tags from the pool's principal-tag mapping of each login provider."""
    tags = {}
    for provider, token in (logins or {}).items():
        mapping = (pool.get("_principal_tags") or {}).get(provider)
        if not mapping:
            continue
        wanted = DEFAULT_PRINCIPAL_TAGS if mapping.get("UseDefaults") else mapping.get("PrincipalTags") or {}
        claims = token_claims(token)
        for tag, claim in wanted.items():
            value = claims.get(claim)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                tags[tag] = str(value)
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _get_credentials_for_identity(original):
    def vend(data):
        answer = original(data)
        if answer[0] != 200:
            return answer
        access_key = json.loads(answer[2])["Credentials"]["AccessKeyId"]
        session = sts._sessions.get(access_key)
        pool = cognito._identity_pools.get((session or {}).get("_identity_pool_id"))
        if session is not None and pool:
            session["SessionTags"] = principal_tags(pool, session.get("_logins"))
        return answer

    return vend


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    iam_evaluator._conditions_met = _conditions_met(iam_evaluator._conditions_met)
    iam_actions.dynamodb_service_context = _dynamodb_service_context(iam_actions.dynamodb_service_context)
    cognito._get_credentials_for_identity = _get_credentials_for_identity(cognito._get_credentials_for_identity)
