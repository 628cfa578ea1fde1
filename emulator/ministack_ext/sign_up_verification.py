"""ConfirmSignUp verifies the address the code went to. In Cognito, a user
who confirms sign-up with the code mailed because the pool auto-verifies
email has a verified email afterwards (`email_verified` true, also in the
PostConfirmation event); MiniStack 1.5.33 only marks the user CONFIRMED.
AdminConfirmSignUp, which takes no code, verifies nothing, as in Cognito."""
from ministack.services import cognito

from . import check_pins


def _hooked():
    return {
        "cognito._confirm_sign_up": cognito._confirm_sign_up,
        "cognito._pool_for_client": cognito._pool_for_client,
        "cognito._resolve_user": cognito._resolve_user,
        "cognito._merge_attributes": cognito._merge_attributes,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._confirm_sign_up": "e9557b08401a1b81",
    "cognito._pool_for_client": "ac0cf21281822221",
    "cognito._resolve_user": "005b45b0326d511c",
    "cognito._merge_attributes": "3d325e67e25f2443",
}


def _verifying(original):
    def handler(data):
        answer = original(data)
        if answer[0] != 200:
            return answer
        pool, _pool_id = cognito._pool_for_client(data.get("ClientId"))
        user = cognito._resolve_user(pool, data.get("Username"))[0] if pool else None
        emails = [a for a in (user or {}).get("Attributes", []) if a.get("Name") == "email"]
        if user and emails and "email" in (pool.get("AutoVerifiedAttributes") or []):
            user["Attributes"] = cognito._merge_attributes(
                user.get("Attributes", []), [{"Name": "email_verified", "Value": "true"}])
        return answer
    return handler


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._confirm_sign_up = _verifying(cognito._confirm_sign_up)
