"""Behaviour Amazon Cognito documents that moto 5.2.5 lacks, added the same
way as ministack_ext: wrapped or added at start, refused on any other moto
version or when the source of what it builds on has changed.

- GetTokensFromRefreshToken (ClientId, ClientSecret, RefreshToken): new ID
  and access tokens from a refresh token, the client's secret instead of a
  SECRET_HASH over the username; a revoked or unknown token, or a wrong
  secret, is NotAuthorizedException. moto has no refresh-token rotation, so
  no new refresh token is returned (as AWS does for a client without
  rotation).

And one DynamoDB guarantee: a conditional write is atomic (DynamoDB
documents conditional writes as the way to make a read-check-write safe
under concurrent callers). moto_server answers requests on several threads,
and its backend reads the item, checks the condition and writes without a
lock, so two racing conditional writes could both succeed (the throttle
table's once-an-hour claim once did under load). The writes are serialised
here."""
import functools
import hashlib
import hmac
import inspect
import threading
from importlib import metadata

PINNED_VERSION = "5.2.5"

# Sources this extension relies on, by fingerprint
# (python -m moto_ext.fingerprints prints the current ones).
FINGERPRINTS = {
    "CognitoIdpUserPool.create_tokens_from_refresh_token": "16897b81b5a206fe",
    "RegionAgnosticBackend._find_backend_for_clientid": "5f499544312dab4a",
    "CognitoIdpBackend.confirm_sign_up": "3df900527b7e29ce",
    "CognitoIdpUser.update_attributes": "9b1a37bda44faea1",
    "DynamoDBBackend.put_item": "f5d9a5042c77b89e",
    "DynamoDBBackend.update_item": "218984588dd689a5",
    "DynamoDBBackend.delete_item": "083a4bb1af18f6fd",
    "DynamoDBBackend.transact_write_items": "81db2cb7d94e39c9",
}

DYNAMODB_WRITES = ["put_item", "update_item", "delete_item", "transact_write_items"]


class IncompatibleMoto(RuntimeError):
    pass


def fingerprint(function):
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def _hooked():
    from moto.cognitoidp.models import (CognitoIdpBackend, CognitoIdpUser, CognitoIdpUserPool,
                                        RegionAgnosticBackend)
    from moto.dynamodb.models import DynamoDBBackend

    writes = {f"DynamoDBBackend.{name}": _original.get(name, getattr(DynamoDBBackend, name))
              for name in DYNAMODB_WRITES}
    return writes | {
        "CognitoIdpUserPool.create_tokens_from_refresh_token": CognitoIdpUserPool.create_tokens_from_refresh_token,
        "RegionAgnosticBackend._find_backend_for_clientid": RegionAgnosticBackend._find_backend_for_clientid,
        "CognitoIdpBackend.confirm_sign_up": _original.get("confirm_sign_up", CognitoIdpBackend.confirm_sign_up),
        "CognitoIdpUser.update_attributes": CognitoIdpUser.update_attributes,
    }


_original = {}
# One lock for every table: a transaction may span several, and moto's
# writes take microseconds.
_write_lock = threading.RLock()


def _serialised(write):
    @functools.wraps(write)
    def locked(*args, **kwargs):
        with _write_lock:
            return write(*args, **kwargs)
    return locked


def _confirm_sign_up_verifying_email(self, client_id, username):
    result = _original["confirm_sign_up"](self, client_id, username)
    pool = next(p for p in self.user_pools.values() if client_id in p.clients)
    user = self.admin_get_user(pool.id, username)
    if "email" in pool.extended_config.get("AutoVerifiedAttributes", []) and "email" in user.attribute_lookup:
        user.update_attributes([{"Name": "email_verified", "Value": "true"}])
    return result


def check_pins(version=None):
    version = version or metadata.version("moto")
    if version != PINNED_VERSION:
        raise IncompatibleMoto(
            f"moto {version} is installed; this extension was written for {PINNED_VERSION} "
            "(check the hooks, update FINGERPRINTS, then PINNED_VERSION)")
    changed = [name for name, function in _hooked().items() if fingerprint(function) != FINGERPRINTS[name]]
    if changed:
        raise IncompatibleMoto(
            f"moto {version}: the source of {', '.join(sorted(changed))} is not the one the "
            "extension builds on (python -m moto_ext.fingerprints prints the current ones)")


def get_tokens_from_refresh_token(self):
    """CognitoIdpResponse action for GetTokensFromRefreshToken."""
    from moto.cognitoidp.exceptions import NotAuthorizedError, ResourceNotFoundError
    from moto.core.responses import ActionResult

    client_id = self._get_param("ClientId")
    refresh_token = self._get_param("RefreshToken")
    secret = self._get_param("ClientSecret")
    backend = self._get_region_agnostic_backend()._find_backend_for_clientid(client_id)
    pool = next((p for p in backend.user_pools.values() if client_id in p.clients), None)
    if pool is None:
        raise ResourceNotFoundError(client_id)
    client = pool.clients[client_id]
    if client.generate_secret and not hmac.compare_digest(secret or "", client.secret):
        raise NotAuthorizedError("Client secret is incorrect.")
    owner = pool.refresh_tokens.get(refresh_token or "")
    if owner is None or owner[0] != client_id:
        raise NotAuthorizedError("Invalid Refresh Token")
    access_token, id_token, expires_in = pool.create_tokens_from_refresh_token(refresh_token)
    return ActionResult({
        "AuthenticationResult": {
            "AccessToken": access_token,
            "IdToken": id_token,
            "ExpiresIn": expires_in,
            "TokenType": "Bearer",
        }
    })


def install():
    check_pins()
    from moto.cognitoidp.models import CognitoIdpBackend
    from moto.cognitoidp.responses import CognitoIdpResponse

    CognitoIdpResponse.get_tokens_from_refresh_token = get_tokens_from_refresh_token
    if "confirm_sign_up" not in _original:
        _original["confirm_sign_up"] = CognitoIdpBackend.confirm_sign_up
        CognitoIdpBackend.confirm_sign_up = _confirm_sign_up_verifying_email
    from moto.dynamodb.models import DynamoDBBackend
    for name in DYNAMODB_WRITES:
        if name not in _original:
            _original[name] = getattr(DynamoDBBackend, name)
            setattr(DynamoDBBackend, name, _serialised(_original[name]))
