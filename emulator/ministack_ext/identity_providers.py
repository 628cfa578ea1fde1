"""AWS::Cognito::UserPoolIdentityProvider in MiniStack's CloudFormation
engine, which has no provisioner for it (a template with one rolls back with
"Unsupported resource type"), though its Cognito keeps identity providers
(CreateIdentityProvider and the rest) and federates through them.

As the CloudFormation resource reference documents it: Ref is the provider's
name; UserPoolId, ProviderName and ProviderType replace the resource;
ProviderDetails, AttributeMapping and IdpIdentifiers update it in place
(UpdateIdentityProvider). Values arrive as the template gives them, so the
`{{resolve:secretsmanager:...}}` of a client secret is already resolved."""
import json

from ministack.services import cognito
from ministack.services.cloudformation import provisioners

from . import check_pins

RESOURCE = "AWS::Cognito::UserPoolIdentityProvider"
REPLACING = ("UserPoolId", "ProviderName", "ProviderType")
UPDATABLE = ("ProviderDetails", "AttributeMapping", "IdpIdentifiers")


def _hooked():
    return {
        "cognito._create_identity_provider": cognito._create_identity_provider,
        "cognito._update_identity_provider": cognito._update_identity_provider,
        "cognito._delete_identity_provider": cognito._delete_identity_provider,
        "provisioners._provision_resource": provisioners._provision_resource,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._create_identity_provider": "f1c22c448fcdcecf",
    "cognito._update_identity_provider": "533e40d7203d1f5e",
    "cognito._delete_identity_provider": "ec86f0c8b6104575",
    "provisioners._provision_resource": "3b8f01fb187141b6",
}


def _request(props):
    request = {key: props[key] for key in (*REPLACING, *UPDATABLE) if key in props}
    details = request.get("ProviderDetails")
    if isinstance(details, dict):
        # CloudFormation hands every detail to Cognito as text.
        request["ProviderDetails"] = {key: str(value) for key, value in details.items()}
    return request


def _answered(answer, what):
    status, _, body = answer
    if status >= 400:
        raise ValueError(f"{RESOURCE} {what} failed: {body!r}")
    return json.loads(body)["IdentityProvider"]


def create(logical_id, props, stack_name):
    provider = _answered(cognito._create_identity_provider(_request(props)), "create")
    return provider["ProviderName"], {"ProviderName": provider["ProviderName"]}


def update(physical_id, old_props, new_props, stack_name, logical_id=None):
    request = _request(new_props)
    for key in UPDATABLE:
        # A property the template drops goes back to Cognito's default.
        request.setdefault(key, [] if key == "IdpIdentifiers" else {})
    provider = _answered(cognito._update_identity_provider(request), "update")
    return provider["ProviderName"], {"ProviderName": provider["ProviderName"]}


def delete(physical_id, props):
    cognito._delete_identity_provider({"UserPoolId": props.get("UserPoolId", ""), "ProviderName": physical_id})


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    provisioners._RESOURCE_HANDLERS[RESOURCE] = {
        "create": create, "update": update, "update_with_logical_id": True, "delete": delete}
    provisioners._REPLACING_PROPERTIES[RESOURCE] = REPLACING
