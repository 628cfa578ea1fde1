"""Tests of ministack_ext.auth_time against MiniStack's own Cognito code, in
process, with a clock the test moves."""
import base64
import json
import sys
import unittest
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import auth_time  # noqa: E402
from ministack.services import cognito  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class AuthTime(unittest.TestCase):
    install = True

    def setUp(self):
        saved = cognito._signed_jwt
        self.addCleanup(lambda: setattr(cognito, "_signed_jwt", saved))
        if self.install:
            auth_time.install()
        self.clock = 2_000_000_000.0
        patcher = mock.patch.object(cognito.time, "time", lambda: self.clock)
        patcher.start()
        self.addCleanup(patcher.stop)
        pool = body(cognito._create_user_pool(
            {"PoolName": f"t{id(self)}", "UsernameAttributes": ["email"]}))["UserPool"]["Id"]
        self.client_id = body(cognito._create_user_pool_client({
            "UserPoolId": pool, "ClientName": "web",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]}))["UserPoolClient"]["ClientId"]
        cognito._sign_up({"ClientId": self.client_id, "Username": "ada@example.com", "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        cognito._admin_confirm_sign_up({"UserPoolId": pool, "Username": "ada@example.com"})

    def sign_in(self):
        answer = cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                         "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD}})
        self.assertEqual(answer[0], 200, answer[2])
        return body(answer)["AuthenticationResult"]

    def refreshed(self, refresh_token):
        answer = cognito._get_tokens_from_refresh_token({"ClientId": self.client_id, "RefreshToken": refresh_token})
        self.assertEqual(answer[0], 200, answer[2])
        return body(answer)["AuthenticationResult"]

    def test_a_refresh_keeps_the_sign_ins_auth_time(self):
        first = self.sign_in()
        signed_in_at = claims(first["AccessToken"])["auth_time"]
        self.assertEqual(signed_in_at, int(self.clock))
        self.clock += 900
        later = self.refreshed(first["RefreshToken"])
        for token in ("AccessToken", "IdToken"):
            self.assertEqual(claims(later[token])["auth_time"], signed_in_at, token)
            self.assertEqual(claims(later[token])["iat"], int(self.clock), token)

    def test_a_new_sign_in_has_its_own_auth_time(self):
        self.sign_in()
        self.clock += 900
        again = self.sign_in()
        self.assertEqual(claims(again["AccessToken"])["auth_time"], int(self.clock))


class BareMiniStack(AuthTime):
    install = False

    def test_a_refresh_keeps_the_sign_ins_auth_time(self):
        first = self.sign_in()
        self.clock += 900
        later = self.refreshed(first["RefreshToken"])
        # The gap: a refresh looks like a new sign-in.
        self.assertEqual(claims(later["AccessToken"])["auth_time"], int(self.clock))


if __name__ == "__main__":
    unittest.main()
