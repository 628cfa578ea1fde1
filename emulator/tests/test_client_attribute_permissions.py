"""Tests of ministack_ext.client_attribute_permissions against MiniStack's
own Cognito code, in process."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import client_attribute_permissions  # noqa: E402
from ministack.services import cognito  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"
HOOKED = ("_sign_up", "_update_user_attributes", "_get_user")


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1]


def attribute(name, value):
    return {"Name": name, "Value": value}


class Permissions(unittest.TestCase):
    install = True

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        self.addCleanup(lambda: [setattr(cognito, n, f) for n, f in saved.items()])
        if self.install:
            client_attribute_permissions.install()
        self.pool_id = body(cognito._create_user_pool({
            "PoolName": f"p{id(self)}", "UsernameAttributes": ["email"]}))["UserPool"]["Id"]

        def client(name, **lists):
            return body(cognito._create_user_pool_client({
                "UserPoolId": self.pool_id, "ClientName": name,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"], **lists}))["UserPoolClient"]["ClientId"]
        # As the template's web client: no preferred_username to write or read.
        self.web = client("web", ReadAttributes=["email", "email_verified", "name"],
                          WriteAttributes=["email", "name"])
        self.open = client("open")

    def sign_up(self, client_id, email, *extra):
        return cognito._sign_up({"ClientId": client_id, "Username": email, "Password": PASSWORD,
                                 "UserAttributes": [attribute("email", email), attribute("name", "Ada"), *extra]})

    def token(self, client_id, email):
        self.assertNotIn("__type", body(self.sign_up(self.open, email, attribute("preferred_username", "ada"))))
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": email})
        return body(cognito._initiate_auth({
            "ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": email, "PASSWORD": PASSWORD}}))["AuthenticationResult"]["AccessToken"]

    def test_sign_up_refuses_an_attribute_outside_the_write_list(self):
        refused = self.sign_up(self.web, "ada@example.com", attribute("preferred_username", "ada"))
        self.assertEqual(error(refused), "NotAuthorizedException")
        self.assertEqual(body(refused)["message"], client_attribute_permissions.UNAUTHORIZED_WRITE)
        self.assertEqual(cognito._user_pools[self.pool_id]["_users"], {}, "nothing is created")

    def test_update_refuses_it_too_and_writes_nothing(self):
        token = self.token(self.web, "bob@example.com")
        refused = cognito._update_user_attributes({"AccessToken": token, "UserAttributes": [
            attribute("name", "Bob"), attribute("preferred_username", "bobby")]})
        self.assertEqual(error(refused), "NotAuthorizedException")
        names = {a["Name"]: a["Value"] for a in body(cognito._admin_get_user(
            {"UserPoolId": self.pool_id, "Username": "bob@example.com"}))["UserAttributes"]}
        self.assertEqual((names["name"], names["preferred_username"]), ("Ada", "ada"))

    def test_get_user_leaves_out_what_the_client_cannot_read(self):
        token = self.token(self.web, "cy@example.com")
        names = {a["Name"] for a in body(cognito._get_user({"AccessToken": token}))["UserAttributes"]}
        self.assertIn("sub", names)
        self.assertIn("email", names)
        self.assertNotIn("preferred_username", names)

    def test_a_client_without_lists_reads_and_writes_everything(self):
        token = self.token(self.open, "di@example.com")
        names = {a["Name"] for a in body(cognito._get_user({"AccessToken": token}))["UserAttributes"]}
        self.assertIn("preferred_username", names)
        self.assertNotIn("__type", body(cognito._update_user_attributes(
            {"AccessToken": token, "UserAttributes": [attribute("preferred_username", "di")]})))


class PermissionsOnBareMiniStack(Permissions):
    install = False

    @unittest.expectedFailure
    def test_sign_up_refuses_an_attribute_outside_the_write_list(self):
        super().test_sign_up_refuses_an_attribute_outside_the_write_list()

    @unittest.expectedFailure
    def test_update_refuses_it_too_and_writes_nothing(self):
        super().test_update_refuses_it_too_and_writes_nothing()

    @unittest.expectedFailure
    def test_get_user_leaves_out_what_the_client_cannot_read(self):
        super().test_get_user_leaves_out_what_the_client_cannot_read()


if __name__ == "__main__":
    unittest.main()
