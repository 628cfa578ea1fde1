"""A session's tokens keep the time of its sign-in. Cognito's `auth_time`
claim is "the time when the authentication occurred", and tokens from a
refresh carry the original sign-in's, as OpenID Connect requires of a
refresh ("its value MUST represent the time of the original
authentication"); MiniStack 1.5.33 writes the time of minting into every
token, so a refresh looks like a new sign-in. The API's step-up (sensitive
actions need a recent sign-in) reads `auth_time`.

A session is known by `origin_jti`, which a sign-in's tokens and every
refresh of them share: the first access or ID token of a session records its
`auth_time`, later ones are given it."""
import threading

from ministack.services import cognito

from . import check_pins


def _hooked():
    return {
        "cognito._signed_jwt": cognito._signed_jwt,
        "cognito._fake_token": cognito._fake_token,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._signed_jwt": "b9dfceb8b4398de1",
    "cognito._fake_token": "7e26f28e0883ae87",
}

# origin_jti -> the auth_time of the sign-in that began the session
_signed_in_at = {}
_lock = threading.Lock()


def _keeping_auth_time(original):
    def signed_jwt(claims, pool_id="", use=""):
        origin = claims.get("origin_jti")
        if claims.get("token_use") in ("access", "id") and origin and "auth_time" in claims:
            with _lock:
                claims = {**claims, "auth_time": _signed_in_at.setdefault(origin, claims["auth_time"])}
        return original(claims, pool_id, use)
    return signed_jwt


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._signed_jwt = _keeping_auth_time(cognito._signed_jwt)
