"""A user lookup that survives a sign-up on another thread. MiniStack 1.5.33
runs Cognito's handlers on threads of their own (`run_reentrant`, so that a
trigger can call back into Cognito) and `_resolve_user` iterates a pool's
users without a lock: a SignUp inserting a user meanwhile makes the lookup
raise "dictionary changed size during iteration", and the request fails
with an internal error (seen once in a thousand confirmations at 20
concurrent users, scripts/load). Cognito has no such failure. The lookup is
run again, a few times, when that happens; it reads nothing it changes."""
from ministack.services import cognito

from . import check_pins

ATTEMPTS = 5


def _hooked():
    return {"cognito._resolve_user": cognito._resolve_user}


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._resolve_user": "005b45b0326d511c",
}


def _retrying(original):
    def resolve_user(*args, **kwargs):
        for attempt in range(ATTEMPTS):
            try:
                return original(*args, **kwargs)
            except RuntimeError as err:
                if "changed size during iteration" not in str(err) or attempt == ATTEMPTS - 1:
                    raise
    return resolve_user


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._resolve_user = _retrying(cognito._resolve_user)
