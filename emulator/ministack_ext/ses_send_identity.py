"""SES v2 SendEmail authorized on the sending identity, as AWS does it.

IAM authorizes `ses:SendEmail` on the identity the mail is sent from (the
Service Authorization Reference lists the identity resource for SendEmail;
a policy such as `Resource: arn:aws:ses:REGION:ACCOUNT:identity/example.com`
is how a sender is granted it, and SendEmail's `FromEmailAddressIdentityArn`
names that identity when it belongs to someone else). MiniStack 1.5.33's IAM
enforcement (AUTH=true) authorizes `POST /v2/email/outbound-emails` on "*",
so a role granted SendEmail on its identity, as least privilege asks, is
refused locally while AWS allows it.

With the extension the request's resource is `FromEmailAddressIdentityArn`
when given, else the identity of the From address: the address itself when
it is a verified identity, else its domain. A display name ("Secure App
<no-reply@example.com>") is read past, as SES does."""
import json
from email.utils import parseaddr

from ministack.core import iam_actions
from ministack.services import ses, ses_v2

from . import check_pins


def _hooked():
    return {"iam_actions._ses_v2_resource_arn": iam_actions._ses_v2_resource_arn}


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "iam_actions._ses_v2_resource_arn": "96f8ace790bed629",
}


def _is_identity(name):
    return name in ses_v2._identities or name in ses._identities


def sending_identity(body):
    """The identity a SendEmail body sends from, or None."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return None
    if not isinstance(request, dict):
        return None
    if request.get("FromEmailAddressIdentityArn"):
        return request["FromEmailAddressIdentityArn"]
    address = parseaddr(str(request.get("FromEmailAddress") or ""))[1]
    if "@" not in address:
        return None
    return address if _is_identity(address) else address.rsplit("@", 1)[1]


def _resource_arn(original):
    def resource_arn(method, path, body, region, account_id):
        if method == "POST" and path.rstrip("/") == "/v2/email/outbound-emails":
            identity = sending_identity(body)
            if identity and identity.startswith("arn:"):
                return identity
            if identity:
                return f"arn:aws:ses:{region}:{account_id}:identity/{identity}"
        return original(method, path, body, region, account_id)
    return resource_arn


def install(checked=False):
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    iam_actions._ses_v2_resource_arn = _resource_arn(iam_actions._ses_v2_resource_arn)
