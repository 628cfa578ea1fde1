"""PKCE through federated sign-in, as the Amazon Cognito developer guide
documents the authorization endpoint ("code_challenge ... Required when you
specify a code_challenge_method"; the token endpoint then requires the
matching code_verifier). MiniStack 1.5.33 binds the challenge to codes of its
own managed login, but a sign-in sent on to a SAML or OIDC provider
(`identity_provider`) drops it: the code that comes back after the provider
redeems without any verifier, so a stolen code would work.

Here the challenge travels with the provider's relay state and is bound to
the code issued after the provider answers; the token endpoint refuses that
code without the verifier, or with a wrong one (invalid_grant), as it does
for managed login's codes. A challenge method other than S256 is refused at
the authorization endpoint with the redirect MiniStack's managed login
gives."""
import threading
from urllib.parse import parse_qs, urlparse

from ministack.services import cognito

from . import check_pins


def _hooked():
    return {
        "cognito._oauth2_authorize_federation": cognito._oauth2_authorize_federation,
        "cognito._oauth2_idp_response": cognito._oauth2_idp_response,
        "cognito._saml2_idp_response": cognito._saml2_idp_response,
        "cognito._oauth2_token": cognito._oauth2_token,
        "cognito._verify_pkce": cognito._verify_pkce,
        "cognito._pkce_error_redirect": cognito._pkce_error_redirect,
        "cognito._oauth2_error": cognito._oauth2_error,
        "cognito._qp": cognito._qp,
        "cognito.handle_request": cognito.handle_request,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._oauth2_authorize_federation": "800b5ce8c0ef2b7d",
    "cognito._oauth2_idp_response": "16425088f358a1d6",
    "cognito._saml2_idp_response": "894b9a3cc75b92f9",
    "cognito._oauth2_token": "e0739e03b5e3acd0",
    "cognito._verify_pkce": "2a1c709ae6a2ec91",
    "cognito._pkce_error_redirect": "fb0710d9dac26d71",
    "cognito._oauth2_error": "664f87d6725536a3",
    "cognito._qp": "c3ef497cdd1b9843",
    "cognito.handle_request": "bb40a0ad7ad11c7f",
}

# relay state -> (code_challenge, method); then issued code -> the same
_by_relay = {}
_by_code = {}
_lock = threading.Lock()


def _location_params(answer, *names):
    """Query parameters of a redirect answer's Location."""
    status, headers, _ = answer
    if status != 302:
        return {}
    query = parse_qs(urlparse(headers.get("Location", "")).query)
    return {name: query[name][0] for name in names if name in query}


def _authorizing(original):
    def authorize(query_params):
        challenge = cognito._qp(query_params, "code_challenge")
        method = cognito._qp(query_params, "code_challenge_method")
        redirect_uri = cognito._qp(query_params, "redirect_uri")
        answer = original(query_params)
        if not (challenge or method) or answer[0] != 302:
            return answer
        refused = cognito._pkce_error_redirect(redirect_uri, challenge, method, cognito._qp(query_params, "state"))
        if refused:
            return refused
        relay = _location_params(answer, "state", "RelayState")
        key = relay.get("state") or relay.get("RelayState")
        if key:
            with _lock:
                _by_relay[key] = (challenge, method)
        return answer
    return authorize


def _form(body):
    try:
        return {k: v[0] for k, v in parse_qs((body or b"").decode("utf-8", "replace")).items()}
    except (AttributeError, ValueError):
        return {}


def _answering(original, relay_name, *leading):
    """An identity provider's callback: the code it issues inherits the
    relay's challenge."""
    def respond(*args):
        *_, body, query_params = args
        key = cognito._qp(query_params, relay_name) or _form(body).get(relay_name, "")
        with _lock:
            challenge = _by_relay.pop(key, None)
        answer = original(*args)
        code = _location_params(answer, "code").get("code")
        if challenge and code:
            with _lock:
                _by_code[code] = challenge
        return answer
    return respond


def _redeeming(original):
    def token(data, query_params, raw_body=b"", headers=None):
        form = _form(raw_body)
        if form.get("grant_type") == "authorization_code":
            with _lock:
                challenge = _by_code.get(form.get("code", ""))
            if challenge:
                verifier = form.get("code_verifier", "")
                if not verifier:
                    return cognito._oauth2_error("invalid_grant", "code_verifier is required.")
                if not cognito._verify_pkce(verifier, *challenge):
                    return cognito._oauth2_error("invalid_grant", "PKCE verification failed.")
                with _lock:
                    _by_code.pop(form["code"], None)
        return original(data, query_params, raw_body, headers)
    return token


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._oauth2_authorize_federation = _authorizing(cognito._oauth2_authorize_federation)
    cognito._oauth2_idp_response = _answering(cognito._oauth2_idp_response, "state")
    cognito._saml2_idp_response = _answering(cognito._saml2_idp_response, "RelayState")
    cognito._oauth2_token = _redeeming(cognito._oauth2_token)
