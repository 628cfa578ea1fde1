"""Choice-based sign-in (InitiateAuth with AuthFlow USER_AUTH) in the user
pools API, as the Amazon Cognito developer guide documents it ("Manage
authentication methods in AWS SDKs"). MiniStack 1.5.33 offers USER_AUTH on
its managed login pages only; its InitiateAuth answers "Unsupported
AuthFlow: USER_AUTH".

On an app client whose ExplicitAuthFlows include ALLOW_USER_AUTH, with the
first factors the pool's SignInPolicy allows (MiniStack's own reading of
it: PASSWORD and EMAIL_OTP, passwords only when MFA is required):
- PREFERRED_CHALLENGE EMAIL_OTP mails a sign-in code (through
  CustomMessage_Authentication when the pool has the trigger) and answers
  the EMAIL_OTP challenge with the masked address; RespondToAuthChallenge
  with EMAIL_OTP_CODE answers tokens, a wrong code CodeMismatchException.
- PREFERRED_CHALLENGE PASSWORD (with PASSWORD) or PASSWORD_SRP (with SRP_A)
  is the password sign-in of USER_PASSWORD_AUTH or USER_SRP_AUTH, MFA
  included.
- PREFERRED_CHALLENGE WEB_AUTHN, where the policy allows it and the pool
  has a relying party, answers the WEB_AUTHN challenge with
  CREDENTIAL_REQUEST_OPTIONS for the user's passkeys (passkeys.py);
  RespondToAuthChallenge with CREDENTIAL (the assertion) answers tokens.
- No preference, or one the pool does not allow, answers SELECT_CHALLENGE
  with AvailableChallenges; RespondToAuthChallenge with ANSWER goes on as
  above.
- An unknown user, on a client that prevents user existence errors, gets
  the same EMAIL_OTP challenge (the typed name masked as the address) and
  no mail; every code is then wrong.
A session lasts the client's AuthSessionValidity (minutes, default 3).

Not here: AdminInitiateAuth with USER_AUTH, and SMS_OTP."""
import secrets
import threading
import time

from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito

from . import check_pins, invalid_parameter, passkeys

FLOW = "USER_AUTH"
PASSWORD_FACTORS = ("PASSWORD", "PASSWORD_SRP")


def now():
    return time.time()


def _hooked():
    return {
        "cognito._initiate_auth": cognito._initiate_auth,
        "cognito._respond_to_auth_challenge": cognito._respond_to_auth_challenge,
        "cognito._available_first_auth_factors": cognito._available_first_auth_factors,
        "cognito._send_email_otp": cognito._send_email_otp,
        "cognito._build_auth_result": cognito._build_auth_result,
        "cognito._hides_user_existence": cognito._hides_user_existence,
        "cognito._masked_destination": cognito._masked_destination,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._initiate_auth": "df32da882d664732",
    "cognito._respond_to_auth_challenge": "9dae007b5620600a",
    "cognito._available_first_auth_factors": "0110ff8478b98a6c",
    "cognito._send_email_otp": "643d54476bad89ad",
    "cognito._build_auth_result": "ff9c8d0d9f5a07f9",
    "cognito._hides_user_existence": "f3a7b929f772e98a",
    "cognito._masked_destination": "0e45b22e946a9aa5",
}

# session token -> the sign-in it continues
_sessions = {}
_lock = threading.Lock()


def _session_expired():
    return error_response_json("NotAuthorizedException", "Invalid session for the user, session is expired.", 400)


def available_challenges(pool):
    """The choices SELECT_CHALLENGE offers: the pool's first factors, a
    password by either flow, and passkeys where the pool has a relying
    party (MiniStack's own reading knows PASSWORD and EMAIL_OTP only)."""
    choices = []
    for factor in cognito._available_first_auth_factors(pool):
        choices += list(PASSWORD_FACTORS) if factor == "PASSWORD" else [factor]
    allowed = ((pool.get("Policies") or {}).get("SignInPolicy") or {}).get("AllowedFirstAuthFactors") or []
    if ("WEB_AUTHN" in allowed and passkeys.relying_party(pool) is not None
            and pool.get("MfaConfiguration") != "ON"):
        choices.append("WEB_AUTHN")
    return choices


def _passkey(pool, pool_id, client, username):
    """The WEB_AUTHN challenge for the user's passkeys; an unknown user gets
    one that no passkey answers."""
    user, error = cognito._resolve_user(pool, username)
    if user is None and not cognito._hides_user_existence(pool, client["ClientId"]):
        return error
    options, challenge = passkeys.request_options(pool, user)
    token = _new_session(pool_id, client, challenge="WEB_AUTHN", username=username,
                         cognito_username=user["Username"] if user else None, webauthn_challenge=challenge)
    return json_response({"ChallengeName": "WEB_AUTHN", "Session": token,
                          "ChallengeParameters": {"CREDENTIAL_REQUEST_OPTIONS": options}})


def _new_session(pool_id, client, **details):
    token = secrets.token_urlsafe(48)
    minutes = client.get("AuthSessionValidity") or 3
    with _lock:
        _sessions[token] = {"pool_id": pool_id, "client_id": client["ClientId"],
                            "expires_at": now() + int(minutes) * 60, **details}
    return token


def _take_session(token, client_id):
    """The live session `token` names for this client, or an error answer."""
    with _lock:
        session = _sessions.get(token)
        if session is None:
            return None, None
        if session["expires_at"] < now():
            del _sessions[token]
            return None, _session_expired()
    if session["client_id"] != client_id:
        return None, error_response_json("NotAuthorizedException", "Invalid session for the user.", 400)
    return session, None


def _password_sign_in(initiate_auth, data, username, responses):
    """The password factors, as the client-based flows do them."""
    parameters = {"USERNAME": username}
    if "SECRET_HASH" in responses:
        parameters["SECRET_HASH"] = responses["SECRET_HASH"]
    if "SRP_A" in responses:
        flow, parameters["SRP_A"] = "USER_SRP_AUTH", responses["SRP_A"]
    else:
        flow, parameters["PASSWORD"] = "USER_PASSWORD_AUTH", responses.get("PASSWORD", "")
    request = {k: v for k, v in data.items() if k not in ("AuthParameters", "ChallengeResponses",
                                                           "ChallengeName", "Session")}
    return initiate_auth({**request, "AuthFlow": flow, "AuthParameters": parameters})


def _email_code(pool, pool_id, client, username):
    """Mails a sign-in code to the user's address and answers the EMAIL_OTP
    challenge; an unknown user gets the same answer and no mail."""
    user, error = cognito._resolve_user(pool, username)
    if user is None:
        if not cognito._hides_user_existence(pool, client["ClientId"]):
            return error
        address, code, cognito_username = username, None, None
    elif not user.get("Enabled", True):
        return error_response_json("NotAuthorizedException", "User is disabled.", 400)
    elif user.get("UserStatus") == "UNCONFIRMED":
        return error_response_json("UserNotConfirmedException", "User is not confirmed.", 400)
    else:
        attributes = cognito._attr_list_to_dict(user.get("Attributes", []))
        address, code, cognito_username = attributes.get("email", ""), None, user["Username"]
        if address and attributes.get("email_verified", "false") == "true":
            code = cognito._EMAIL_OTP_CODE
            cognito._send_email_otp(pool, user["Username"], attributes, code)
    token = _new_session(pool_id, client, challenge="EMAIL_OTP", username=username,
                         cognito_username=cognito_username, code=code)
    return json_response({"ChallengeName": "EMAIL_OTP", "Session": token, "ChallengeParameters": {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": cognito._masked_destination(address),
    }})


def _user_auth(initiate_auth, data):
    client_id = data.get("ClientId")
    pool, pool_id = cognito._pool_for_client(client_id)
    if not pool:
        return error_response_json("ResourceNotFoundException", f"Client {client_id} not found.", 400)
    client = pool["_clients"][client_id]
    if "ALLOW_USER_AUTH" not in (client.get("ExplicitAuthFlows") or []):
        return invalid_parameter("USER_AUTH flow not enabled for this client")
    parameters = data.get("AuthParameters") or {}
    username = parameters.get("USERNAME")
    if not username:
        return invalid_parameter("Missing required parameter USERNAME")
    choices = available_challenges(pool)
    preferred = parameters.get("PREFERRED_CHALLENGE")
    if preferred in choices:
        if preferred == "EMAIL_OTP":
            return _email_code(pool, pool_id, client, username)
        if preferred == "WEB_AUTHN":
            return _passkey(pool, pool_id, client, username)
        needed = "SRP_A" if preferred == "PASSWORD_SRP" else "PASSWORD"
        if needed in parameters:
            return _password_sign_in(initiate_auth, data, username, parameters)
    token = _new_session(pool_id, client, challenge="SELECT_CHALLENGE", username=username, choices=choices)
    return json_response({"ChallengeName": "SELECT_CHALLENGE", "Session": token,
                          "AvailableChallenges": choices, "ChallengeParameters": {}})


def _same_user(session, responses):
    typed = responses.get("USERNAME")
    return typed is None or str(typed).lower() == str(session["username"]).lower()


def _answer(initiate_auth, data, session, token):
    responses = data.get("ChallengeResponses") or {}
    if data.get("ChallengeName") != session["challenge"] or not _same_user(session, responses):
        return invalid_parameter("The challenge answered is not the session's.")
    pool = cognito._user_pools.get(session["pool_id"])
    client = pool["_clients"].get(session["client_id"]) if pool else None
    if client is None:
        return _session_expired()
    if session["challenge"] == "SELECT_CHALLENGE":
        answer = responses.get("ANSWER")
        if answer not in session["choices"]:
            return invalid_parameter(f"ANSWER must be one of {', '.join(session['choices'])}.")
        with _lock:
            _sessions.pop(token, None)
        if answer == "EMAIL_OTP":
            return _email_code(pool, session["pool_id"], client, session["username"])
        if answer == "WEB_AUTHN":
            return _passkey(pool, session["pool_id"], client, session["username"])
        return _password_sign_in(initiate_auth, data, session["username"], responses)
    if session["challenge"] == "WEB_AUTHN":
        user, _ = cognito._resolve_user(pool, session["cognito_username"]) if session["cognito_username"] else (None, None)
        if not passkeys.verify_assertion(pool, user, responses.get("CREDENTIAL"), session["webauthn_challenge"]):
            return error_response_json("NotAuthorizedException", "Incorrect username or password.", 400)
    elif session["code"] is None or responses.get("EMAIL_OTP_CODE") != session["code"]:
        return error_response_json("CodeMismatchException", "Invalid code or auth state for the user.", 400)
    with _lock:
        _sessions.pop(token, None)
    user, _ = cognito._resolve_user(pool, session["cognito_username"])
    if user is None or not user.get("Enabled", True):
        return error_response_json("NotAuthorizedException", "Incorrect username or password.", 400)
    result = cognito._build_auth_result(session["pool_id"], session["client_id"], user,
                                        client_metadata=data.get("ClientMetadata") or {})
    return json_response({"AuthenticationResult": result, "ChallengeParameters": {}})


def _initiating(original):
    def initiate_auth(data):
        if data.get("AuthFlow") != FLOW:
            return original(data)
        return _user_auth(original, data)
    return initiate_auth


def _responding(original, initiate_auth):
    def respond_to_auth_challenge(data):
        session, error = _take_session(data.get("Session"), data.get("ClientId"))
        if error:
            return error
        if session is None:
            return original(data)
        return _answer(initiate_auth, data, session, data.get("Session"))
    return respond_to_auth_challenge


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    password_flows = cognito._initiate_auth
    cognito._initiate_auth = _initiating(password_flows)
    cognito._respond_to_auth_challenge = _responding(cognito._respond_to_auth_challenge, password_flows)
