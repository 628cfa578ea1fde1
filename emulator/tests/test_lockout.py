"""Tests of ministack_ext.lockout against MiniStack's own sign-in code, in
process, with a clock the test moves."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import lockout  # noqa: E402
from ministack.services import cognito  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


class SignIns(unittest.TestCase):
    install = True

    def setUp(self):
        self.saved = {name: getattr(cognito, name) for name in ("_record_auth_event", "_password_signin_refused")}
        self.clock = 1_000_000.0
        self.saved_now, lockout.now = lockout.now, lambda: self.clock
        self.addCleanup(self.restore)  # runs even when setUp fails half-way
        if self.install:
            lockout.install()
        pool = body(cognito._create_user_pool({"PoolName": f"l{id(self)}", "UsernameAttributes": ["email"]}))
        self.pool_id = pool["UserPool"]["Id"]
        self.client_id = body(cognito._create_user_pool_client(
            {"UserPoolId": self.pool_id, "ClientName": "c"}))["UserPoolClient"]["ClientId"]
        cognito._sign_up({"ClientId": self.client_id, "Username": "ada@example.com", "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": "ada@example.com"})

    def restore(self):
        for name, function in self.saved.items():
            setattr(cognito, name, function)
        lockout.now = self.saved_now

    def sign_in(self, password, admin=False):
        params = {"USERNAME": "ada@example.com", "PASSWORD": password}
        if admin:
            return cognito._admin_initiate_auth({"UserPoolId": self.pool_id, "ClientId": self.client_id,
                                                 "AuthFlow": "ADMIN_USER_PASSWORD_AUTH", "AuthParameters": params})
        return cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                       "AuthParameters": params})

    def message(self, answer):
        return body(answer).get("message") if answer[0] != 200 else "signed in"


class BareMiniStack(SignIns):
    install = False

    def test_the_bare_emulator_never_locks_out(self):
        for _ in range(10):
            self.assertEqual(self.message(self.sign_in("wrong")), "Incorrect username or password.")
        self.assertEqual(self.message(self.sign_in(PASSWORD)), "signed in")


class Lockout(SignIns):
    def test_five_failures_are_free_then_the_lockout_refuses_even_the_right_password(self):
        for _ in range(5):
            self.assertEqual(self.message(self.sign_in("wrong")), "Incorrect username or password.")
        self.assertEqual(self.message(self.sign_in(PASSWORD)), "Password attempts exceeded")
        self.assertEqual(self.message(self.sign_in(PASSWORD, admin=True)), "Password attempts exceeded")
        self.clock += 1.01
        self.assertEqual(self.message(self.sign_in(PASSWORD)), "signed in")

    def test_it_doubles_with_each_further_failure(self):
        for _ in range(5):
            self.sign_in("wrong")
        waits = []
        for _ in range(4):
            self.clock += lockout.MAX_LOCKOUT_SECONDS  # past any lockout
            self.assertEqual(self.message(self.sign_in("wrong")), "Incorrect username or password.")
            waits.append(self.seconds_locked())
        self.assertEqual(waits, [2, 4, 8, 16])

    def seconds_locked(self):
        user = cognito._resolve_user(cognito._user_pools[self.pool_id], "ada@example.com")[0]
        return round(user["_lockout_until"] - self.clock)

    def test_attempts_while_locked_do_not_extend_it(self):
        for _ in range(5):
            self.sign_in("wrong")
        for _ in range(20):
            self.assertEqual(self.message(self.sign_in("wrong")), "Password attempts exceeded")
        self.clock += 1.01
        self.assertEqual(self.message(self.sign_in(PASSWORD)), "signed in")

    def test_a_success_clears_the_count(self):
        for _ in range(4):
            self.sign_in("wrong")
        self.assertEqual(self.message(self.sign_in(PASSWORD)), "signed in")
        for _ in range(4):
            self.sign_in("wrong")
        self.assertEqual(self.message(self.sign_in(PASSWORD)), "signed in")

    def test_the_schedule_is_capped_at_fifteen_minutes(self):
        self.assertEqual([lockout.lockout_seconds(n) for n in range(4, 9)], [0, 1, 2, 4, 8])
        self.assertEqual(lockout.lockout_seconds(20), 900)


if __name__ == "__main__":
    unittest.main()
