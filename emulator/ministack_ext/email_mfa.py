"""Email MFA (the EMAIL_OTP second factor), as the Amazon Cognito developer
guide documents it ("SMS and email message MFA"). MiniStack 1.5.33 stores a
pool's EmailMfaConfiguration and nothing else of it: its CloudFormation
engine drops EMAIL_OTP from EnabledMfas, SetUserMFAPreference ignores
EmailMfaSettings, and sign-in only ever asks for a TOTP code.

With the extension:
- EnabledMfas with EMAIL_OTP gives the pool an EmailMfaConfiguration (the
  template's EmailAuthenticationSubject and EmailAuthenticationMessage, or
  Cognito's defaults); without it the pool has none.
- SetUserMFAPreference and AdminSetUserMFAPreference take EmailMfaSettings
  (Enabled, PreferredMfa), refused with InvalidParameterException when the
  pool has no email MFA or the user no verified email; GetUser lists
  EMAIL_OTP among the user's MFA settings.
- A password sign-in (any flow) of a user with email MFA answers the
  EMAIL_OTP challenge, with the code mailed (through
  CustomMessage_Authentication when the pool has the trigger), when email
  is the preferred method or the only one; with both TOTP and email and no
  preference, SELECT_MFA_TYPE. RespondToAuthChallenge with EMAIL_OTP_CODE
  answers tokens, a wrong code CodeMismatchException; with ANSWER it goes on
  to the chosen method. A session lasts three minutes.

Not here: the EmailMfaConfiguration's own message template (the code mail
is MiniStack's sign-in code mail, or the trigger's)."""
import json
import secrets
import threading
import time

from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito
from ministack.services.cloudformation import provisioners

from . import check_pins, invalid_parameter

EMAIL = "EMAIL_OTP"
TOTP = "SOFTWARE_TOKEN_MFA"
SESSION_SECONDS = 180
DEFAULT_SUBJECT = "Your sign-in code"
DEFAULT_MESSAGE = "Your authentication code is {####}."


def now():
    return time.time()


def _hooked():
    return {
        "cognito._apply_mfa_preference": cognito._apply_mfa_preference,
        "cognito._set_user_mfa_preference": cognito._set_user_mfa_preference,
        "cognito._admin_set_user_mfa_preference": cognito._admin_set_user_mfa_preference,
        "cognito._mfa_challenge_for_user": cognito._mfa_challenge_for_user,
        "cognito._password_auth_result": cognito._password_auth_result,
        "cognito._respond_to_auth_challenge": cognito._respond_to_auth_challenge,
        "cognito._user_pool_for_access_token": cognito._user_pool_for_access_token,
        "cognito._finish_auth_event": cognito._finish_auth_event,
        "provisioners._cognito_user_pool_software_token_mfa": provisioners._cognito_user_pool_software_token_mfa,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._apply_mfa_preference": "a0752d2a299135a5",
    "cognito._set_user_mfa_preference": "81ac37e86ff09279",
    "cognito._admin_set_user_mfa_preference": "23da41ca4ba82375",
    "cognito._mfa_challenge_for_user": "14b1bbda71fedd09",
    "cognito._password_auth_result": "b88268f483e45012",
    "cognito._respond_to_auth_challenge": "9dae007b5620600a",
    "cognito._user_pool_for_access_token": "e0126455e8b401f7",
    "cognito._finish_auth_event": "b2ffd053d0866831",
    "provisioners._cognito_user_pool_software_token_mfa": "f11996063052a97f",
}

# session -> the second factor a sign-in waits for
_sessions = {}
_lock = threading.Lock()


def pool_allows_email_mfa(pool):
    return bool((pool or {}).get("EmailMfaConfiguration"))


def _template_email_mfa(original):
    """EnabledMfas: the software-token block as MiniStack does it, and the
    email block from EMAIL_OTP."""
    def software_token_mfa(pid, old_props, new_props):
        original(pid, old_props, new_props)
        pool = cognito._user_pools.get(pid)
        if pool is None:
            return
        if EMAIL in (new_props.get("EnabledMfas") or []):
            pool["EmailMfaConfiguration"] = {
                "Subject": new_props.get("EmailAuthenticationSubject") or DEFAULT_SUBJECT,
                "Message": new_props.get("EmailAuthenticationMessage") or DEFAULT_MESSAGE,
            }
        else:
            pool.pop("EmailMfaConfiguration", None)
    return software_token_mfa


def _with_email_settings(original):
    def apply_mfa_preference(user, data):
        original(user, data)
        settings = data.get("EmailMfaSettings") or {}
        enabled = user.setdefault("_mfa_enabled", [])
        if settings.get("Enabled"):
            if EMAIL not in enabled:
                enabled.append(EMAIL)
            if settings.get("PreferredMfa"):
                user["_preferred_mfa"] = EMAIL
        elif "Enabled" in settings:
            enabled[:] = [m for m in enabled if m != EMAIL]
            if user.get("_preferred_mfa") == EMAIL:
                user["_preferred_mfa"] = ""
    return apply_mfa_preference


def email_settings_error(pool, user, data):
    """Why EmailMfaSettings cannot be turned on for this user, or None."""
    if not (data.get("EmailMfaSettings") or {}).get("Enabled"):
        return None
    if not pool_allows_email_mfa(pool):
        return invalid_parameter("Email MFA is not enabled for this user pool.")
    attributes = cognito._attr_list_to_dict((user or {}).get("Attributes", []))
    if attributes.get("email_verified") != "true":
        return invalid_parameter("Email MFA needs a verified email address.")
    return None


def _checking_user_settings(original):
    def set_user_mfa_preference(data):
        user, pool = cognito._user_pool_for_access_token(data.get("AccessToken"))
        refused = email_settings_error(pool, user, data) if user else None
        return refused or original(data)
    return set_user_mfa_preference


def _checking_admin_settings(original):
    def admin_set_user_mfa_preference(data):
        pool = cognito._user_pools.get(data.get("UserPoolId"))
        user = cognito._resolve_user(pool, data.get("Username"))[0] if pool else None
        refused = email_settings_error(pool, user, data) if user else None
        return refused or original(data)
    return admin_set_user_mfa_preference


def _new_session(pool_id, user, challenge, code=None):
    token = secrets.token_urlsafe(48)
    with _lock:
        _sessions[token] = {"pool_id": pool_id, "username": user["Username"], "challenge": challenge,
                            "code": code, "expires_at": now() + SESSION_SECONDS}
    return token


def _email_challenge(pool, pool_id, user):
    attributes = cognito._attr_list_to_dict(user.get("Attributes", []))
    cognito._send_email_otp(pool, user["Username"], attributes, cognito._EMAIL_OTP_CODE)
    return {"ChallengeName": EMAIL, "Session": _new_session(pool_id, user, EMAIL, cognito._EMAIL_OTP_CODE),
            "ChallengeParameters": {
                "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                "CODE_DELIVERY_DESTINATION": cognito._masked_destination(attributes.get("email", "")),
            }}


def _choosing_email(original):
    def mfa_challenge_for_user(pool, user, pid, username):
        enabled = user.get("_mfa_enabled") or []
        if (pool.get("MfaConfiguration", "OFF") == "OFF" or EMAIL not in enabled
                or not pool_allows_email_mfa(pool)):
            return original(pool, user, pid, username)
        preferred = user.get("_preferred_mfa")
        if preferred == TOTP:
            return original(pool, user, pid, username)
        if preferred == EMAIL or TOTP not in enabled:
            return _email_challenge(pool, pid, user)
        return {"ChallengeName": "SELECT_MFA_TYPE", "Session": _new_session(pid, user, "SELECT_MFA_TYPE"),
                "ChallengeParameters": {"MFAS_CAN_CHOOSE": json.dumps([TOTP, EMAIL])}}
    return mfa_challenge_for_user


def _answer(data, session, token):
    responses = data.get("ChallengeResponses") or {}
    pool = cognito._user_pools.get(session["pool_id"])
    user = cognito._resolve_user(pool, session["username"])[0] if pool else None
    if user is None or data.get("ChallengeName") != session["challenge"]:
        return invalid_parameter("The challenge answered is not the session's.")
    if session["challenge"] == "SELECT_MFA_TYPE":
        answer = responses.get("ANSWER")
        if answer not in (TOTP, EMAIL):
            return invalid_parameter(f"ANSWER must be {TOTP} or {EMAIL}.")
        with _lock:
            _sessions.pop(token, None)
        if answer == EMAIL:
            return json_response(_email_challenge(pool, session["pool_id"], user))
        return json_response({"ChallengeName": TOTP, "Session": secrets.token_urlsafe(48),
                              "ChallengeParameters": {}})
    if responses.get("EMAIL_OTP_CODE") != session["code"]:
        cognito._finish_auth_event(user, token, "Mfa", False)
        return error_response_json("CodeMismatchException", "Invalid code or auth state for the user.", 400)
    with _lock:
        _sessions.pop(token, None)
    cognito._finish_auth_event(user, token, "Mfa", True)
    result = cognito._build_auth_result(session["pool_id"], data.get("ClientId"), user,
                                        client_metadata=data.get("ClientMetadata") or {})
    return json_response({"AuthenticationResult": result, "ChallengeParameters": {}})


def _responding(original):
    def respond_to_auth_challenge(data):
        token = data.get("Session")
        with _lock:
            session = _sessions.get(token) if isinstance(token, str) else None
            if session is not None and session["expires_at"] < now():
                del _sessions[token]
                return error_response_json(
                    "NotAuthorizedException", "Invalid session for the user, session is expired.", 400)
        if session is None:
            return original(data)
        return _answer(data, session, token)
    return respond_to_auth_challenge


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._apply_mfa_preference = _with_email_settings(cognito._apply_mfa_preference)
    cognito._set_user_mfa_preference = _checking_user_settings(cognito._set_user_mfa_preference)
    cognito._admin_set_user_mfa_preference = _checking_admin_settings(cognito._admin_set_user_mfa_preference)
    cognito._mfa_challenge_for_user = _choosing_email(cognito._mfa_challenge_for_user)
    cognito._respond_to_auth_challenge = _responding(cognito._respond_to_auth_challenge)
    provisioners._cognito_user_pool_software_token_mfa = _template_email_mfa(
        provisioners._cognito_user_pool_software_token_mfa)
