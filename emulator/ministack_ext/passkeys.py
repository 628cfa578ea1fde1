"""Passkeys (WebAuthn), as the Amazon Cognito developer guide and API
reference document them. MiniStack 1.5.33 stores a pool's
WebAuthnConfiguration (SetUserPoolMfaConfig) and has none of the calls:
StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials and DeleteWebAuthnCredential answer InvalidAction,
and its CloudFormation engine drops the pool's WebAuthnRelyingPartyID and
WebAuthnUserVerification.

Attestations and assertions are verified by py_webauthn (PyPI `webauthn`,
pinned): the challenge, the relying party ID, an origin on that RP ID
(https, or http on localhost), the signature and user verification when the
pool requires it. The WEB_AUTHN sign-in challenge of choice-based sign-in
is user_auth.py's, with `request_options` and `verify_assertion` here.

Not here: attestation trust roots (attestation is "none", as Cognito asks
for), and managed login's passkey pages."""
import base64
import json
import threading
import time
from urllib.parse import urlparse

import webauthn
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor,
                                      ResidentKeyRequirement, UserVerificationRequirement)

from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito
from ministack.services.cloudformation import provisioners

from . import check_pins, dispatching

ACTIONS = ("StartWebAuthnRegistration", "CompleteWebAuthnRegistration", "ListWebAuthnCredentials",
           "DeleteWebAuthnCredential")
REGISTRATION_SECONDS = 300
MAX_CREDENTIALS = 20


def now():
    return time.time()


def _hooked():
    return {
        "cognito._dispatch_idp": cognito._dispatch_idp,
        "cognito._run_idp_handler": cognito._run_idp_handler,
        "cognito._user_pool_for_access_token": cognito._user_pool_for_access_token,
        "provisioners._cognito_user_pool_software_token_mfa": provisioners._cognito_user_pool_software_token_mfa,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._dispatch_idp": "eff61c61ce4d793c",
    "cognito._run_idp_handler": "85681acebd624562",
    "cognito._user_pool_for_access_token": "e0126455e8b401f7",
    "provisioners._cognito_user_pool_software_token_mfa": "f11996063052a97f",
}

# user key (pool id, username) -> (challenge, expires at) of the registration under way
_registrations = {}
_lock = threading.Lock()


def relying_party(pool):
    """(RP ID, whether user verification is required), or None without passkeys."""
    config = (pool or {}).get("WebAuthnConfiguration") or {}
    if not config.get("RelyingPartyId"):
        return None
    return config["RelyingPartyId"], config.get("UserVerification", "preferred") == "required"


def origin_on(rp_id, credential):
    """The credential's client origin when it belongs to the RP ID, else None."""
    try:
        response = credential["response"]
        client_data = json.loads(base64url_to_bytes(response["clientDataJSON"]))
        origin = client_data["origin"]
        parsed = urlparse(origin)
    except (KeyError, TypeError, ValueError):
        return None
    host = parsed.hostname or ""
    secure = parsed.scheme == "https" or (parsed.scheme == "http" and host == "localhost")
    if secure and (host == rp_id or host.endswith("." + rp_id)):
        return origin
    return None


def _credential(raw):
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return None
    return raw if isinstance(raw, dict) else None


def _caller(data):
    user, pool = cognito._user_pool_for_access_token(data.get("AccessToken"))
    if not user:
        return None, None, error_response_json("NotAuthorizedException", "Invalid Access Token", 400)
    if relying_party(pool) is None:
        return None, None, error_response_json(
            "WebAuthnNotEnabledException", "Passkeys are not enabled for this user pool.", 400)
    return user, pool, None


def _start_registration(data):
    user, pool, error = _caller(data)
    if error:
        return error
    rp_id, verification_required = relying_party(pool)
    attributes = cognito._attr_list_to_dict(user.get("Attributes", []))
    existing = user.get("_webauthn_credentials", [])
    options = webauthn.generate_registration_options(
        rp_id=rp_id, rp_name=pool.get("Name", rp_id), user_name=attributes.get("email", user["Username"]),
        user_id=user["Username"].encode(), user_display_name=attributes.get("name", user["Username"]),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=(UserVerificationRequirement.REQUIRED if verification_required
                               else UserVerificationRequirement.PREFERRED)),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c["CredentialId"]))
                             for c in existing])
    with _lock:
        _registrations[(pool["Id"], user["Username"])] = (options.challenge, now() + REGISTRATION_SECONDS)
    return json_response({"CredentialCreationOptions": json.loads(webauthn.options_to_json(options))})


def _complete_registration(data):
    user, pool, error = _caller(data)
    if error:
        return error
    rp_id, verification_required = relying_party(pool)
    with _lock:
        challenge, expires_at = _registrations.pop((pool["Id"], user["Username"]), (None, 0))
    if challenge is None or expires_at < now():
        return error_response_json("WebAuthnChallengeNotFoundException",
                                   "Start the registration again: no challenge is pending.", 400)
    credential = _credential(data.get("Credential"))
    origin = origin_on(rp_id, credential) if credential else None
    if origin is None:
        return error_response_json("WebAuthnOriginNotAllowedException",
                                   "The credential's origin is not on the relying party.", 400)
    if len(user.get("_webauthn_credentials", [])) >= MAX_CREDENTIALS:
        return error_response_json("WebAuthnCredentialLimitExceededException", "Too many passkeys.", 400)
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id,
            expected_origin=origin, require_user_verification=verification_required)
    except InvalidRegistrationResponse as err:
        return error_response_json("WebAuthnClientMismatchException", f"The registration is not valid: {err}", 400)
    transports = (credential.get("response") or {}).get("transports") or []
    user.setdefault("_webauthn_credentials", []).append({
        "CredentialId": bytes_to_base64url(verified.credential_id),
        "PublicKey": base64.b64encode(verified.credential_public_key).decode(),
        "SignCount": verified.sign_count,
        "FriendlyCredentialName": (credential.get("clientExtensionResults") or {}).get("name") or "Passkey",
        "RelyingPartyId": rp_id,
        "AuthenticatorAttachment": credential.get("authenticatorAttachment") or "platform",
        "AuthenticatorTransports": [t for t in transports if isinstance(t, str)],
        "CreatedAt": int(now()),
    })
    return json_response({})


def _list_credentials(data):
    user, _pool, error = _caller(data)
    if error:
        return error
    listed = [{k: v for k, v in c.items() if k not in ("PublicKey", "SignCount")}
              for c in user.get("_webauthn_credentials", [])]
    return json_response({"Credentials": listed})


def _delete_credential(data):
    user, _pool, error = _caller(data)
    if error:
        return error
    credentials = user.get("_webauthn_credentials", [])
    kept = [c for c in credentials if c["CredentialId"] != data.get("CredentialId")]
    if len(kept) == len(credentials):
        return error_response_json("ResourceNotFoundException", "No such credential.", 400)
    user["_webauthn_credentials"] = kept
    return json_response({})


HANDLERS = {
    "StartWebAuthnRegistration": _start_registration,
    "CompleteWebAuthnRegistration": _complete_registration,
    "ListWebAuthnCredentials": _list_credentials,
    "DeleteWebAuthnCredential": _delete_credential,
}


def request_options(pool, user):
    """The WEB_AUTHN challenge's CREDENTIAL_REQUEST_OPTIONS (JSON text) and
    its challenge, for `user` (None: an unknown user, no credentials)."""
    rp_id, verification_required = relying_party(pool)
    options = webauthn.generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c["CredentialId"]))
                           for c in (user or {}).get("_webauthn_credentials", [])],
        user_verification=(UserVerificationRequirement.REQUIRED if verification_required
                           else UserVerificationRequirement.PREFERRED))
    return webauthn.options_to_json(options), options.challenge


def verify_assertion(pool, user, raw_credential, challenge):
    """True when the assertion is one of the user's passkeys answering
    `challenge`; its signature counter is kept."""
    rp_id, verification_required = relying_party(pool)
    credential = _credential(raw_credential)
    origin = origin_on(rp_id, credential) if credential else None
    stored = next((c for c in (user or {}).get("_webauthn_credentials", [])
                   if credential and c["CredentialId"] == credential.get("id")), None)
    if origin is None or stored is None:
        return False
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge, expected_rp_id=rp_id, expected_origin=origin,
            credential_public_key=base64.b64decode(stored["PublicKey"]),
            credential_current_sign_count=stored["SignCount"], require_user_verification=verification_required)
    except InvalidAuthenticationResponse:
        return False
    stored["SignCount"] = verified.new_sign_count
    return True


def _template_passkeys(original):
    """The pool's WebAuthnRelyingPartyID and WebAuthnUserVerification, as the
    WebAuthnConfiguration SetUserPoolMfaConfig reports."""
    def software_token_mfa(pid, old_props, new_props):
        original(pid, old_props, new_props)
        pool = cognito._user_pools.get(pid)
        if pool is None:
            return
        if new_props.get("WebAuthnRelyingPartyID"):
            pool["WebAuthnConfiguration"] = {"RelyingPartyId": new_props["WebAuthnRelyingPartyID"],
                                             "UserVerification": new_props.get("WebAuthnUserVerification")
                                             or "preferred"}
        else:
            pool.pop("WebAuthnConfiguration", None)
    return software_token_mfa


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._UNSIGNED_IDP_ACTIONS.update(ACTIONS)
    cognito._dispatch_idp = dispatching(cognito._dispatch_idp, HANDLERS)
    provisioners._cognito_user_pool_software_token_mfa = _template_passkeys(
        provisioners._cognito_user_pool_software_token_mfa)

