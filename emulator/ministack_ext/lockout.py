"""Cognito's temporary lockout after repeated failed sign-ins, which MiniStack
1.5.33 does not have. As the Cognito developer guide documents it: after five
failed sign-in attempts for one user, further attempts are refused for a time
that starts at one second and doubles with each further failure, up to about
15 minutes; while locked out a password sign-in answers NotAuthorizedException
"Password attempts exceeded", whatever the password. A successful sign-in
clears the count.

Failures and successes are the ones MiniStack records as SignIn auth events
(the password, admin password and SRP flows); the refusal is added where
MiniStack already refuses password sign-ins."""
import time

from ministack.core.responses import error_response_json
from ministack.services import cognito

from . import check_pins

FREE_FAILURES = 5
FIRST_LOCKOUT_SECONDS = 1
MAX_LOCKOUT_SECONDS = 15 * 60

now = time.time  # replaced by tests


def _hooked():
    return {
        "cognito._record_auth_event": cognito._record_auth_event,
        "cognito._password_signin_refused": cognito._password_signin_refused,
        "cognito._password_auth_result": cognito._password_auth_result,
        "cognito._admin_initiate_auth": cognito._admin_initiate_auth,
        "cognito._initiate_auth": cognito._initiate_auth,
        "cognito._respond_to_password_verifier": cognito._respond_to_password_verifier,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._record_auth_event": "16317aa21489600e",
    "cognito._password_signin_refused": "efd312196a77107c",
    "cognito._password_auth_result": "b88268f483e45012",
    "cognito._admin_initiate_auth": "fe990340921ce3c5",
    "cognito._initiate_auth": "df32da882d664732",
    "cognito._respond_to_password_verifier": "18a467adf7540ace",
}


def lockout_seconds(failures):
    """How long the user is locked out after `failures` consecutive failures."""
    if failures < FREE_FAILURES:
        return 0
    return min(FIRST_LOCKOUT_SECONDS * 2 ** (failures - FREE_FAILURES), MAX_LOCKOUT_SECONDS)


def locked(user):
    return user.get("_lockout_until", 0) > now()


def _record_auth_event(original):
    def record(pool, user, data, event_type, response, challenges=(), session=None):
        if event_type == "SignIn" and user is not None:
            if ("Password", "Failure") in challenges and not locked(user):
                user["_failed_signins"] = user.get("_failed_signins", 0) + 1
                user["_lockout_until"] = now() + lockout_seconds(user["_failed_signins"])
            elif ("Password", "Success") in challenges:
                user.pop("_failed_signins", None)
                user.pop("_lockout_until", None)
        return original(pool, user, data, event_type, response, challenges, session)

    return record


def _password_signin_refused(original):
    def refused(user):
        if locked(user):
            return error_response_json("NotAuthorizedException", "Password attempts exceeded", 400)
        return original(user)

    return refused


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._record_auth_event = _record_auth_event(cognito._record_auth_event)
    cognito._password_signin_refused = _password_signin_refused(cognito._password_signin_refused)
