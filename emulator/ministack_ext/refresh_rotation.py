"""Refresh-token rotation, as the Amazon Cognito developer guide and API
reference document it. MiniStack 1.5.33 drops an app client's
`RefreshTokenRotation` (CreateUserPoolClient, UpdateUserPoolClient and its
CloudFormation engine) and GetTokensFromRefreshToken never rotates.

With the client's `Feature` ENABLED:
- GetTokensFromRefreshToken answers a new refresh token beside the ID and
  access tokens; the one it replaced keeps working for the client's
  `RetryGracePeriodSeconds` (0 to 60, default 0) after its first use, so a
  client can retry, and is then refused with RefreshTokenReuseException.
  A replacement belongs to the same session: it expires when the token it
  replaced would have, and RevokeToken or GlobalSignOut end it as they end
  the original.
- InitiateAuth and AdminInitiateAuth refuse REFRESH_TOKEN_AUTH ("you can't
  authenticate with REFRESH_TOKEN_AUTH in app clients with refresh token
  rotation enabled").

Not here: the managed login token endpoint's refresh_token grant, which
does not rotate."""
import json
import threading
import time

from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito
from ministack.services.cloudformation import provisioners

from . import check_pins, invalid_parameter

MAX_GRACE_SECONDS = 60
REFRESH_FLOWS = ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
REUSE_MESSAGE = "The refresh token has been replaced by rotation."


def now():
    return time.time()


def _hooked():
    return {
        "cognito._create_user_pool_client": cognito._create_user_pool_client,
        "cognito._update_user_pool_client": cognito._update_user_pool_client,
        "cognito._get_tokens_from_refresh_token": cognito._get_tokens_from_refresh_token,
        "cognito._refresh_auth_result": cognito._refresh_auth_result,
        "cognito._initiate_auth": cognito._initiate_auth,
        "cognito._admin_initiate_auth": cognito._admin_initiate_auth,
        "cognito._fake_token": cognito._fake_token,
        "provisioners._cognito_user_pool_client_create": provisioners._cognito_user_pool_client_create,
        "provisioners._cognito_user_pool_client_update": provisioners._cognito_user_pool_client_update,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._create_user_pool_client": "1caaecf2354b4358",
    "cognito._update_user_pool_client": "530fe95f2cec6df1",
    "cognito._get_tokens_from_refresh_token": "67d9ca2d8271a2ca",
    "cognito._refresh_auth_result": "7cb88db405d895cd",
    "cognito._initiate_auth": "df32da882d664732",
    "cognito._admin_initiate_auth": "fe990340921ce3c5",
    "cognito._fake_token": "7e26f28e0883ae87",
    "provisioners._cognito_user_pool_client_create": "ef91a19709832d67",
    "provisioners._cognito_user_pool_client_update": "13869ab0b0ce5a77",
}

# refresh token -> when it was first exchanged on a rotating client
_first_use = {}
_lock = threading.Lock()


def rotation_error(rotation):
    """InvalidParameterException for a RefreshTokenRotation the API reference
    does not allow, or None."""
    if not isinstance(rotation, dict):
        return invalid_parameter("RefreshTokenRotation must be an object.")
    unknown = set(rotation) - {"Feature", "RetryGracePeriodSeconds"}
    if unknown:
        return invalid_parameter(f"RefreshTokenRotation has unknown fields: {', '.join(sorted(unknown))}.")
    if rotation.get("Feature") not in ("ENABLED", "DISABLED"):
        return invalid_parameter("1 validation error detected: Value at 'refreshTokenRotation.feature' failed to "
                        "satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]")
    grace = rotation.get("RetryGracePeriodSeconds", 0)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_SECONDS:
        return invalid_parameter("1 validation error detected: Value at 'refreshTokenRotation.retryGracePeriodSeconds' "
                        f"failed to satisfy constraint: Member must be an integer from 0 to {MAX_GRACE_SECONDS}")
    return None


def _client_record(pool_id, client_id):
    return ((cognito._user_pools.get(pool_id) or {}).get("_clients") or {}).get(client_id)


def _with_rotation(original):
    """CreateUserPoolClient or UpdateUserPoolClient keeping RefreshTokenRotation
    on the client record (an update without it leaves it as it is, as
    MiniStack does for the client's other fields; None removes it)."""
    def handler(data):
        given = "RefreshTokenRotation" in data
        rotation = data.get("RefreshTokenRotation")
        if rotation is not None:
            refused = rotation_error(rotation)
            if refused:
                return refused
        answer = original({k: v for k, v in data.items() if k != "RefreshTokenRotation"})
        if answer[0] != 200 or not given:
            return answer
        client = json.loads(answer[2])["UserPoolClient"]
        record = _client_record(client["UserPoolId"], client["ClientId"])
        if rotation is None:
            record.pop("RefreshTokenRotation", None)
            client.pop("RefreshTokenRotation", None)
        else:
            stored = {"Feature": rotation["Feature"],
                      "RetryGracePeriodSeconds": rotation.get("RetryGracePeriodSeconds", 0)}
            record["RefreshTokenRotation"] = stored
            client["RefreshTokenRotation"] = dict(stored)
        return json_response({"UserPoolClient": client})
    return handler


def _rotation_of(client_id):
    """The client's grace period in seconds when it rotates, else None."""
    pool, pool_id = cognito._pool_for_client(client_id)
    rotation = (((pool or {}).get("_clients") or {}).get(client_id) or {}).get("RefreshTokenRotation") or {}
    if rotation.get("Feature") != "ENABLED":
        return None
    return rotation.get("RetryGracePeriodSeconds", 0)


def _replacement(refresh_token):
    """A new refresh token of the same session: same subject, client, scope,
    origin and expiry, issued now."""
    claims = dict(cognito._token_claims(refresh_token))
    claims["iat"] = int(now())
    claims["jti"] = cognito.new_uuid()
    pool_id = str(claims.get("iss", "")).rsplit("/", 1)[-1]
    return cognito._signed_jwt(claims, pool_id, "access")


def _rotating(original):
    def get_tokens_from_refresh_token(data):
        grace = _rotation_of(data.get("ClientId"))
        if grace is None:
            return original(data)
        token = data.get("RefreshToken")
        with _lock:
            first_use = _first_use.get(token) if isinstance(token, str) else None
            if first_use is not None and now() > first_use + grace:
                return error_response_json("RefreshTokenReuseException", REUSE_MESSAGE, 400)
        answer = original(data)
        if answer[0] != 200:
            return answer
        result = json.loads(answer[2])
        result["AuthenticationResult"]["RefreshToken"] = _replacement(token)
        with _lock:
            _first_use.setdefault(token, now())
        return json_response(result)
    return get_tokens_from_refresh_token


def _refusing_refresh_flow(original):
    def initiate_auth(data):
        if data.get("AuthFlow") in REFRESH_FLOWS and _rotation_of(data.get("ClientId")) is not None:
            return invalid_parameter(f"{data['AuthFlow']} is not allowed for an app client with refresh token "
                            "rotation; use GetTokensFromRefreshToken.")
        return original(data)
    return initiate_auth


def template_rotation(props):
    """The resource's properties with RetryGracePeriodSeconds an integer, as
    CloudFormation converts a template's value (a parameter's reference
    arrives as text) to the type the resource's schema gives it."""
    rotation = props.get("RefreshTokenRotation")
    grace = rotation.get("RetryGracePeriodSeconds") if isinstance(rotation, dict) else None
    if not (isinstance(grace, str) and grace.strip().isdigit()):
        return props
    return {**props, "RefreshTokenRotation": {**rotation, "RetryGracePeriodSeconds": int(grace)}}


def _template_create(original):
    def create(logical_id, props, stack_name):
        return original(logical_id, template_rotation(props), stack_name)
    return create


def _template_update(original):
    def update(physical_id, old_props, new_props, stack_name, logical_id=None):
        return original(physical_id, template_rotation(old_props), template_rotation(new_props), stack_name,
                        logical_id)
    return update


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._create_user_pool_client = _with_rotation(cognito._create_user_pool_client)
    cognito._update_user_pool_client = _with_rotation(cognito._update_user_pool_client)
    cognito._get_tokens_from_refresh_token = _rotating(cognito._get_tokens_from_refresh_token)
    cognito._initiate_auth = _refusing_refresh_flow(cognito._initiate_auth)
    cognito._admin_initiate_auth = _refusing_refresh_flow(cognito._admin_initiate_auth)
    # CloudFormation passes the property to the service's calls wrapped
    # above; a property the template drops reverts to None, which removes it.
    provisioners._COGNITO_USER_POOL_CLIENT_UPDATABLE["RefreshTokenRotation"] = None
    handlers = provisioners._RESOURCE_HANDLERS["AWS::Cognito::UserPoolClient"]
    create = _template_create(provisioners._cognito_user_pool_client_create)
    update = _template_update(provisioners._cognito_user_pool_client_update)
    provisioners._cognito_user_pool_client_create, provisioners._cognito_user_pool_client_update = create, update
    handlers["create"], handlers["update"] = create, update
