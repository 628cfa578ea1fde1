"""Python peer of the custom-message trigger: a branded, escaped subject,
HTML body and SMS for the event's source."""
import html
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from lambda_loop import serve  # noqa: E402

APP = os.environ.get("APP_NAME", "Secure App")
SUBJECTS = {
    "CustomMessage_SignUp": "Confirm your {app} account",
    "CustomMessage_ResendCode": "Your {app} confirmation code",
    "CustomMessage_ForgotPassword": "Reset your {app} password",
    "CustomMessage_UpdateUserAttribute": "Confirm your new email for {app}",
    "CustomMessage_VerifyUserAttribute": "Verify your email for {app}",
    "CustomMessage_AdminCreateUser": "Your {app} account is ready",
    "CustomMessage_Authentication": "Your {app} sign-in code",
}
LAYOUT = ("<!doctype html><html><body style=\"font-family:sans-serif\"><h1>{app}</h1>"
          "<p>Hi {name},</p><p>Your code is <strong>{code}</strong>.</p>{extra}"
          "<p>If this wasn't you, ignore this message.</p></body></html>")


def handler(event, _context):
    source = event["triggerSource"]
    request = event["request"]
    name = html.escape(request["userAttributes"].get("name", "there"))
    code = request["codeParameter"]
    extra = ""
    if source == "CustomMessage_AdminCreateUser":
        extra = f"<p>Your username is {request['usernameParameter']}.</p>"
    subject = SUBJECTS[source].format(app=APP)
    body = LAYOUT.format(app=html.escape(APP), name=name, code=code, extra=extra)
    if len(subject) > 140 or len(body) > 20000:
        raise ValueError("message too long")
    event["response"] = {"emailSubject": subject, "emailMessage": body,
                         "smsMessage": f"{APP}: your code is {code}"[:140]}
    return event


serve(handler)
