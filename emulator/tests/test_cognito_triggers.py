"""Tests of ministack_ext against MiniStack's own Cognito code, in process.
Only the Lambda runner (the extension's `run_trigger`) and the mail recorder
are replaced, so the events and mails are what the emulator would send.
The first test shows each gap on the bare emulator; the rest, that the
extension closes it. Run: .venv-ministack/bin/python -m unittest discover emulator/tests"""
import asyncio
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import ministack_ext  # noqa: E402
from ministack_ext import attribute_verification, cognito_triggers  # noqa: E402
from ministack.services import cognito  # noqa: E402

HOOKED_NAMES = sorted({name.split(".", 1)[1] for module in (cognito_triggers, attribute_verification)
                       for name in module._hooked() if name.startswith("cognito.")})
ARN = "arn:aws:lambda:us-east-1:000000000000:function:"


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


class Harness(unittest.TestCase):
    install = True

    def setUp(self):
        self.saved = {name: getattr(cognito, name) for name in HOOKED_NAMES}
        self.saved_runner = cognito_triggers.run_trigger
        self.addCleanup(self.restore)  # runs even when setUp fails half-way
        self.events, self.mails, self.failing = [], [], {}
        self.reply = {}
        if self.install:
            cognito_triggers.install()
            attribute_verification.install()
            cognito_triggers.run_trigger = self.run_trigger
        cognito._deliver_cognito_email = lambda pool, to, subject, text, **kw: self.mails.append((to, subject, text))
        pool = body(cognito._create_user_pool({
            "PoolName": f"p{id(self)}", "UsernameAttributes": ["email"],
            "LambdaConfig": {"PostConfirmation": ARN + "post", "CustomMessage": ARN + "message"},
            "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
        }))["UserPool"]
        self.pool_id = pool["Id"]
        self.client_id = body(cognito._create_user_pool_client(
            {"UserPoolId": self.pool_id, "ClientName": "c"}))["UserPoolClient"]["ClientId"]

    def restore(self):
        for name, function in self.saved.items():
            setattr(cognito, name, function)
        cognito_triggers.run_trigger = self.saved_runner

    def run_trigger(self, pool, kind, event):
        if not (pool.get("LambdaConfig") or {}).get(kind):
            return None
        self.events.append(event)
        if kind in self.failing:
            raise cognito_triggers.TriggerFailed(self.failing[kind])
        return self.reply.get(kind, {})

    def sign_up(self, email="ada@example.com"):
        return cognito._sign_up({"ClientId": self.client_id, "Username": email, "Password": "Correct-Horse-9-battery",
                                 "UserAttributes": [{"Name": "email", "Value": email}, {"Name": "name", "Value": "Ada"}]})

    def confirm(self, email="ada@example.com"):
        return cognito._confirm_sign_up({"ClientId": self.client_id, "Username": email, "ConfirmationCode": "123456"})

    def signed_in(self, email="ada@example.com"):
        self.sign_up(email)
        self.confirm(email)
        answer = cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                         "AuthParameters": {"USERNAME": email, "PASSWORD": "Correct-Horse-9-battery"}})
        self.events.clear()
        self.mails.clear()
        return body(answer)["AuthenticationResult"]["AccessToken"]

    def attributes(self, email="ada@example.com"):
        return cognito._attr_list_to_dict(self.user(email)["Attributes"])

    def user(self, email="ada@example.com"):
        return cognito._resolve_user(cognito._user_pools[self.pool_id], email)[0]

    def sources(self):
        return [event["triggerSource"] for event in self.events]


class BareMiniStack(Harness):
    install = False

    def test_the_bare_emulator_has_the_gaps(self):
        self.sign_up()
        self.confirm()
        self.assertEqual(self.events, [], "bare MiniStack ran a trigger: the extension may be obsolete")
        self.assertEqual(self.mails[0][2], "Your verification code is 123456.")

    def test_the_bare_emulator_changes_an_email_unverified_and_silently(self):
        token = self.signed_in()
        answer = cognito._update_user_attributes({"AccessToken": token, "UserAttributes": [
            {"Name": "email", "Value": "new@example.com"}]})
        self.assertEqual(body(answer), {"CodeDeliveryDetailsList": []})
        self.assertEqual((self.mails, self.attributes("new@example.com")["email"]), ([], "new@example.com"))
        answer = asyncio.run(cognito._dispatch_idp("VerifyUserAttribute", {"AccessToken": token}))
        self.assertEqual(body(answer)["__type"], "InvalidAction")

    def test_the_bare_emulator_gives_one_address_to_two_users(self):
        self.signed_in("grace@example.com")
        self.signed_in()
        answer = cognito._admin_update_user_attributes({
            "UserPoolId": self.pool_id, "Username": "ada@example.com",
            "UserAttributes": [{"Name": "email", "Value": "grace@example.com"}]})
        self.assertEqual(answer[0], 200)


class PostConfirmation(Harness):
    def test_confirm_sign_up_runs_it_with_the_documented_event(self):
        self.sign_up()
        self.events.clear()
        self.assertEqual(self.confirm()[0], 200)
        (event,) = self.events
        self.assertEqual(event["triggerSource"], "PostConfirmation_ConfirmSignUp")
        self.assertEqual(event["userPoolId"], self.pool_id)
        self.assertEqual(event["callerContext"]["clientId"], self.client_id)
        self.assertEqual(event["userName"], self.user()["Username"])
        attributes = event["request"]["userAttributes"]
        self.assertEqual(attributes["email"], "ada@example.com")
        self.assertEqual(attributes["cognito:user_status"], "CONFIRMED")
        self.assertIn("sub", attributes)
        self.assertEqual(event["request"]["clientMetadata"], {})

    def test_admin_confirm_sign_up_runs_it_once(self):
        self.sign_up()
        self.events.clear()
        data = {"UserPoolId": self.pool_id, "Username": "ada@example.com"}
        self.assertEqual(cognito._admin_confirm_sign_up(data)[0], 200)
        self.assertEqual(cognito._admin_confirm_sign_up(data)[0], 200)
        self.assertEqual(self.sources(), ["PostConfirmation_ConfirmSignUp"])
        self.assertEqual(self.events[0]["callerContext"]["clientId"], "CLIENT_ID_NOT_APPLICABLE")

    def test_confirm_forgot_password_runs_it(self):
        self.sign_up()
        self.confirm()
        cognito._forgot_password({"ClientId": self.client_id, "Username": "ada@example.com"})
        self.events.clear()
        answer = cognito._confirm_forgot_password({"ClientId": self.client_id, "Username": "ada@example.com",
                                                   "ConfirmationCode": "654321", "Password": "Another-Horse-8-staple"})
        self.assertEqual(answer[0], 200)
        self.assertEqual(self.sources(), ["PostConfirmation_ConfirmForgotPassword"])

    def test_a_failing_trigger_fails_the_call_but_the_user_stays_confirmed(self):
        self.sign_up()
        self.failing["PostConfirmation"] = "Temporary failure, please try again."
        answer = self.confirm()
        self.assertEqual(answer[0], 400)
        self.assertEqual(body(answer)["__type"], "UserLambdaValidationException")
        self.assertEqual(body(answer)["message"], "PostConfirmation failed with error Temporary failure, please try again.")
        self.assertEqual(self.user()["UserStatus"], "CONFIRMED")

    def test_an_unknown_user_runs_nothing(self):
        self.assertNotEqual(self.confirm("nobody@example.com")[0], 200)
        self.assertEqual(self.events, [])


class CustomMessage(Harness):
    def test_sign_up_mails_the_triggers_message_with_the_code(self):
        self.reply["CustomMessage"] = {"emailSubject": "Welcome to Secure App",
                                       "emailMessage": "<p>Your code: <b>{####}</b></p>"}
        self.assertEqual(self.sign_up()[0], 200)
        (event,) = self.events
        self.assertEqual(event["triggerSource"], "CustomMessage_SignUp")
        self.assertEqual(event["request"]["codeParameter"], "{####}")
        self.assertEqual(event["callerContext"]["clientId"], self.client_id)
        self.assertEqual(self.mails, [("ada@example.com", "Welcome to Secure App", "<p>Your code: <b>123456</b></p>")])

    def test_resend_and_forgot_password_have_their_own_sources(self):
        self.sign_up()
        cognito._resend_confirmation_code({"ClientId": self.client_id, "Username": "ada@example.com"})
        self.confirm()
        cognito._forgot_password({"ClientId": self.client_id, "Username": "ada@example.com"})
        cognito._admin_reset_user_password({"UserPoolId": self.pool_id, "Username": "ada@example.com"})
        self.assertEqual([s for s in self.sources() if s.startswith("CustomMessage")],
                         ["CustomMessage_SignUp", "CustomMessage_ResendCode", "CustomMessage_ForgotPassword",
                          "CustomMessage_ForgotPassword"])

    def test_a_message_left_out_falls_back_to_the_pools_template(self):
        self.reply["CustomMessage"] = {"emailSubject": None, "emailMessage": None}
        self.sign_up()
        self.assertEqual(self.mails[0][2], "Your verification code is 123456.")

    def test_a_failing_trigger_fails_the_call(self):
        self.failing["CustomMessage"] = "Invalid request."
        answer = self.sign_up()
        self.assertEqual(body(answer)["__type"], "UserLambdaValidationException")
        self.assertEqual(body(answer)["message"], "CustomMessage failed with error Invalid request.")
        self.assertEqual(self.mails, [])

    def test_a_message_without_the_code_is_refused(self):
        self.reply["CustomMessage"] = {"emailMessage": "no code here"}
        answer = self.sign_up()
        self.assertEqual(body(answer)["__type"], "InvalidLambdaResponseException")
        self.assertEqual(self.mails, [])


class AttributeVerification(Harness):
    def update_email(self, token, address="new@example.com"):
        return cognito._update_user_attributes({"AccessToken": token, "UserAttributes": [
            {"Name": "email", "Value": address}, {"Name": "name", "Value": "Ada L."}]})

    def verify(self, token, code):
        return asyncio.run(cognito._dispatch_idp("VerifyUserAttribute", {
            "AccessToken": token, "AttributeName": "email", "Code": code}))

    def test_a_new_email_waits_for_its_code_when_the_pool_requires_it(self):
        token = self.signed_in()
        self.reply["CustomMessage"] = {"emailSubject": "Confirm your new email", "emailMessage": "Code {####}"}
        answer = self.update_email(token)
        self.assertEqual(body(answer)["CodeDeliveryDetailsList"][0]["AttributeName"], "email")
        self.assertEqual(self.sources(), ["CustomMessage_UpdateUserAttribute"])
        self.assertEqual(self.mails, [("new@example.com", "Confirm your new email", "Code 123456")])
        before = self.attributes()
        self.assertEqual((before["email"], before["name"]), ("ada@example.com", "Ada L."))
        self.assertEqual(body(self.verify(token, "000000"))["__type"], "CodeMismatchException")
        self.assertEqual(self.verify(token, "123456")[0], 200)
        after = self.attributes("new@example.com")
        self.assertEqual((after["email"], after["email_verified"]), ("new@example.com", "true"))
        self.assertEqual(body(self.verify(token, "123456"))["__type"], "ExpiredCodeException")

    def test_without_the_setting_the_email_changes_at_once_unverified(self):
        token = self.signed_in()
        cognito._user_pools[self.pool_id]["UserAttributeUpdateSettings"] = {}
        self.update_email(token)
        changed = self.attributes("new@example.com")
        self.assertEqual((changed["email"], changed["email_verified"]), ("new@example.com", "false"))
        self.assertEqual([m[0] for m in self.mails], ["new@example.com"])
        self.assertEqual(self.verify(token, "123456")[0], 200)
        self.assertEqual(self.attributes("new@example.com")["email_verified"], "true")

    def test_a_code_on_request_for_the_current_email(self):
        token = self.signed_in()
        answer = asyncio.run(cognito._dispatch_idp("GetUserAttributeVerificationCode", {
            "AccessToken": token, "AttributeName": "email"}))
        self.assertEqual(answer[0], 200)
        self.assertEqual(self.sources(), ["CustomMessage_VerifyUserAttribute"])
        self.assertEqual(self.mails[0][0], "ada@example.com")

    def test_a_code_the_trigger_refused_is_never_usable(self):
        token = self.signed_in()
        self.failing["CustomMessage"] = "Change the email through the app."
        answer = self.update_email(token)
        self.assertEqual(body(answer)["__type"], "UserLambdaValidationException")
        self.assertEqual(self.mails, [])
        self.assertEqual(body(self.verify(token, "123456"))["__type"], "ExpiredCodeException")
        answer = asyncio.run(cognito._dispatch_idp("GetUserAttributeVerificationCode", {
            "AccessToken": token, "AttributeName": "email"}))
        self.assertEqual(body(answer)["__type"], "UserLambdaValidationException")
        self.assertEqual(body(self.verify(token, "123456"))["__type"], "ExpiredCodeException")
        self.assertEqual(self.attributes()["email"], "ada@example.com")

    def test_an_admin_cannot_give_one_address_to_two_users(self):
        self.signed_in("grace@example.com")
        self.signed_in()
        taken = cognito._admin_update_user_attributes({
            "UserPoolId": self.pool_id, "Username": "ada@example.com",
            "UserAttributes": [{"Name": "email", "Value": "Grace@example.com"}, {"Name": "email_verified", "Value": "true"}]})
        self.assertEqual(body(taken)["__type"], "AliasExistsException")
        moved = cognito._admin_update_user_attributes({
            "UserPoolId": self.pool_id, "Username": "ada@example.com",
            "UserAttributes": [{"Name": "email", "Value": "ada.new@example.com"}, {"Name": "email_verified", "Value": "true"}]})
        self.assertEqual(moved[0], 200)
        self.assertEqual(self.attributes("ada.new@example.com")["email"], "ada.new@example.com")

    def test_a_forged_token_is_refused(self):
        self.assertEqual(body(self.verify("not-a-token", "123456"))["__type"], "NotAuthorizedException")

    def test_the_email_sign_in_code_goes_through_the_trigger(self):
        self.reply["CustomMessage"] = {"emailSubject": "Your code", "emailMessage": "Sign in with {####}"}
        pool = cognito._user_pools[self.pool_id]
        cognito._send_email_otp(pool, "ada", {"email": "ada@example.com"}, "123456")
        self.assertEqual(self.sources(), ["CustomMessage_Authentication"])
        self.assertEqual(self.mails, [("ada@example.com", "Your code", "Sign in with 123456")])


class Pins(unittest.TestCase):
    def test_the_installed_ministack_is_the_pinned_one(self):
        ministack_ext.check_pins(cognito_triggers._hooked(), cognito_triggers.FINGERPRINTS)

    def test_another_version_is_refused(self):
        with self.assertRaisesRegex(ministack_ext.IncompatibleMiniStack, "1.5.34 is installed"):
            ministack_ext.check_pins(cognito_triggers._hooked(), cognito_triggers.FINGERPRINTS, version="1.5.34")

    def test_changed_internals_are_refused_by_name(self):
        changed = dict(cognito_triggers.FINGERPRINTS, **{"cognito._sign_up": "0" * 16})
        with self.assertRaisesRegex(ministack_ext.IncompatibleMiniStack, "cognito._sign_up"):
            ministack_ext.check_pins(cognito_triggers._hooked(), changed)


if __name__ == "__main__":
    unittest.main()
