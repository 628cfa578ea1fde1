"""Tests of ministack_ext.concurrent_lookups against MiniStack's own Cognito
code, in process: a user inserted while a lookup iterates the pool's users
(as a SignUp on another thread does) fails the lookup on bare MiniStack and
not with the extension."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import concurrent_lookups  # noqa: E402
from ministack.services import cognito  # noqa: E402


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


class SignUpMeanwhile(dict):
    """A user record whose first read inserts another user into the pool,
    at the moment a concurrent SignUp would."""

    def __init__(self, users, record):
        super().__init__(record)
        self.users = users
        self.done = False

    def get(self, key, default=None):
        if not self.done:
            self.done = True
            self.users["late-arrival"] = {"Username": "late-arrival", "Attributes": []}
        return super().get(key, default)


class Lookup(unittest.TestCase):
    def setUp(self):
        saved = cognito._resolve_user
        self.addCleanup(lambda: setattr(cognito, "_resolve_user", saved))
        pool_id = body(cognito._create_user_pool({
            "PoolName": f"c{id(self)}", "UsernameAttributes": ["email"]}))["UserPool"]["Id"]
        client = body(cognito._create_user_pool_client({"UserPoolId": pool_id, "ClientName": "c"}))
        for name in ("ada@example.com", "grace@example.com"):
            cognito._sign_up({"ClientId": client["UserPoolClient"]["ClientId"], "Username": name,
                              "Password": "Correct-Horse-9-battery",
                              "UserAttributes": [{"Name": "email", "Value": name}]})
        self.pool = cognito._pool_for_client(client["UserPoolClient"]["ClientId"])[0]
        users = self.pool["_users"]
        first = next(iter(users))
        users[first] = SignUpMeanwhile(users, users[first])

    def test_bare_ministack_fails_the_lookup(self):
        with self.assertRaisesRegex(RuntimeError, "changed size during iteration"):
            cognito._resolve_user(self.pool, "grace@example.com")

    def test_the_extension_looks_again(self):
        concurrent_lookups.install()
        user, error = cognito._resolve_user(self.pool, "grace@example.com")
        self.assertIsNone(error)
        self.assertEqual([a["Value"] for a in user["Attributes"] if a["Name"] == "email"], ["grace@example.com"])


if __name__ == "__main__":
    unittest.main()
