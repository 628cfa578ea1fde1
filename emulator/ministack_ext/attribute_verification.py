"""Verifying a changed email, which MiniStack 1.5.33 does not do: its
UpdateUserAttributes replaces the email at once and mails nothing, and it has
no GetUserAttributeVerificationCode or VerifyUserAttribute.

As Cognito documents it:
- UpdateUserAttributes with a new email mails a code to the new address
  (`CustomMessage_UpdateUserAttribute`) and answers its CodeDeliveryDetails.
  When the pool's UserAttributeUpdateSettings require verification of email,
  the old address stays the user's (and verified) until the new one is
  verified; otherwise the new address replaces it, unverified.
- GetUserAttributeVerificationCode mails a code for the email
  (`CustomMessage_VerifyUserAttribute`): the pending address if there is one.
- VerifyUserAttribute with that code makes the address the user's and
  verified; a wrong code answers CodeMismatchException, none issued
  ExpiredCodeException.
- A CustomMessage trigger that refuses the mail fails the call with
  UserLambdaValidationException and leaves no usable code (Cognito's is
  random and was never sent; this module's fixed code must not stand in).
- AdminUpdateUserAttributes refuses an email another user of a pool with
  email usernames (or an email alias) has: AliasExistsException. MiniStack
  gave two users one address.
Codes are fixed, like MiniStack's other codes."""
from ministack.core.responses import error_response_json, json_response
from ministack.services import cognito

from . import check_pins, dispatching
from .cognito_triggers import InvalidMessage, TriggerFailed, _lambda_validation_error, deliver_code

ATTRIBUTE_CODE = "123456"


def _hooked():
    return {
        "cognito._update_user_attributes": cognito._update_user_attributes,
        "cognito._dispatch_idp": cognito._dispatch_idp,
        "cognito._run_idp_handler": cognito._run_idp_handler,
        "cognito._user_pool_for_access_token": cognito._user_pool_for_access_token,
        "cognito._merge_attributes": cognito._merge_attributes,
        "cognito._masked_destination": cognito._masked_destination,
        "cognito._attr_list_to_dict": cognito._attr_list_to_dict,
        "cognito._admin_update_user_attributes": cognito._admin_update_user_attributes,
        "cognito._resolve_pool": cognito._resolve_pool,
        "cognito._resolve_user": cognito._resolve_user,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._update_user_attributes": "f2dcbe6711fd7b22",
    "cognito._dispatch_idp": "eff61c61ce4d793c",
    "cognito._run_idp_handler": "85681acebd624562",
    "cognito._user_pool_for_access_token": "e0126455e8b401f7",
    "cognito._merge_attributes": "3d325e67e25f2443",
    "cognito._masked_destination": "0e45b22e946a9aa5",
    "cognito._attr_list_to_dict": "e2b078a8a62b4feb",
    "cognito._admin_update_user_attributes": "97a3aa75318e6f1f",
    "cognito._resolve_pool": "8e550159a441918b",
    "cognito._resolve_user": "005b45b0326d511c",
}


def _requires_verification(pool, attribute):
    settings = pool.get("UserAttributeUpdateSettings") or {}
    return attribute in (settings.get("AttributesRequireVerificationBeforeUpdate") or [])


def _delivery(address):
    return {"Destination": cognito._masked_destination(address), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def _mail_code(pool, user, address, source, data):
    attributes = dict(cognito._attr_list_to_dict(user.get("Attributes", [])), email=address)
    # The code is fixed here where Cognito's is random: one that was never
    # delivered (the trigger refused it) must not be usable, as nobody could
    # know Cognito's.
    user.pop("_attribute_code", None)
    try:
        deliver_code(pool, user["Username"], attributes, ATTRIBUTE_CODE, source,
                     metadata=data.get("ClientMetadata"))
    except TriggerFailed as err:
        return _lambda_validation_error("CustomMessage", err)
    except InvalidMessage as err:
        return error_response_json("InvalidLambdaResponseException", str(err), 400)
    user["_attribute_code"] = ATTRIBUTE_CODE
    return None


def _update_user_attributes(original):
    def update(data):
        user, pool = cognito._user_pool_for_access_token(data.get("AccessToken", ""))
        current = cognito._attr_list_to_dict(user.get("Attributes", [])) if user else {}
        updates = data.get("UserAttributes") or []
        new_email = next((a.get("Value") for a in updates if a.get("Name") == "email"), None)
        if user is None or new_email is None or new_email == current.get("email"):
            return original(data)
        if _requires_verification(pool, "email"):
            # The rest of the update applies now; the email waits for its code.
            answer = original(dict(data, UserAttributes=[a for a in updates if a.get("Name") != "email"]))
            if answer[0] != 200:
                return answer
            user["_pending_email"] = new_email
        else:
            answer = original(dict(data, UserAttributes=[*updates, {"Name": "email_verified", "Value": "false"}]))
            if answer[0] != 200:
                return answer
            user.pop("_pending_email", None)
        failed = _mail_code(pool, user, new_email, "CustomMessage_UpdateUserAttribute", data)
        return failed or json_response({"CodeDeliveryDetailsList": [_delivery(new_email)]})

    return update


def _admin_update_user_attributes(original):
    def update(data):
        pool, failed = cognito._resolve_pool(data.get("UserPoolId"))
        user, missing = cognito._resolve_user(pool, data.get("Username")) if pool else (None, True)
        new_email = next((a.get("Value") for a in data.get("UserAttributes") or []
                          if a.get("Name") == "email"), None)
        pool_settings = pool or {}
        by_email = "email" in (pool_settings.get("UsernameAttributes") or []) + (pool_settings.get("AliasAttributes") or [])
        if failed or missing or not new_email or not by_email:
            return original(data)
        # A federated user's address is not a sign-in alias.
        taken = any(
            other is not user and other.get("UserStatus") != "EXTERNAL_PROVIDER"
            and (cognito._attr_list_to_dict(other.get("Attributes", [])).get("email") or "").lower()
            == new_email.lower()
            for other in pool["_users"].values())
        if taken:
            return error_response_json("AliasExistsException", "An account with the given email already exists.", 400)
        return original(data)

    return update


def _caller_verifying_email(data):
    """(user, pool, None) for the token's owner verifying email, or (.., error)."""
    user, pool = cognito._user_pool_for_access_token(data.get("AccessToken", ""))
    if not user:
        return None, None, error_response_json("NotAuthorizedException", "Invalid access token.", 400)
    if data.get("AttributeName") != "email":
        return None, None, error_response_json("InvalidParameterException", "Only email can be verified here.", 400)
    return user, pool, None


def _get_user_attribute_verification_code(data):
    user, pool, refused = _caller_verifying_email(data)
    if refused:
        return refused
    address = user.get("_pending_email") or cognito._attr_list_to_dict(user.get("Attributes", [])).get("email")
    if not address:
        return error_response_json("InvalidParameterException", "The user has no email.", 400)
    failed = _mail_code(pool, user, address, "CustomMessage_VerifyUserAttribute", data)
    return failed or json_response({"CodeDeliveryDetails": _delivery(address)})


def _verify_user_attribute(data):
    user, _pool, refused = _caller_verifying_email(data)
    if refused:
        return refused
    issued = user.get("_attribute_code")
    if not issued:
        return error_response_json("ExpiredCodeException", "Invalid code provided, please request a code again.", 400)
    if data.get("Code") != issued:
        return error_response_json("CodeMismatchException", "Invalid verification code provided, please try again.", 400)
    address = user.pop("_pending_email", None)
    user.pop("_attribute_code")
    changes = [{"Name": "email_verified", "Value": "true"}]
    if address:
        changes.append({"Name": "email", "Value": address})
    user["Attributes"] = cognito._merge_attributes(user.get("Attributes", []), changes)
    return json_response({})


EXTRA_ACTIONS = {
    "GetUserAttributeVerificationCode": _get_user_attribute_verification_code,
    "VerifyUserAttribute": _verify_user_attribute,
}


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    # Scoped to the token's pool region like MiniStack's other token calls.
    cognito._UNSIGNED_IDP_ACTIONS.update(EXTRA_ACTIONS)
    cognito._update_user_attributes = _update_user_attributes(cognito._update_user_attributes)
    cognito._admin_update_user_attributes = _admin_update_user_attributes(cognito._admin_update_user_attributes)
    cognito._dispatch_idp = dispatching(cognito._dispatch_idp, EXTRA_ACTIONS)
