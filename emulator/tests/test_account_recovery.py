"""Tests of ministack_ext.account_recovery against MiniStack's own Cognito
code, in process, with only the mail recorder replaced."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import account_recovery  # noqa: E402
from ministack.services import cognito  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1]


class Recovery(unittest.TestCase):
    install = True

    def setUp(self):
        saved, saved_mail = cognito._forgot_password, cognito._send_verification_email
        self.addCleanup(setattr, cognito, "_forgot_password", saved)
        self.addCleanup(setattr, cognito, "_send_verification_email", saved_mail)
        cognito._send_verification_email = lambda *args, **kwargs: None
        if self.install:
            account_recovery.install()
        self.pool_id = body(cognito._create_user_pool({
            "PoolName": f"r{id(self)}", "UsernameAttributes": ["email"],
            "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
        }))["UserPool"]["Id"]
        self.client_id = body(cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "c",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}))["UserPoolClient"]["ClientId"]

    def user(self, email, verified=True, mfa=()):
        cognito._sign_up({"ClientId": self.client_id, "Username": email, "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": email}]})
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": email})
        user, _ = cognito._resolve_user(cognito._user_pools[self.pool_id], email)
        user["Attributes"].append({"Name": "email_verified", "Value": "true" if verified else "false"})
        user["_mfa_enabled"] = list(mfa)

    def forgot(self, email):
        return cognito._forgot_password({"ClientId": self.client_id, "Username": email})

    def test_a_verified_email_without_email_mfa_gets_a_code(self):
        self.user("ada@example.com")
        self.assertIn("CodeDeliveryDetails", body(self.forgot("ada@example.com")))

    def test_email_mfa_disqualifies_email_recovery(self):
        self.user("bob@example.com", mfa=["EMAIL_OTP"])
        answer = self.forgot("bob@example.com")
        self.assertEqual(error(answer), "InvalidParameterException")
        self.assertEqual(body(answer)["message"], account_recovery.NO_MECHANISM)

    def test_an_unverified_email_cannot_recover(self):
        self.user("cy@example.com", verified=False)
        self.assertEqual(error(self.forgot("cy@example.com")), "InvalidParameterException")

    def test_totp_leaves_email_recovery_alone(self):
        self.user("di@example.com", mfa=["SOFTWARE_TOKEN_MFA"])
        self.assertIn("CodeDeliveryDetails", body(self.forgot("di@example.com")))

    def test_without_the_setting_mfa_disqualifies_nothing(self):
        cognito._user_pools[self.pool_id].pop("AccountRecoverySetting", None)
        self.user("eve@example.com", mfa=["EMAIL_OTP"])
        self.assertIn("CodeDeliveryDetails", body(self.forgot("eve@example.com")))


class RecoveryOnBareMiniStack(Recovery):
    install = False

    @unittest.expectedFailure
    def test_email_mfa_disqualifies_email_recovery(self):
        super().test_email_mfa_disqualifies_email_recovery()

    @unittest.expectedFailure
    def test_an_unverified_email_cannot_recover(self):
        super().test_an_unverified_email_cannot_recover()


if __name__ == "__main__":
    unittest.main()
