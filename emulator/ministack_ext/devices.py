"""Device tracking and remembered devices, as the Amazon Cognito developer
guide ("Working with user devices in your user pool") and API reference
document them. MiniStack 1.5.33 stores a pool's DeviceConfiguration and
nothing else of it: sign-in answers no NewDeviceMetadata and ConfirmDevice,
GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice and their Admin
variants answer InvalidAction.

With a DeviceConfiguration on the pool:
- A sign-in's tokens (InitiateAuth, AdminInitiateAuth and their challenge
  answers; not a refresh) come with NewDeviceMetadata (DeviceKey
  `<region>_<uuid>`, DeviceGroupKey) unless the sign-in presented the
  DEVICE_KEY of one of the user's confirmed devices.
- ConfirmDevice (the signed-in user's access token, a key issued to that
  user, its SRP verifier and salt) tracks the device: remembered at once, or
  not remembered until UpdateDeviceStatus when DeviceOnlyRememberedOnUserPrompt
  is true (UserConfirmationNecessary says which).
- With ChallengeRequiredOnNewDevice true, a password sign-in that presents a
  remembered device's key answers DEVICE_SRP_AUTH where it would have asked
  for MFA; DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER check the device's
  SRP proof against its verifier and answer tokens without MFA.
- ForgetDevice ends the device's sessions: the refresh tokens of every
  sign-in the device made are refused, as RevokeToken refuses them. (AWS's
  "Tracking and remembering devices using Amazon Cognito Your User Pools":
  with device tracking the tokens are linked to one device, and after
  ForgetDevice "all future calls to revalidate that device's refresh tokens
  will fail".)

A password step (USER_PASSWORD_AUTH, PASSWORD_VERIFIER, a USER_AUTH
password) that presents a DEVICE_KEY which is not one of the user's
confirmed devices is answered ResourceNotFoundException "Device does not
exist.", once the password is verified: the answer the Amplify and AWS SDK
clients expect of a stale key (they clear it and sign in again). Elsewhere
such a key is treated as absent. Not here: refusing a device's refresh token
presented without its DEVICE_KEY or from another device (the SDKs send it),
and device tracking in threat protection's event history."""
import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid

from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito

from . import check_pins, dispatching, invalid_parameter

ACTIONS = ("ConfirmDevice", "GetDevice", "ListDevices", "UpdateDeviceStatus", "ForgetDevice")
MFA_CHALLENGES = ("SOFTWARE_TOKEN_MFA", "SMS_MFA", "EMAIL_OTP", "SELECT_MFA_TYPE")
PASSWORD_FLOWS = ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
MAX_LIST = 60
MAX_ISSUED = 20  # unconfirmed device keys kept per user, newest first
CHALLENGE_SECONDS = 180
REMEMBERED, NOT_REMEMBERED = "remembered", "not_remembered"


def now():
    return time.time()


def _hooked():
    return {
        "cognito._dispatch_idp": cognito._dispatch_idp,
        "cognito._run_idp_handler": cognito._run_idp_handler,
        "cognito._user_pool_for_access_token": cognito._user_pool_for_access_token,
        "cognito._initiate_auth": cognito._initiate_auth,
        "cognito._admin_initiate_auth": cognito._admin_initiate_auth,
        "cognito._respond_to_auth_challenge": cognito._respond_to_auth_challenge,
        "cognito._admin_respond_to_auth_challenge": cognito._admin_respond_to_auth_challenge,
        "cognito._build_auth_result": cognito._build_auth_result,
        "cognito._resolve_user": cognito._resolve_user,
        "cognito._resolve_pool": cognito._resolve_pool,
        "cognito._token_claims": cognito._token_claims,
        "cognito._pool_for_client": cognito._pool_for_client,
        "cognito._srp_pad": cognito._srp_pad,
        "cognito._srp_hash": cognito._srp_hash,
        "cognito._srp_response_format_error": cognito._srp_response_format_error,
        "cognito._srp_canonical_timestamp": cognito._srp_canonical_timestamp,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._dispatch_idp": "eff61c61ce4d793c",
    "cognito._run_idp_handler": "85681acebd624562",
    "cognito._user_pool_for_access_token": "e0126455e8b401f7",
    "cognito._initiate_auth": "df32da882d664732",
    "cognito._admin_initiate_auth": "fe990340921ce3c5",
    "cognito._respond_to_auth_challenge": "9dae007b5620600a",
    "cognito._admin_respond_to_auth_challenge": "0ed094bdaeb93cfe",
    "cognito._build_auth_result": "ff9c8d0d9f5a07f9",
    "cognito._resolve_user": "005b45b0326d511c",
    "cognito._resolve_pool": "8e550159a441918b",
    "cognito._token_claims": "f36cb7fb045bce0a",
    "cognito._pool_for_client": "ac0cf21281822221",
    "cognito._srp_pad": "bc0fb8858a7aee64",
    "cognito._srp_hash": "ef4829ace51de2da",
    "cognito._srp_response_format_error": "239a1a93b65f74b3",
    "cognito._srp_canonical_timestamp": "2556936a85d861a5",
}

# a sign-in's Session (or SRP secret block) -> the DEVICE_KEY it presented
_presented = {}
# DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER session -> its state
_device_sessions = {}
_lock = threading.Lock()


def _config(pool):
    config = (pool or {}).get("DeviceConfiguration") or {}
    return {key: value is True or str(value).lower() == "true" for key, value in config.items()}


def tracking(pool):
    return bool((pool or {}).get("DeviceConfiguration"))


def confirmed_device(user, device_key):
    return (user or {}).get("_devices", {}).get(device_key) if isinstance(device_key, str) else None


# ---------------------------------------------------------------------------
# Sign-in: NewDeviceMetadata, the device's sessions, DEVICE_SRP_AUTH
# ---------------------------------------------------------------------------

def _issue(pool_id, user, session):
    """A new device key for `user`'s sign-in, kept until confirmed."""
    key = f"{pool_id.split('_', 1)[0]}_{uuid.uuid4()}"
    group = "-" + secrets.token_urlsafe(7)
    issued = user.setdefault("_issued_devices", {})
    issued[key] = {"DeviceGroupKey": group, "Sessions": session, "IssuedAt": now()}
    for stale in sorted(issued, key=lambda k: issued[k]["IssuedAt"])[:-MAX_ISSUED]:
        del issued[stale]
    return {"DeviceKey": key, "DeviceGroupKey": group}


def _session_of(result):
    """What ends a sign-in's session: its refresh token, and its origin_jti
    (which MiniStack checks, under AUTH, for rotated refresh tokens and the
    access tokens)."""
    token = result.get("RefreshToken") or ""
    return [handle for handle in (token, cognito._token_claims(token).get("origin_jti")) if handle]


def _with_device(pool_id, user, result, device_key):
    """The AuthenticationResult of a sign-in, tied to the device it presented
    or to a newly issued device key."""
    session = _session_of(result)
    device = confirmed_device(user, device_key)
    if device is not None:
        device["LastAuthenticated"] = now()
        device["Sessions"].extend(session)
        return result
    return {**result, "NewDeviceMetadata": _issue(pool_id, user, session)}


def _presented_key(data):
    given = (data.get("AuthParameters") or data.get("ChallengeResponses") or {}).get("DEVICE_KEY")
    if isinstance(given, str) and given:
        return given
    responses = data.get("ChallengeResponses") or {}
    with _lock:
        for handle in (data.get("Session"), responses.get("PASSWORD_CLAIM_SECRET_BLOCK")):
            if isinstance(handle, str) and handle in _presented:
                return _presented[handle]
    return None


def _password_step(data):
    """Whether the request proves the user's password (what a remembered
    device can stand in for MFA after)."""
    if data.get("AuthFlow") in PASSWORD_FLOWS:
        return True
    if data.get("AuthFlow") == "USER_AUTH":
        return bool((data.get("AuthParameters") or {}).get("PASSWORD"))
    responses = data.get("ChallengeResponses") or {}
    if data.get("ChallengeName") == "PASSWORD_VERIFIER":
        return True
    return data.get("ChallengeName") == "SELECT_CHALLENGE" and responses.get("ANSWER") in ("PASSWORD",)


def _user_of(pool, data, body):
    """The user a sign-in step is about: its tokens' owner, else the name
    the challenge or the request gives."""
    if "AuthenticationResult" in body:
        name = cognito._token_claims(body["AuthenticationResult"].get("AccessToken") or "").get("username")
        return pool["_users"].get(name) if name else None
    params = data.get("AuthParameters") or data.get("ChallengeResponses") or {}
    name = (body.get("ChallengeParameters") or {}).get("USER_ID_FOR_SRP") or params.get("USERNAME")
    return cognito._resolve_user(pool, name)[0] if name else None


def _device_srp_challenge(pool_id, client_id, user, device_key):
    session = base64.b64encode(secrets.token_bytes(32)).decode()
    with _lock:
        _device_sessions[session] = {"pool_id": pool_id, "client_id": client_id, "username": user["Username"],
                                     "device_key": device_key, "step": "DEVICE_SRP_AUTH",
                                     "expires_at": now() + CHALLENGE_SECONDS}
    return json_response({"ChallengeName": "DEVICE_SRP_AUTH", "Session": session,
                          "ChallengeParameters": {"USERNAME": user["Username"]}})


def _tracking(original):
    def handler(data):
        pool, pool_id = cognito._pool_for_client(data.get("ClientId"))
        if not tracking(pool):
            return original(data)
        if data.get("ChallengeName") in ("DEVICE_SRP_AUTH", "DEVICE_PASSWORD_VERIFIER"):
            return _answer_device_challenge(pool, pool_id, data)
        if data.get("AuthFlow") in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
            return original(data)
        device_key = _presented_key(data)
        answer = original(data)
        if answer[0] != 200:
            return answer
        body = json.loads(answer[2])
        user = _user_of(pool, data, body)
        if user is None:
            return answer
        device = confirmed_device(user, device_key)
        if device_key and device is None and _password_step(data):
            return _no_such_device()
        if "AuthenticationResult" in body:
            body["AuthenticationResult"] = _with_device(pool_id, user, body["AuthenticationResult"], device_key)
            return json_response(body)
        if (body.get("ChallengeName") in MFA_CHALLENGES and _password_step(data) and device
                and device["Status"] == REMEMBERED and _config(pool).get("ChallengeRequiredOnNewDevice")):
            return _device_srp_challenge(pool_id, data["ClientId"], user, device_key)
        if device is not None:
            handles = (body.get("Session"), (body.get("ChallengeParameters") or {}).get("SECRET_BLOCK"))
            with _lock:
                _presented.update({h: device_key for h in handles if isinstance(h, str)})
        return answer
    return handler


def _no_such_device():
    return error_response_json("ResourceNotFoundException", "Device does not exist.", 400)


def _denied():
    return error_response_json("NotAuthorizedException", "Incorrect username or password.", 400)


def _answer_device_challenge(pool, pool_id, data):
    with _lock:
        state = _device_sessions.get(data.get("Session") or "")
    if (state is None or state["expires_at"] < now() or state["pool_id"] != pool_id
            or state["client_id"] != data.get("ClientId") or state["step"] != data.get("ChallengeName")):
        return invalid_parameter("Invalid session for the user, session is expired.")
    responses = data.get("ChallengeResponses") or {}
    user = pool["_users"].get(state["username"])
    device = confirmed_device(user, state["device_key"])
    if device is None or responses.get("DEVICE_KEY") != state["device_key"]:
        return _no_such_device()
    if state["step"] == "DEVICE_SRP_AUTH":
        return _device_password_verifier(data, state, device, responses)
    error = cognito._srp_response_format_error(responses)
    if error:
        return error
    with _lock:
        _device_sessions.pop(data["Session"], None)
    if not device_proof_valid(device, state, responses):
        return _denied()
    result = cognito._build_auth_result(pool_id, data["ClientId"], user,
                                        client_metadata=data.get("ClientMetadata") or {})
    return json_response({"AuthenticationResult": _with_device(pool_id, user, result, state["device_key"])})


def _device_password_verifier(data, state, device, responses):
    srp_a = responses.get("SRP_A") or ""
    try:
        big_a = int(srp_a, 16)
    except ValueError:
        return invalid_parameter("SRP_A is not a hexadecimal number.")
    if big_a % cognito._SRP_N == 0:
        return _denied()
    b = secrets.randbelow(cognito._SRP_N - 2) + 1
    verifier = int(device["Verifier"], 16)
    big_b = (cognito._SRP_K * verifier + pow(cognito._SRP_G, b, cognito._SRP_N)) % cognito._SRP_N
    secret_block = base64.b64encode(secrets.token_bytes(64)).decode()
    session = base64.b64encode(secrets.token_bytes(32)).decode()
    with _lock:
        _device_sessions.pop(data["Session"], None)
        _device_sessions[session] = {**state, "step": "DEVICE_PASSWORD_VERIFIER", "srp_a": srp_a,
                                     "srp_b": format(big_b, "x"), "b": b, "secret_block": secret_block,
                                     "expires_at": now() + CHALLENGE_SECONDS}
    return json_response({"ChallengeName": "DEVICE_PASSWORD_VERIFIER", "Session": session,
                          "ChallengeParameters": {"SRP_B": format(big_b, "x"), "SALT": device["Salt"],
                                                  "SECRET_BLOCK": secret_block, "USERNAME": state["username"],
                                                  "DEVICE_KEY": state["device_key"]}})


def device_proof_valid(device, state, responses):
    """The device's PASSWORD_CLAIM_SIGNATURE, checked against its verifier:
    the user-pool SRP of the SDKs with the device group key as the pool name
    and the device key as the user."""
    if not hmac.compare_digest(responses["PASSWORD_CLAIM_SECRET_BLOCK"].encode(), state["secret_block"].encode()):
        return False
    pad, n = cognito._srp_pad, cognito._SRP_N
    big_a, big_b = int(state["srp_a"], 16), int(state["srp_b"], 16)
    u = cognito._srp_hash(pad(big_a), pad(big_b))
    if u == 0:
        return False
    s = pow(big_a * pow(int(device["Verifier"], 16), u, n), state["b"], n)
    prk = hmac.new(pad(u), pad(s), hashlib.sha256).digest()
    key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
    message = (device["DeviceGroupKey"] + state["device_key"]).encode() \
        + base64.b64decode(state["secret_block"]) \
        + cognito._srp_canonical_timestamp(responses["TIMESTAMP"]).encode()
    expected = hmac.new(key, message, hashlib.sha256).digest()
    return hmac.compare_digest(expected, base64.b64decode(responses["PASSWORD_CLAIM_SIGNATURE"]))


# ---------------------------------------------------------------------------
# The device calls
# ---------------------------------------------------------------------------

def _caller(data):
    user, pool = cognito._user_pool_for_access_token(data.get("AccessToken"))
    if not user:
        return None, None, error_response_json("NotAuthorizedException", "Invalid Access Token", 400)
    if not tracking(pool):
        return None, None, error_response_json("InvalidUserPoolConfigurationException",
                                               "Device tracking is not enabled for this user pool.", 400)
    return user, pool, None


def _admin_target(data):
    pool, error = cognito._resolve_pool(data.get("UserPoolId") or "")
    if error:
        return None, None, error
    user, error = cognito._resolve_user(pool, data.get("Username") or "")
    if error:
        return None, None, error
    if not tracking(pool):
        return None, None, error_response_json("InvalidUserPoolConfigurationException",
                                               "Device tracking is not enabled for this user pool.", 400)
    return user, pool, None


def _device_or_error(user, data):
    device = confirmed_device(user, data.get("DeviceKey"))
    if device is None:
        return None, error_response_json("ResourceNotFoundException", "Device does not exist.", 400)
    return device, None


def described(key, device):
    attributes = [{"Name": "device_status", "Value": "valid"},
                  {"Name": "dev:device_remembered_status", "Value": device["Status"]}]
    if device.get("Name"):
        attributes.append({"Name": "device_name", "Value": device["Name"]})
    return {"DeviceKey": key, "DeviceAttributes": attributes, "DeviceCreateDate": device["Created"],
            "DeviceLastModifiedDate": device["Modified"], "DeviceLastAuthenticatedDate": device["LastAuthenticated"]}


def _verifier_config(config):
    """(verifier hex, salt hex) from base64 DeviceSecretVerifierConfig, or None."""
    if not isinstance(config, dict):
        return None
    try:
        verifier = base64.b64decode(config.get("PasswordVerifier") or "", validate=True)
        salt = base64.b64decode(config.get("Salt") or "", validate=True)
    except (ValueError, TypeError):
        return None
    if not verifier or not salt or int.from_bytes(verifier, "big") % cognito._SRP_N in (0, 1):
        return None
    return verifier.hex(), salt.hex()


def _confirm_device(data):
    user, pool, error = _caller(data)
    if error:
        return error
    key = data.get("DeviceKey")
    issued = user.get("_issued_devices", {}).get(key) if isinstance(key, str) else None
    if issued is None:
        if confirmed_device(user, key) is not None:
            return invalid_parameter("Device has already been confirmed.")
        return error_response_json("ResourceNotFoundException", "Device does not exist.", 400)
    secrets_given = _verifier_config(data.get("DeviceSecretVerifierConfig"))
    if secrets_given is None:
        return invalid_parameter("DeviceSecretVerifierConfig needs a base64 PasswordVerifier and Salt.")
    name = data.get("DeviceName")
    if name is not None and (not isinstance(name, str) or not 1 <= len(name) <= 1024):
        return invalid_parameter("DeviceName must be 1 to 1024 characters.")
    on_prompt = _config(pool).get("DeviceOnlyRememberedOnUserPrompt", False)
    del user["_issued_devices"][key]
    moment = now()
    user.setdefault("_devices", {})[key] = {
        "DeviceGroupKey": issued["DeviceGroupKey"], "Verifier": secrets_given[0], "Salt": secrets_given[1],
        "Name": name, "Status": NOT_REMEMBERED if on_prompt else REMEMBERED, "Sessions": list(issued["Sessions"]),
        "Created": moment, "Modified": moment, "LastAuthenticated": moment}
    return json_response({"UserConfirmationNecessary": on_prompt})


def _update_status(user, data):
    device, error = _device_or_error(user, data)
    if error:
        return error
    status = data.get("DeviceRememberedStatus")
    if status not in (REMEMBERED, NOT_REMEMBERED):
        return invalid_parameter("1 validation error detected: Value at 'deviceRememberedStatus' failed to "
                                 "satisfy constraint: Member must satisfy enum value set: [remembered, "
                                 "not_remembered]")
    device["Status"], device["Modified"] = status, now()
    return json_response({})


def _get(user, data):
    device, error = _device_or_error(user, data)
    if error:
        return error
    return json_response({"Device": described(data["DeviceKey"], device)})


def _list(user, data):
    limit = data.get("Limit", MAX_LIST)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LIST:
        return invalid_parameter(f"1 validation error detected: Value at 'limit' failed to satisfy constraint: "
                                 f"Member must have value less than or equal to {MAX_LIST}")
    devices = sorted(user.get("_devices", {}).items(), key=lambda item: item[1]["Created"])
    start = 0
    token = data.get("PaginationToken")
    if token is not None:
        keys = [key for key, _ in devices]
        if token not in keys:
            return invalid_parameter("Invalid pagination token.")
        start = keys.index(token)
    page = devices[start:start + (limit or MAX_LIST)]
    answer = {"Devices": [described(key, device) for key, device in page]}
    if start + len(page) < len(devices):
        answer["PaginationToken"] = devices[start + len(page)][0]
    return json_response(answer)


def _forget(user, data):
    device, error = _device_or_error(user, data)
    if error:
        return error
    del user["_devices"][data["DeviceKey"]]
    cognito._revoked_tokens.update(device["Sessions"])
    return json_response({})


def _as_user(operation):
    def handler(data):
        user, _pool, error = _caller(data)
        return error or operation(user, data)
    return handler


def _as_admin(operation):
    def handler(data):
        user, _pool, error = _admin_target(data)
        return error or operation(user, data)
    return handler


HANDLERS = {
    "ConfirmDevice": _confirm_device,
    "GetDevice": _as_user(_get),
    "ListDevices": _as_user(_list),
    "UpdateDeviceStatus": _as_user(_update_status),
    "ForgetDevice": _as_user(_forget),
    "AdminGetDevice": _as_admin(_get),
    "AdminListDevices": _as_admin(_list),
    "AdminUpdateDeviceStatus": _as_admin(_update_status),
    "AdminForgetDevice": _as_admin(_forget),
}


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._UNSIGNED_IDP_ACTIONS.update(ACTIONS)
    cognito._dispatch_idp = dispatching(cognito._dispatch_idp, HANDLERS)
    cognito._initiate_auth = _tracking(cognito._initiate_auth)
    cognito._admin_initiate_auth = _tracking(cognito._admin_initiate_auth)
    cognito._respond_to_auth_challenge = _tracking(cognito._respond_to_auth_challenge)
    cognito._admin_respond_to_auth_challenge = _tracking(cognito._admin_respond_to_auth_challenge)
