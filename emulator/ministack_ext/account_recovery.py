"""Which users ForgotPassword can reach, as Amazon Cognito decides it from
the pool's AccountRecoverySetting: "SMS doesn't qualify for a valid password
recovery mechanism if the user also has SMS multi-factor authentication
(MFA) activated. Email MFA is also disqualifying for account recovery with
email." (CreateUserPool, AccountRecoverySetting). A user with no qualifying
mechanism gets InvalidParameterException "Cannot reset password for the
user as there is no registered/verified email or phone_number" (the answer
reported for email-MFA users in aws-sdk-js-v3 issue 7401). MiniStack 1.5.33
mails every user a reset code, so a stack whose only recovery is email, with
email MFA on, passes locally and fails on AWS.

With the extension ForgotPassword of an existing user answers that error
unless one of the pool's mechanisms qualifies: `verified_email` with a
verified email and no email MFA (the user's settings as `email_mfa` keeps
them), `verified_phone_number` with a verified phone and no SMS MFA; a pool
without the setting uses Cognito's legacy choice (either verified channel,
phone first), where MFA disqualifies neither.
Unknown users keep MiniStack's answer (PreventUserExistenceErrors).

Not here: `admin_only` (the stack does not use it)."""
from ministack.core.responses import error_response_json
from ministack.services import cognito

from . import check_pins

NO_MECHANISM = "Cannot reset password for the user as there is no registered/verified email or phone_number"


def _hooked():
    return {"cognito._forgot_password": cognito._forgot_password}


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._forgot_password": "2c3b97e277d599ff",
}


def qualifies(pool, user):
    """Whether any of the pool's recovery mechanisms can reach the user."""
    attributes = cognito._attr_list_to_dict(user.get("Attributes", []))
    email = attributes.get("email_verified") == "true"
    phone = attributes.get("phone_number_verified") == "true"
    setting = (pool.get("AccountRecoverySetting") or {}).get("RecoveryMechanisms")
    if not setting:  # the legacy choice: any verified channel, phone first
        return email or phone
    mfa = set(user.get("_mfa_enabled") or [])
    usable = {
        "verified_email": email and "EMAIL_OTP" not in mfa,
        "verified_phone_number": phone and "SMS_MFA" not in mfa,
    }
    return any(usable.get(mechanism.get("Name"), False) for mechanism in setting)


def _forgot_password(original):
    def forgot_password(data):
        pool = next((p for p in cognito._user_pools.values() if data.get("ClientId") in p["_clients"]), None)
        if pool is not None:
            user, missing = cognito._resolve_user(pool, data.get("Username"))
            if user is not None and not missing and not qualifies(pool, user):
                return error_response_json("InvalidParameterException", NO_MECHANISM, 400)
        return original(data)
    return forgot_password


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._forgot_password = _forgot_password(cognito._forgot_password)
