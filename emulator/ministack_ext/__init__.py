"""Behaviour Amazon Cognito documents that MiniStack 1.5.33 lacks, added by
wrapping a few of its internal functions (see README.md beside this folder).

`install()` refuses to run on any other MiniStack version, or when the source
of any function it hooks differs from what it was written against: a hook on
changed internals fails loudly at start rather than misbehaving quietly."""
import hashlib
import inspect
from importlib import metadata

PINNED_VERSION = "1.5.33"


class IncompatibleMiniStack(RuntimeError):
    pass


def fingerprint(function):
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def check_pins(hooked, expected, version=None):
    """Raises IncompatibleMiniStack unless the version and every hooked
    function's source are the ones this extension was written for."""
    version = version or metadata.version("ministack")
    if version != PINNED_VERSION:
        raise IncompatibleMiniStack(
            f"ministack {version} is installed; this extension hooks {PINNED_VERSION} only "
            "(update the hooks and their fingerprints, then PINNED_VERSION)")
    changed = [name for name, function in hooked.items() if fingerprint(function) != expected.get(name)]
    if changed:
        raise IncompatibleMiniStack(
            f"ministack {version}: the source of {', '.join(sorted(changed))} is not the one the "
            "extension hooks (python -m ministack_ext.fingerprints prints the current ones)")


def invalid_parameter(message):
    """Cognito's InvalidParameterException answer."""
    from ministack.core.responses import error_response_json
    return error_response_json("InvalidParameterException", message, 400)


def dispatching(original, handlers):
    """MiniStack's `_dispatch_idp` answering `handlers`' actions as well, run
    as MiniStack runs its own: access-token checks first (AUTH), in a thread
    of their own so a trigger Lambda can call back."""
    async def dispatch_idp(action, data):
        handler = handlers.get(action)
        if handler is None:
            return await original(action, data)
        from ministack.core.concurrency import run_reentrant
        from ministack.services import cognito
        return await run_reentrant(cognito._run_idp_handler, handler, action, data,
                                   thread_name="ministack-cognito-trigger")
    return dispatch_idp


def install():
    """Checks every module's pins first, then installs them all."""
    for module in MODULES:
        check_pins(module._hooked(), module.FINGERPRINTS)
    for module in MODULES:
        module.install(checked=True)


from . import (account_recovery, attribute_verification, auth_time, client_attribute_permissions, cognito_triggers, concurrent_lookups, devices, email_mfa,  # noqa: E402
               federation_pkce,
               http_api_cors, http_api_source_ip, identity_providers, managed_login,
               iam_conditions, lockout, passkeys, refresh_rotation, ses_send_identity, sign_up_verification,  # (they import check_pins)
               user_auth)

# sign_up_verification first: PostConfirmation (cognito_triggers) then sees
# the verified email, as in Cognito. devices after the other sign-in
# modules: it wraps the sign-in answers they make.
MODULES = [sign_up_verification, cognito_triggers, attribute_verification, iam_conditions, lockout, http_api_cors,
           concurrent_lookups, refresh_rotation, auth_time, email_mfa, account_recovery, passkeys, user_auth, devices, identity_providers,
           managed_login, federation_pkce, ses_send_identity, http_api_source_ip,
           client_attribute_permissions]  # last: it answers before every other module's sign-up and update
