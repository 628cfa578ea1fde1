"""Managed login branding, as the Amazon Cognito API reference and the
CloudFormation resource reference document it. MiniStack 1.5.33 keeps a
domain's ManagedLoginVersion but has none of the branding calls
(CreateManagedLoginBranding and the rest answer InvalidAction) and no
`AWS::Cognito::ManagedLoginBranding` in its CloudFormation engine, so a
template that gives its app client the version-2 pages it needs (passkeys
on managed login) rolls back.

Here: one branding style per app client (ManagedLoginBrandingExistsException
for a second), either Cognito's own values (UseCognitoProvidedValues) or the
caller's Settings and Assets, never both; Describe by ID or by client,
Update, Delete. The resource's Ref is the style's ID; UserPoolId and
ClientId replace it.

Not here: the pages themselves. MiniStack serves its one design whatever
the version and the style."""
import json
import threading
import uuid

from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito
from ministack.services.cloudformation import provisioners

from . import check_pins, dispatching, invalid_parameter

ACTIONS = ("CreateManagedLoginBranding", "DescribeManagedLoginBranding", "DescribeManagedLoginBrandingByClient",
           "UpdateManagedLoginBranding", "DeleteManagedLoginBranding")
RESOURCE = "AWS::Cognito::ManagedLoginBranding"

_lock = threading.Lock()


def _hooked():
    return {
        "cognito._dispatch_idp": cognito._dispatch_idp,
        "cognito._run_idp_handler": cognito._run_idp_handler,
        "cognito._resolve_pool": cognito._resolve_pool,
        "provisioners._provision_resource": provisioners._provision_resource,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._dispatch_idp": "eff61c61ce4d793c",
    "cognito._run_idp_handler": "85681acebd624562",
    "cognito._resolve_pool": "8e550159a441918b",
    "provisioners._provision_resource": "3b8f01fb187141b6",
}


def _styles(pool):
    return pool.setdefault("_managed_login_brandings", {})


def _content_error(data):
    """The refusal for a style both Cognito's and the caller's, or neither."""
    own = data.get("UseCognitoProvidedValues") is True or str(data.get("UseCognitoProvidedValues")).lower() == "true"
    given = bool(data.get("Settings")) or bool(data.get("Assets"))
    if own and given:
        return invalid_parameter("Settings and Assets cannot be set when UseCognitoProvidedValues is true.")
    if not own and not given:
        return invalid_parameter("Either UseCognitoProvidedValues or Settings must be provided.")
    return None


def _style(pool_id, style_id, data, created):
    own = data.get("UseCognitoProvidedValues") is True or str(data.get("UseCognitoProvidedValues")).lower() == "true"
    moment = cognito._now_epoch()
    return {"ManagedLoginBrandingId": style_id, "UserPoolId": pool_id, "UseCognitoProvidedValues": own,
            "Settings": {} if own else (data.get("Settings") or {}), "Assets": [] if own else (data.get("Assets") or []),
            "CreationDate": created or moment, "LastModifiedDate": moment}


def _public(record):
    return {k: v for k, v in record.items() if k != "ClientId"}


def _create(data):
    pool, error = cognito._resolve_pool(data.get("UserPoolId") or "")
    if error:
        return error
    client_id = data.get("ClientId")
    if client_id not in pool["_clients"]:
        return error_response_json("ResourceNotFoundException", f"Client {client_id} does not exist.", 400)
    error = _content_error(data)
    if error:
        return error
    with _lock:
        styles = _styles(pool)
        if any(record["ClientId"] == client_id for record in styles.values()):
            return error_response_json("ManagedLoginBrandingExistsException",
                                       "A branding style already exists for this app client.", 400)
        style_id = str(uuid.uuid4())
        record = {**_style(pool["Id"], style_id, data, None), "ClientId": client_id}
        styles[style_id] = record
    return json_response({"ManagedLoginBranding": _public(record)})


def _found(data, by_client=False):
    pool, error = cognito._resolve_pool(data.get("UserPoolId") or "")
    if error:
        return None, None, error
    styles = _styles(pool)
    if by_client:
        record = next((r for r in styles.values() if r["ClientId"] == data.get("ClientId")), None)
    else:
        record = styles.get(data.get("ManagedLoginBrandingId") or "")
    if record is None:
        return None, None, error_response_json("ResourceNotFoundException", "Managed login branding not found.", 400)
    return pool, record, None


def _describe(data):
    _pool, record, error = _found(data)
    return error or json_response({"ManagedLoginBranding": _public(record)})


def _describe_by_client(data):
    _pool, record, error = _found(data, by_client=True)
    return error or json_response({"ManagedLoginBranding": _public(record)})


def _update(data):
    pool, record, error = _found(data)
    if error:
        return error
    error = _content_error(data)
    if error:
        return error
    with _lock:
        record.update(_style(pool["Id"], record["ManagedLoginBrandingId"], data, record["CreationDate"]))
    return json_response({"ManagedLoginBranding": _public(record)})


def _delete(data):
    pool, record, error = _found(data)
    if error:
        return error
    with _lock:
        _styles(pool).pop(record["ManagedLoginBrandingId"], None)
    return json_response({})


HANDLERS = {
    "CreateManagedLoginBranding": _create,
    "DescribeManagedLoginBranding": _describe,
    "DescribeManagedLoginBrandingByClient": _describe_by_client,
    "UpdateManagedLoginBranding": _update,
    "DeleteManagedLoginBranding": _delete,
}


def _answered(answer, what):
    status, _, body = answer
    if status >= 400:
        raise ValueError(f"{RESOURCE} {what} failed: {body!r}")
    return json.loads(body)["ManagedLoginBranding"] if body else {}


def _template_request(props):
    return {key: props[key] for key in ("UserPoolId", "ClientId", "UseCognitoProvidedValues", "Settings", "Assets")
            if key in props}


def create(logical_id, props, stack_name):
    style = _answered(_create(_template_request(props)), "create")
    return style["ManagedLoginBrandingId"], {"ManagedLoginBrandingId": style["ManagedLoginBrandingId"]}


def update(physical_id, old_props, new_props, stack_name, logical_id=None):
    request = {**_template_request(new_props), "ManagedLoginBrandingId": physical_id}
    _answered(_update(request), "update")
    return physical_id, {"ManagedLoginBrandingId": physical_id}


def delete(physical_id, props):
    _delete({"UserPoolId": props.get("UserPoolId", ""), "ManagedLoginBrandingId": physical_id})


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._dispatch_idp = dispatching(cognito._dispatch_idp, HANDLERS)
    provisioners._RESOURCE_HANDLERS[RESOURCE] = {
        "create": create, "update": update, "update_with_logical_id": True, "delete": delete}
    provisioners._REPLACING_PROPERTIES[RESOURCE] = ("UserPoolId", "ClientId")
