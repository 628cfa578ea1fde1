"""Python peer of the pre-signup trigger: email syntax and domains (with the
same disposable list), name rules, reserved usernames."""
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from lambda_loop import serve  # noqa: E402

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
DISPOSABLE = set((Path(__file__).resolve().parents[4] / "infra/data/disposable-domains.txt").read_text().split())
RESERVED = {"admin", "root", "support", "system", "administrator"}


class Rejected(Exception):
    pass


def handler(event, _context):
    attributes = event["request"]["userAttributes"]
    email = attributes.get("email", "").strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise Rejected("Enter a valid email address.")
    domain = email.rsplit("@", 1)[1]
    if any(domain == d or domain.endswith("." + d) for d in DISPOSABLE):
        raise Rejected("Disposable email addresses are not allowed.")
    name = attributes.get("name", "").strip()
    if not 1 <= len(name) <= 100 or any(c in name for c in "<>{}"):
        raise Rejected("Enter your name.")
    if event.get("userName", "").lower() in RESERVED:
        raise Rejected("This username is reserved.")
    event["response"] = {"autoConfirmUser": False, "autoVerifyEmail": False, "autoVerifyPhone": False}
    return event


serve(handler)
