"""Tests of ministack_ext.user_auth against MiniStack's own Cognito code, in
process, with only the mail recorder replaced: choice-based sign-in through
InitiateAuth and RespondToAuthChallenge."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import user_auth  # noqa: E402
from ministack.services import cognito  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"
HOOKED = ("_initiate_auth", "_respond_to_auth_challenge", "_send_email_otp")


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1] or body(answer).get("code")


class ChoiceBasedSignIn(unittest.TestCase):
    install = True
    factors = ["PASSWORD", "EMAIL_OTP"]
    mfa = "OPTIONAL"

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        saved_now = user_auth.now
        self.addCleanup(lambda: [setattr(cognito, n, f) for n, f in saved.items()])
        self.addCleanup(setattr, user_auth, "now", saved_now)
        self.clock = 3_000_000.0
        user_auth.now = lambda: self.clock
        if self.install:
            user_auth.install()
        self.mails = []
        cognito._send_email_otp = lambda pool, username, attributes, code: self.mails.append(
            (attributes.get("email"), code))
        self.pool_id = body(cognito._create_user_pool({
            "PoolName": f"u{id(self)}", "UsernameAttributes": ["email"], "MfaConfiguration": self.mfa,
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": self.factors}}}))["UserPool"]["Id"]
        self.client_id = self.client(["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH"])
        cognito._sign_up({"ClientId": self.client_id, "Username": "ada@example.com", "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": "ada@example.com"})
        cognito._admin_update_user_attributes({"UserPoolId": self.pool_id, "Username": "ada@example.com",
                                               "UserAttributes": [{"Name": "email_verified", "Value": "true"}]})

    def client(self, flows):
        return body(cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "c", "ExplicitAuthFlows": flows,
            "PreventUserExistenceErrors": "ENABLED"}))["UserPoolClient"]["ClientId"]

    def start(self, username="ada@example.com", client_id=None, **parameters):
        return cognito._initiate_auth({"ClientId": client_id or self.client_id, "AuthFlow": "USER_AUTH",
                                       "AuthParameters": {"USERNAME": username, **parameters}})

    def respond(self, session, name, username="ada@example.com", **responses):
        return cognito._respond_to_auth_challenge({
            "ClientId": self.client_id, "ChallengeName": name, "Session": session,
            "ChallengeResponses": {"USERNAME": username, **responses}})


class BareMiniStack(ChoiceBasedSignIn):
    install = False

    def test_the_bare_emulator_has_no_user_auth_in_its_api(self):
        answer = self.start(PREFERRED_CHALLENGE="EMAIL_OTP")
        self.assertEqual((answer[0], body(answer).get("message")), (400, "Unsupported AuthFlow: USER_AUTH"))


class EmailCode(ChoiceBasedSignIn):
    def test_a_mailed_code_signs_in(self):
        started = body(self.start(PREFERRED_CHALLENGE="EMAIL_OTP"))
        self.assertEqual(started["ChallengeName"], "EMAIL_OTP")
        self.assertEqual(started["ChallengeParameters"], {"CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
                                                          "CODE_DELIVERY_DESTINATION": "a****@e****"})
        self.assertEqual(len(self.mails), 1)
        address, code = self.mails[0]
        self.assertEqual(address, "ada@example.com")
        answer = self.respond(started["Session"], "EMAIL_OTP", EMAIL_OTP_CODE=code)
        self.assertEqual(answer[0], 200, answer[2])
        claims = cognito._token_claims(body(answer)["AuthenticationResult"]["AccessToken"])
        self.assertEqual(claims["username"], cognito._resolve_user(
            cognito._user_pools[self.pool_id], "ada@example.com")[0]["Username"])

    def test_a_wrong_code_is_refused_and_the_session_used_once(self):
        started = body(self.start(PREFERRED_CHALLENGE="EMAIL_OTP"))
        wrong = self.respond(started["Session"], "EMAIL_OTP", EMAIL_OTP_CODE="000000")
        self.assertEqual((wrong[0], error(wrong)), (400, "CodeMismatchException"))
        code = self.mails[0][1]
        self.assertEqual(self.respond(started["Session"], "EMAIL_OTP", EMAIL_OTP_CODE=code)[0], 200)
        again = self.respond(started["Session"], "EMAIL_OTP", EMAIL_OTP_CODE=code)
        self.assertEqual(again[0], 400)

    def test_the_session_expires_with_the_clients_auth_session_validity(self):
        started = body(self.start(PREFERRED_CHALLENGE="EMAIL_OTP"))
        self.clock += 3 * 60 + 1
        late = self.respond(started["Session"], "EMAIL_OTP", EMAIL_OTP_CODE=self.mails[0][1])
        self.assertEqual((late[0], error(late)), (400, "NotAuthorizedException"))

    def test_an_unknown_user_gets_the_same_challenge_and_no_mail(self):
        known = body(self.start(PREFERRED_CHALLENGE="EMAIL_OTP"))
        unknown = body(self.start("nobody@example.com", PREFERRED_CHALLENGE="EMAIL_OTP"))
        self.assertEqual(set(known), set(unknown))
        self.assertEqual(unknown["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"], "n****@e****")
        self.assertEqual(len(self.mails), 1)
        refused = self.respond(unknown["Session"], "EMAIL_OTP", "nobody@example.com", EMAIL_OTP_CODE="123456")
        self.assertEqual(error(refused), "CodeMismatchException")

    def test_another_users_name_cannot_answer_the_session(self):
        started = body(self.start(PREFERRED_CHALLENGE="EMAIL_OTP"))
        answer = self.respond(started["Session"], "EMAIL_OTP", "eve@example.com", EMAIL_OTP_CODE=self.mails[0][1])
        self.assertEqual(answer[0], 400)

    def test_a_client_without_allow_user_auth_is_refused(self):
        client_id = self.client(["ALLOW_USER_PASSWORD_AUTH"])
        answer = self.start(client_id=client_id, PREFERRED_CHALLENGE="EMAIL_OTP")
        self.assertEqual((answer[0], error(answer)), (400, "InvalidParameterException"))
        self.assertEqual(self.mails, [])


class Choices(ChoiceBasedSignIn):
    def test_no_preference_offers_the_pools_factors_and_an_answer_continues(self):
        started = body(self.start())
        self.assertEqual(started["ChallengeName"], "SELECT_CHALLENGE")
        self.assertEqual(started["AvailableChallenges"], ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP"])
        chosen = body(self.respond(started["Session"], "SELECT_CHALLENGE", ANSWER="EMAIL_OTP"))
        self.assertEqual(chosen["ChallengeName"], "EMAIL_OTP")
        by_password = body(self.respond(body(self.start())["Session"], "SELECT_CHALLENGE",
                                        ANSWER="PASSWORD", PASSWORD=PASSWORD))
        self.assertIn("AccessToken", by_password["AuthenticationResult"])

    def test_a_preferred_password_is_the_password_sign_in(self):
        signed_in = self.start(PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
        self.assertIn("AccessToken", body(signed_in)["AuthenticationResult"])
        wrong = self.start(PREFERRED_CHALLENGE="PASSWORD", PASSWORD="wrong")
        self.assertEqual(error(wrong), "NotAuthorizedException")


class PasswordsOnly(ChoiceBasedSignIn):
    factors = ["PASSWORD"]

    def test_a_pool_without_email_codes_offers_passwords_and_mails_nothing(self):
        started = body(self.start(PREFERRED_CHALLENGE="EMAIL_OTP"))
        self.assertEqual((started["ChallengeName"], started["AvailableChallenges"]),
                         ("SELECT_CHALLENGE", ["PASSWORD", "PASSWORD_SRP"]))
        refused = self.respond(started["Session"], "SELECT_CHALLENGE", ANSWER="EMAIL_OTP")
        self.assertEqual(error(refused), "InvalidParameterException")
        self.assertEqual(self.mails, [])


if __name__ == "__main__":
    unittest.main()
