"""Tests of ministack_ext.email_mfa against MiniStack's own Cognito code and
CloudFormation resource handler, in process, with only the mail recorder
replaced."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import email_mfa  # noqa: E402
from ministack.services import cognito  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"
HOOKED = ("_apply_mfa_preference", "_set_user_mfa_preference", "_admin_set_user_mfa_preference",
          "_mfa_challenge_for_user", "_respond_to_auth_challenge", "_send_email_otp")


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1] or body(answer).get("code")


class EmailMfa(unittest.TestCase):
    install = True
    email_mfa_on_pool = True

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        saved_provisioner = provisioners._cognito_user_pool_software_token_mfa
        self.addCleanup(lambda: [setattr(cognito, n, f) for n, f in saved.items()])
        self.addCleanup(setattr, provisioners, "_cognito_user_pool_software_token_mfa", saved_provisioner)
        if self.install:
            email_mfa.install()
        self.mails = []
        cognito._send_email_otp = lambda pool, username, attributes, code: self.mails.append(
            (attributes.get("email"), code))
        self.pool_id = body(cognito._create_user_pool({
            "PoolName": f"m{id(self)}", "UsernameAttributes": ["email"],
            "MfaConfiguration": "OPTIONAL"}))["UserPool"]["Id"]
        # As CloudFormation applies the template's EnabledMfas.
        enabled = ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"] if self.email_mfa_on_pool else ["SOFTWARE_TOKEN_MFA"]
        provisioners._cognito_user_pool_software_token_mfa(self.pool_id, {}, {"EnabledMfas": enabled})
        self.client_id = body(cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "c",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}))["UserPoolClient"]["ClientId"]
        cognito._sign_up({"ClientId": self.client_id, "Username": "ada@example.com", "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": "ada@example.com"})
        cognito._admin_update_user_attributes({"UserPoolId": self.pool_id, "Username": "ada@example.com",
                                               "UserAttributes": [{"Name": "email_verified", "Value": "true"}]})

    def prefer(self, **settings):
        return cognito._admin_set_user_mfa_preference(
            {"UserPoolId": self.pool_id, "Username": "ada@example.com", **settings})

    def sign_in(self):
        return body(cognito._initiate_auth({
            "ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD}}))

    def respond(self, started, name, **responses):
        return cognito._respond_to_auth_challenge({
            "ClientId": self.client_id, "ChallengeName": name, "Session": started["Session"],
            "ChallengeResponses": {"USERNAME": "ada@example.com", **responses}})


class BareMiniStack(EmailMfa):
    install = False

    def test_the_bare_emulator_ignores_email_mfa(self):
        self.assertIsNone(cognito._user_pools[self.pool_id].get("EmailMfaConfiguration"))
        self.prefer(EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
        self.assertIn("AuthenticationResult", self.sign_in())
        self.assertEqual(self.mails, [])


class EmailCodes(EmailMfa):
    def test_the_template_gives_the_pool_email_mfa(self):
        config = body(cognito._get_user_pool_mfa_config({"UserPoolId": self.pool_id}))
        self.assertEqual(config["EmailMfaConfiguration"]["Subject"], email_mfa.DEFAULT_SUBJECT)
        provisioners._cognito_user_pool_software_token_mfa(
            self.pool_id, {"EnabledMfas": ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"]}, {"EnabledMfas": ["SOFTWARE_TOKEN_MFA"]})
        self.assertNotIn("EmailMfaConfiguration", body(cognito._get_user_pool_mfa_config({"UserPoolId": self.pool_id})))

    def test_a_sign_in_asks_for_the_mailed_code(self):
        self.assertEqual(self.prefer(EmailMfaSettings={"Enabled": True, "PreferredMfa": True})[0], 200)
        user = body(cognito._admin_get_user({"UserPoolId": self.pool_id, "Username": "ada@example.com"}))
        self.assertEqual((user["UserMFASettingList"], user["PreferredMfaSetting"]), (["EMAIL_OTP"], "EMAIL_OTP"))
        started = self.sign_in()
        self.assertEqual(started["ChallengeName"], "EMAIL_OTP")
        self.assertEqual(started["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"], "a****@e****")
        self.assertEqual(len(self.mails), 1)
        wrong = self.respond(started, "EMAIL_OTP", EMAIL_OTP_CODE="000000")
        self.assertEqual(error(wrong), "CodeMismatchException")
        signed_in = self.respond(started, "EMAIL_OTP", EMAIL_OTP_CODE=self.mails[0][1])
        self.assertIn("AccessToken", body(signed_in)["AuthenticationResult"])

    def test_with_both_methods_the_preferred_one_is_asked_for_and_without_one_the_user_chooses(self):
        self.prefer(EmailMfaSettings={"Enabled": True})
        user = cognito._resolve_user(cognito._user_pools[self.pool_id], "ada@example.com")[0]
        user["_mfa_enabled"].append("SOFTWARE_TOKEN_MFA")  # as VerifySoftwareToken leaves it
        started = self.sign_in()
        self.assertEqual(started["ChallengeName"], "SELECT_MFA_TYPE")
        self.assertEqual(json.loads(started["ChallengeParameters"]["MFAS_CAN_CHOOSE"]),
                         ["SOFTWARE_TOKEN_MFA", "EMAIL_OTP"])
        chosen = body(self.respond(started, "SELECT_MFA_TYPE", ANSWER="EMAIL_OTP"))
        self.assertEqual(chosen["ChallengeName"], "EMAIL_OTP")
        self.prefer(SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True})
        self.assertEqual(self.sign_in()["ChallengeName"], "SOFTWARE_TOKEN_MFA")

    def test_turning_email_mfa_off_signs_in_with_the_password_alone(self):
        self.prefer(EmailMfaSettings={"Enabled": True, "PreferredMfa": True})
        self.prefer(EmailMfaSettings={"Enabled": False})
        self.assertIn("AuthenticationResult", self.sign_in())

    def test_an_unverified_email_cannot_take_email_mfa(self):
        cognito._admin_update_user_attributes({"UserPoolId": self.pool_id, "Username": "ada@example.com",
                                               "UserAttributes": [{"Name": "email_verified", "Value": "false"}]})
        refused = self.prefer(EmailMfaSettings={"Enabled": True})
        self.assertEqual(error(refused), "InvalidParameterException")


class PoolWithoutEmailMfa(EmailMfa):
    email_mfa_on_pool = False

    def test_email_mfa_is_refused_where_the_pool_has_none(self):
        refused = self.prefer(EmailMfaSettings={"Enabled": True})
        self.assertEqual((refused[0], error(refused)), (400, "InvalidParameterException"))
        self.assertIn("AuthenticationResult", self.sign_in())


if __name__ == "__main__":
    unittest.main()
