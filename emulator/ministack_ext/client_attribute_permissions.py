"""An app client's attribute permissions, as Amazon Cognito applies them:
`ReadAttributes` and `WriteAttributes` bound what that client's calls may
read and write ("Attribute permissions and scopes", Cognito developer
guide; UpdateUserPoolClient). MiniStack 1.5.33 stores both lists and applies
neither, so a client that writes an attribute outside its list (the
project's API once sent `preferred_username` in SignUp without it) works
locally and is refused on AWS.

With the extension:
- SignUp (the request's ClientId) and UpdateUserAttributes (the access
  token's `client_id`) refuse an attribute outside the client's
  WriteAttributes with NotAuthorizedException "A client attempted to write
  unauthorized attribute", and write nothing;
- GetUser leaves out the attributes outside the token client's
  ReadAttributes (`sub` is always there);
- a client without a list reads or writes every attribute, as in Cognito.
Admin calls (AdminCreateUser, AdminGetUser, AdminUpdateUserAttributes) are
authorized by IAM and bound by no client's lists, as in Cognito.

Not here: the attributes of the ID token a client is issued."""
import json

from ministack.core.responses import error_response_json
from ministack.services import cognito

from . import check_pins
from .iam_conditions import token_claims

UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"


def _hooked():
    return {
        "cognito._sign_up": cognito._sign_up,
        "cognito._update_user_attributes": cognito._update_user_attributes,
        "cognito._get_user": cognito._get_user,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._sign_up": "7c18b40cc0808ff8",
    "cognito._update_user_attributes": "f2dcbe6711fd7b22",
    "cognito._get_user": "c4acfcec27bdf917",
}


def _client(client_id):
    for pool in cognito._user_pools.values():
        client = pool.get("_clients", {}).get(client_id)
        if client is not None:
            return client
    return None


def _token_client_id(token):
    return token_claims(token).get("client_id")


def unwritable(client, attributes):
    """The names in `attributes` the client may not write."""
    allowed = (client or {}).get("WriteAttributes") or []
    if not allowed:
        return []
    return [a.get("Name") for a in attributes or [] if isinstance(a, dict) and a.get("Name") not in allowed]


def readable(client, attributes):
    allowed = (client or {}).get("ReadAttributes") or []
    if not allowed:
        return attributes
    return [a for a in attributes if a.get("Name") == "sub" or a.get("Name") in allowed]


def _refused():
    return error_response_json("NotAuthorizedException", UNAUTHORIZED_WRITE, 400)


def _sign_up(original):
    def sign_up(data):
        if unwritable(_client(data.get("ClientId")), data.get("UserAttributes")):
            return _refused()
        return original(data)
    return sign_up


def _update_user_attributes(original):
    def update(data):
        client = _client(_token_client_id(data.get("AccessToken", "")))
        if unwritable(client, data.get("UserAttributes")):
            return _refused()
        return original(data)
    return update


def _get_user(original):
    def get_user(data):
        status, headers, body = original(data)
        client = _client(_token_client_id(data.get("AccessToken", "")))
        if status != 200 or not (client or {}).get("ReadAttributes"):
            return status, headers, body
        answer = json.loads(body)
        answer["UserAttributes"] = readable(client, answer.get("UserAttributes", []))
        return status, headers, json.dumps(answer).encode()
    return get_user


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._sign_up = _sign_up(cognito._sign_up)
    cognito._update_user_attributes = _update_user_attributes(cognito._update_user_attributes)
    cognito._get_user = _get_user(cognito._get_user)
