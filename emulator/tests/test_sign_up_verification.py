"""Tests of ministack_ext.sign_up_verification against MiniStack's own
Cognito code, in process."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import sign_up_verification  # noqa: E402
from ministack.services import cognito  # noqa: E402


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


class Confirmation(unittest.TestCase):
    install = True

    def setUp(self):
        saved = cognito._confirm_sign_up
        self.addCleanup(lambda: setattr(cognito, "_confirm_sign_up", saved))
        if self.install:
            sign_up_verification.install()

    def pool(self, auto_verified):
        pool = body(cognito._create_user_pool({
            "PoolName": f"v{id(self)}{len(auto_verified)}", "UsernameAttributes": ["email"],
            "AutoVerifiedAttributes": auto_verified}))["UserPool"]["Id"]
        client = body(cognito._create_user_pool_client({"UserPoolId": pool, "ClientName": "c"}))
        return pool, client["UserPoolClient"]["ClientId"]

    def email_verified(self, auto_verified, admin=False):
        pool, client = self.pool(auto_verified)
        cognito._sign_up({"ClientId": client, "Username": "ada@example.com", "Password": "Correct-Horse-9-battery",
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        if admin:
            answer = cognito._admin_confirm_sign_up({"UserPoolId": pool, "Username": "ada@example.com"})
        else:
            answer = cognito._confirm_sign_up({"ClientId": client, "Username": "ada@example.com",
                                               "ConfirmationCode": "123456"})
        self.assertEqual(answer[0], 200, answer)
        user = body(cognito._admin_get_user({"UserPoolId": pool, "Username": "ada@example.com"}))
        return {a["Name"]: a["Value"] for a in user["UserAttributes"]}.get("email_verified")

    def test_confirming_with_the_mailed_code_verifies_the_email(self):
        self.assertEqual(self.email_verified(["email"]), "true")

    def test_nothing_is_verified_without_auto_verification_or_by_an_admin(self):
        self.assertNotEqual(self.email_verified([]), "true")
        self.assertNotEqual(self.email_verified(["email"], admin=True), "true")


class BareMiniStack(Confirmation):
    install = False

    def test_confirming_with_the_mailed_code_verifies_the_email(self):
        self.assertNotEqual(self.email_verified(["email"]), "true")  # the gap


if __name__ == "__main__":
    unittest.main()
