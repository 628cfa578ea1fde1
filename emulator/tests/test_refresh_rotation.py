"""Tests of ministack_ext.refresh_rotation against MiniStack's own Cognito
code and CloudFormation resource handlers, in process, with a clock the
test moves."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import refresh_rotation  # noqa: E402
from ministack.services import cognito  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"
HOOKED = ("_create_user_pool_client", "_update_user_pool_client", "_get_tokens_from_refresh_token",
          "_initiate_auth", "_admin_initiate_auth")


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1] or body(answer).get("code")


class Rotation(unittest.TestCase):
    install = True
    rotation = {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        saved_handlers = dict(provisioners._RESOURCE_HANDLERS["AWS::Cognito::UserPoolClient"])
        saved_provisioners = (provisioners._cognito_user_pool_client_create,
                              provisioners._cognito_user_pool_client_update)
        saved_now = refresh_rotation.now

        def restore():
            for name, function in saved.items():
                setattr(cognito, name, function)
            provisioners._RESOURCE_HANDLERS["AWS::Cognito::UserPoolClient"].update(saved_handlers)
            (provisioners._cognito_user_pool_client_create,
             provisioners._cognito_user_pool_client_update) = saved_provisioners
            provisioners._COGNITO_USER_POOL_CLIENT_UPDATABLE.pop("RefreshTokenRotation", None)
            refresh_rotation.now = saved_now
        self.addCleanup(restore)
        self.clock = 2_000_000.0
        refresh_rotation.now = lambda: self.clock
        if self.install:
            refresh_rotation.install()
        self.pool_id = body(cognito._create_user_pool(
            {"PoolName": f"r{id(self)}", "UsernameAttributes": ["email"]}))["UserPool"]["Id"]
        created = cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "web", "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"],
            "RefreshTokenRotation": self.rotation})
        self.assertEqual(created[0], 200, created[2])
        self.created = body(created)["UserPoolClient"]
        self.client_id = self.created["ClientId"]
        cognito._sign_up({"ClientId": self.client_id, "Username": "ada@example.com", "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": "ada@example.com"})

    def sign_in(self):
        answer = cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                         "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD}})
        self.assertEqual(answer[0], 200, answer[2])
        return body(answer)["AuthenticationResult"]["RefreshToken"]

    def refresh(self, token):
        return cognito._get_tokens_from_refresh_token({"ClientId": self.client_id, "RefreshToken": token})


class BareMiniStack(Rotation):
    install = False

    def test_the_bare_emulator_drops_the_setting_and_never_rotates(self):
        self.assertNotIn("RefreshTokenRotation", self.created)
        token = self.sign_in()
        answer = self.refresh(token)
        self.assertNotIn("RefreshToken", body(answer)["AuthenticationResult"])
        self.clock += 3600
        self.assertEqual(self.refresh(token)[0], 200)


class Rotating(Rotation):
    def test_the_client_keeps_its_setting(self):
        self.assertEqual(self.created["RefreshTokenRotation"], self.rotation)
        described = body(cognito._describe_user_pool_client(
            {"UserPoolId": self.pool_id, "ClientId": self.client_id}))["UserPoolClient"]
        self.assertEqual(described["RefreshTokenRotation"], self.rotation)

    def test_a_refresh_answers_a_new_refresh_token_of_the_same_session(self):
        token = self.sign_in()
        result = body(self.refresh(token))["AuthenticationResult"]
        replacement = result["RefreshToken"]
        self.assertNotEqual(replacement, token)
        old, new = cognito._token_claims(token), cognito._token_claims(replacement)
        for claim in ("sub", "client_id", "origin_jti", "exp", "token_use", "iss"):
            self.assertEqual(old[claim], new[claim], claim)
        self.assertNotEqual(old["jti"], new["jti"])
        self.assertIn("AccessToken", result)
        self.assertEqual(self.refresh(replacement)[0], 200)

    def test_the_replaced_token_works_within_the_grace_period_then_is_refused(self):
        token = self.sign_in()
        self.refresh(token)
        self.clock += 9.5
        self.assertEqual(self.refresh(token)[0], 200)  # a retry; the grace runs from the first use
        self.clock += 1
        refused = self.refresh(token)
        self.assertEqual((refused[0], error(refused)), (400, "RefreshTokenReuseException"))

    def test_a_grace_period_of_zero_refuses_the_second_use_at_once(self):
        cognito._update_user_pool_client({"UserPoolId": self.pool_id, "ClientId": self.client_id,
                                          "RefreshTokenRotation": {"Feature": "ENABLED"}})
        token = self.sign_in()
        self.assertEqual(self.refresh(token)[0], 200)
        self.clock += 0.001
        self.assertEqual(error(self.refresh(token)), "RefreshTokenReuseException")

    def test_revoking_the_replacement_ends_the_session(self):
        # MiniStack ends a revoked token's session only with AUTH on, as the
        # local stack runs it.
        import ministack.app
        saved, ministack.app.AUTH = ministack.app.AUTH, True
        self.addCleanup(setattr, ministack.app, "AUTH", saved)
        token = self.sign_in()
        replacement = body(self.refresh(token))["AuthenticationResult"]["RefreshToken"]
        cognito._revoke_token({"ClientId": self.client_id, "Token": replacement})
        self.assertEqual(error(self.refresh(token)), "NotAuthorizedException")

    def test_refresh_token_auth_is_refused_on_a_rotating_client(self):
        token = self.sign_in()
        answer = cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "REFRESH_TOKEN_AUTH",
                                         "AuthParameters": {"REFRESH_TOKEN": token}})
        self.assertEqual((answer[0], error(answer)), (400, "InvalidParameterException"))

    def test_disabling_rotation_restores_plain_refresh(self):
        cognito._update_user_pool_client({"UserPoolId": self.pool_id, "ClientId": self.client_id,
                                          "RefreshTokenRotation": {"Feature": "DISABLED"}})
        token = self.sign_in()
        self.assertNotIn("RefreshToken", body(self.refresh(token))["AuthenticationResult"])
        self.clock += 3600
        self.assertEqual(self.refresh(token)[0], 200)

    def test_settings_the_api_reference_does_not_allow_are_refused(self):
        for rotation in ({"Feature": "ON"}, {"RetryGracePeriodSeconds": 5},
                         {"Feature": "ENABLED", "RetryGracePeriodSeconds": 61},
                         {"Feature": "ENABLED", "RetryGracePeriodSeconds": "10"},
                         {"Feature": "ENABLED", "Grace": 1}, "ENABLED"):
            answer = cognito._create_user_pool_client(
                {"UserPoolId": self.pool_id, "ClientName": "x", "RefreshTokenRotation": rotation})
            self.assertEqual((answer[0], error(answer)), (400, "InvalidParameterException"), rotation)


class Template(Rotation):
    rotation = {"Feature": "DISABLED"}

    def test_the_template_property_reaches_the_client_and_a_dropped_one_is_removed(self):
        props = {"UserPoolId": self.pool_id, "ClientName": "api", "GenerateSecret": False,
                 # a Number parameter's reference arrives as text
                 "RefreshTokenRotation": {"Feature": "ENABLED", "RetryGracePeriodSeconds": "5"}}
        handlers = provisioners._RESOURCE_HANDLERS["AWS::Cognito::UserPoolClient"]
        client_id, _ = handlers["create"]("ApiClient", props, "stack")
        record = cognito._user_pools[self.pool_id]["_clients"][client_id]
        self.assertEqual(record["RefreshTokenRotation"], {"Feature": "ENABLED", "RetryGracePeriodSeconds": 5})
        dropped = {k: v for k, v in props.items() if k != "RefreshTokenRotation"}
        handlers["update"](client_id, props, dropped, "stack", "ApiClient")
        self.assertNotIn("RefreshTokenRotation", record)


if __name__ == "__main__":
    unittest.main()
