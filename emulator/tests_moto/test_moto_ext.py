"""The moto extension (GetTokensFromRefreshToken, the email verified on
confirmation) through boto3 against moto's in-process mock (the backend
moto_server serves), and each gap on bare moto."""
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import moto_ext  # noqa: E402
from moto.cognitoidp.responses import CognitoIdpResponse  # noqa: E402


class Fixture:
    def __init__(self):
        self.idp = boto3.client("cognito-idp", region_name="us-east-1")
        pool = self.idp.create_user_pool(PoolName="p", UsernameAttributes=["email"])["UserPool"]["Id"]
        client = self.idp.create_user_pool_client(
            UserPoolId=pool, ClientName="api", GenerateSecret=True,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]
        self.client_id, self.secret = client["ClientId"], client["ClientSecret"]
        self.idp.admin_create_user(UserPoolId=pool, Username="ada@example.com", MessageAction="SUPPRESS")
        self.idp.admin_set_user_password(UserPoolId=pool, Username="ada@example.com",
                                         Password="Violet-Quasar-71!", Permanent=True)
        self.pool = pool
        tokens = self.idp.admin_initiate_auth(
            UserPoolId=pool, ClientId=self.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": "Violet-Quasar-71!",
                            "SECRET_HASH": secret_hash(self.secret, "ada@example.com", self.client_id)},
        )["AuthenticationResult"]
        self.refresh_token, self.access_token = tokens["RefreshToken"], tokens["AccessToken"]

    def refresh(self, **overrides):
        params = dict(ClientId=self.client_id, ClientSecret=self.secret, RefreshToken=self.refresh_token)
        params.update(overrides)
        return self.idp.get_tokens_from_refresh_token(**params)


def secret_hash(secret, username, client_id):
    import base64
    import hashlib
    import hmac
    return base64.b64encode(hmac.new(secret.encode(), (username + client_id).encode(), hashlib.sha256).digest()).decode()


def code(error):
    return error.exception.response["Error"]["Code"]


def racing_claims(threads=4):
    """How many of `threads` racing conditional UpdateItems that take one
    key (attribute_not_exists) succeed, with moto's condition check slowed
    so that, unserialised, they all read the item before any writes it."""
    import threading
    import time
    from moto.dynamodb import models
    original = models.create_condition_expression_parser

    def slow(*args, **kwargs):
        time.sleep(0.05)
        return original(*args, **kwargs)

    models.create_condition_expression_parser = slow
    try:
        with mock_aws():
            ddb = boto3.client("dynamodb", region_name="us-east-1")
            ddb.create_table(TableName="t", BillingMode="PAY_PER_REQUEST",
                             KeySchema=[{"AttributeName": "key", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "key", "AttributeType": "S"}])
            taken = []

            def claim(n):
                try:
                    ddb.update_item(TableName="t", Key={"key": {"S": "claim"}}, UpdateExpression="SET holder = :n",
                                    ConditionExpression="attribute_not_exists(holder)",
                                    ExpressionAttributeValues={":n": {"N": str(n)}})
                    taken.append(n)
                except ClientError as error:
                    assert error.response["Error"]["Code"] == "ConditionalCheckFailedException", error

            racers = [threading.Thread(target=claim, args=(n,)) for n in range(threads)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
            return len(taken)
    finally:
        models.create_condition_expression_parser = original


class BareMoto(unittest.TestCase):
    def test_racing_conditional_writes_all_succeed(self):
        if moto_ext._original:
            self.skipTest("the extension is installed in this process")
        self.assertGreater(racing_claims(), 1, "bare moto serialised the writes: the extension may be obsolete")

    def test_confirming_leaves_the_email_unverified(self):
        from moto.cognitoidp.models import CognitoIdpBackend
        if moto_ext._original:
            self.skipTest("the extension is installed in this process")
        with mock_aws():
            idp = boto3.client("cognito-idp", region_name="us-east-1")
            pool = idp.create_user_pool(PoolName="v", UsernameAttributes=["email"],
                                        AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
            client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]["ClientId"]
            idp.sign_up(ClientId=client, Username="bo@example.com", Password="Violet-Quasar-71!",
                        UserAttributes=[{"Name": "email", "Value": "bo@example.com"}])
            idp.confirm_sign_up(ClientId=client, Username="bo@example.com", ConfirmationCode="123456")
            attributes = {a["Name"]: a["Value"] for a in
                          idp.admin_get_user(UserPoolId=pool, Username="bo@example.com")["UserAttributes"]}
            self.assertNotEqual(attributes.get("email_verified"), "true")
            self.assertIsNotNone(CognitoIdpBackend.confirm_sign_up)

    def test_the_gap(self):
        saved = CognitoIdpResponse.__dict__.get("get_tokens_from_refresh_token")
        if saved is not None:
            delattr(CognitoIdpResponse, "get_tokens_from_refresh_token")
        try:
            with mock_aws():
                fixture = Fixture()
                with self.assertRaises(Exception) as missing:
                    fixture.refresh()
                self.assertNotIsInstance(missing.exception, AssertionError)
        finally:
            if saved is not None:
                CognitoIdpResponse.get_tokens_from_refresh_token = saved


class WithExtension(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        moto_ext.install()

    def test_new_tokens_from_the_refresh_token_and_the_client_secret(self):
        with mock_aws():
            fixture = Fixture()
            result = fixture.refresh()["AuthenticationResult"]
            self.assertTrue(result["AccessToken"] and result["IdToken"])
            self.assertEqual(result["TokenType"], "Bearer")
            self.assertNotIn("RefreshToken", result)
            user = fixture.idp.get_user(AccessToken=result["AccessToken"])
            self.assertIn("ada@example.com", [a["Value"] for a in user["UserAttributes"]])

    def test_a_wrong_secret_an_unknown_or_revoked_token_is_not_authorized(self):
        with mock_aws():
            fixture = Fixture()
            with self.assertRaises(ClientError) as wrong_secret:
                fixture.refresh(ClientSecret="not-the-client-secret-at-all-0")
            self.assertEqual(code(wrong_secret), "NotAuthorizedException")
            with self.assertRaises(ClientError) as unknown:
                fixture.refresh(RefreshToken="forged")
            self.assertEqual(code(unknown), "NotAuthorizedException")
            fixture.idp.global_sign_out(AccessToken=fixture.access_token)
            with self.assertRaises(ClientError) as revoked:
                fixture.refresh()
            self.assertEqual(code(revoked), "NotAuthorizedException")

    def test_confirming_sign_up_verifies_an_auto_verified_email(self):
        with mock_aws():
            idp = boto3.client("cognito-idp", region_name="us-east-1")
            for auto_verified, expected in ((["email"], "true"), ([], None)):
                pool = idp.create_user_pool(PoolName="v", UsernameAttributes=["email"],
                                            AutoVerifiedAttributes=auto_verified)["UserPool"]["Id"]
                client = idp.create_user_pool_client(UserPoolId=pool, ClientName="c")["UserPoolClient"]["ClientId"]
                idp.sign_up(ClientId=client, Username="bo@example.com", Password="Violet-Quasar-71!",
                            UserAttributes=[{"Name": "email", "Value": "bo@example.com"}])
                idp.confirm_sign_up(ClientId=client, Username="bo@example.com", ConfirmationCode="123456")
                attributes = {a["Name"]: a["Value"] for a in
                              idp.admin_get_user(UserPoolId=pool, Username="bo@example.com")["UserAttributes"]}
                self.assertEqual(attributes.get("email_verified"), expected, auto_verified)

    def test_a_conditional_write_is_atomic(self):
        self.assertEqual(racing_claims(), 1)

    def test_pins(self):
        moto_ext.check_pins()
        with self.assertRaises(moto_ext.IncompatibleMoto):
            moto_ext.check_pins(version="5.2.4")


if __name__ == "__main__":
    unittest.main()
