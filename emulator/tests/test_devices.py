"""Tests of ministack_ext.devices against MiniStack's own Cognito code, in
process. The device's side of SRP is computed here as the AWS SDKs compute
it (amazon-cognito-identity-js, Amplify): a random device password, its
verifier for ConfirmDevice, and the PASSWORD_CLAIM_SIGNATURE of
DEVICE_PASSWORD_VERIFIER."""
import asyncio
import base64
import hashlib
import hmac
import json
import secrets
import sys
import unittest
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import devices  # noqa: E402
from ministack.services import cognito  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"
HOOKED = ("_dispatch_idp", "_initiate_auth", "_admin_initiate_auth", "_respond_to_auth_challenge",
          "_admin_respond_to_auth_challenge")
N, G = cognito._SRP_N, cognito._SRP_G


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1] or body(answer).get("code")


def sha(data):
    return hashlib.sha256(data).digest()


def pad(n):
    return cognito._srp_pad(n)


class Device:
    """What an SDK keeps for a confirmed device: its keys and random password."""

    def __init__(self, metadata):
        self.key, self.group = metadata["DeviceKey"], metadata["DeviceGroupKey"]
        self.password = base64.b64encode(secrets.token_bytes(40)).decode()
        self.salt = int.from_bytes(b"\x01" + secrets.token_bytes(15), "big")

    def x(self, salt):
        inner = sha(f"{self.group}{self.key}:{self.password}".encode()).hex()
        return int.from_bytes(sha(bytes.fromhex(pad(salt).hex() + inner)), "big")

    def verifier_config(self):
        verifier = pow(G, self.x(self.salt), N)
        return {"PasswordVerifier": base64.b64encode(pad(verifier)).decode(),
                "Salt": base64.b64encode(pad(self.salt)).decode()}

    def proof(self, a, params, timestamp):
        big_a, big_b = pow(G, a, N), int(params["SRP_B"], 16)
        u = int.from_bytes(sha(pad(big_a) + pad(big_b)), "big")
        x = self.x(int(params["SALT"], 16))
        s = pow((big_b - cognito._SRP_K * pow(G, x, N)) % N, a + u * x, N)
        prk = hmac.new(pad(u), pad(s), hashlib.sha256).digest()
        key = hmac.new(prk, b"Caldera Derived Key\x01", hashlib.sha256).digest()[:16]
        message = (self.group + self.key).encode() + base64.b64decode(params["SECRET_BLOCK"]) + timestamp.encode()
        return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def timestamp():
    moment = datetime.now(timezone.utc)
    return f"{moment:%a %b} {moment.day} {moment:%H:%M:%S} UTC {moment.year}"


class Devices(unittest.TestCase):
    install = True
    device_configuration = {"ChallengeRequiredOnNewDevice": True, "DeviceOnlyRememberedOnUserPrompt": True}

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        self.addCleanup(lambda: [setattr(cognito, n, f) for n, f in saved.items()])
        if self.install:
            devices.install()
        pool = {"PoolName": f"d{id(self)}", "UsernameAttributes": ["email"], "MfaConfiguration": "OPTIONAL"}
        if self.device_configuration is not None:
            pool["DeviceConfiguration"] = self.device_configuration
        self.pool_id = body(cognito._create_user_pool(pool))["UserPool"]["Id"]
        self.client_id = body(cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "c",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}))["UserPoolClient"]["ClientId"]
        for name in ("ada@example.com", "bob@example.com"):
            cognito._sign_up({"ClientId": self.client_id, "Username": name, "Password": PASSWORD,
                              "UserAttributes": [{"Name": "email", "Value": name}]})
            cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": name})

    def call(self, action, **data):
        return asyncio.run(cognito._dispatch_idp(action, data))

    def user(self, name="ada@example.com"):
        return cognito._resolve_user(cognito._user_pools[self.pool_id], name)[0]

    def with_totp(self):
        user = self.user()
        user["_totp_secret"] = "JBSWY3DPEHPK3PXP"
        user["_mfa_enabled"] = ["SOFTWARE_TOKEN_MFA"]  # as VerifySoftwareToken leaves it

    def sign_in(self, device=None, name="ada@example.com"):
        params = {"USERNAME": name, "PASSWORD": PASSWORD}
        if device:
            params["DEVICE_KEY"] = device.key
        return body(cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                            "AuthParameters": params}))

    def confirmed(self, remember=True):
        result = self.sign_in()["AuthenticationResult"]
        device = Device(result["NewDeviceMetadata"])
        answer = self.call("ConfirmDevice", AccessToken=result["AccessToken"], DeviceKey=device.key,
                           DeviceSecretVerifierConfig=device.verifier_config(), DeviceName="Firefox on Linux")
        self.assertEqual(body(answer), {"UserConfirmationNecessary": True})
        if remember:
            self.call("UpdateDeviceStatus", AccessToken=result["AccessToken"], DeviceKey=device.key,
                      DeviceRememberedStatus="remembered")
        return device, result

    def device_sign_in(self, device, started, proof=None):
        a = secrets.randbelow(N - 2) + 1
        srp = body(cognito._respond_to_auth_challenge({
            "ClientId": self.client_id, "ChallengeName": "DEVICE_SRP_AUTH", "Session": started["Session"],
            "ChallengeResponses": {"USERNAME": "ada@example.com", "DEVICE_KEY": device.key,
                                   "SRP_A": format(pow(G, a, N), "x")}}))
        self.assertEqual(srp["ChallengeName"], "DEVICE_PASSWORD_VERIFIER")
        moment = timestamp()
        return cognito._respond_to_auth_challenge({
            "ClientId": self.client_id, "ChallengeName": "DEVICE_PASSWORD_VERIFIER", "Session": srp["Session"],
            "ChallengeResponses": {
                "USERNAME": "ada@example.com", "DEVICE_KEY": device.key, "TIMESTAMP": moment,
                "PASSWORD_CLAIM_SECRET_BLOCK": srp["ChallengeParameters"]["SECRET_BLOCK"],
                "PASSWORD_CLAIM_SIGNATURE": proof or device.proof(a, srp["ChallengeParameters"], moment)}})

    def test_a_sign_in_gets_a_device_key(self):
        metadata = self.sign_in()["AuthenticationResult"]["NewDeviceMetadata"]
        self.assertRegex(metadata["DeviceKey"], r"^[a-z]{2}-[a-z]+-\d_[0-9a-f-]{36}$")
        self.assertTrue(metadata["DeviceGroupKey"])

    def test_confirmed_devices_are_listed_with_their_status(self):
        device, result = self.confirmed(remember=False)
        listed = body(self.call("ListDevices", AccessToken=result["AccessToken"]))["Devices"]
        self.assertEqual([d["DeviceKey"] for d in listed], [device.key])
        attributes = {a["Name"]: a["Value"] for a in listed[0]["DeviceAttributes"]}
        self.assertEqual(attributes["dev:device_remembered_status"], "not_remembered")
        self.assertEqual(attributes["device_name"], "Firefox on Linux")
        self.call("UpdateDeviceStatus", AccessToken=result["AccessToken"], DeviceKey=device.key,
                  DeviceRememberedStatus="remembered")
        got = body(self.call("GetDevice", AccessToken=result["AccessToken"], DeviceKey=device.key))["Device"]
        self.assertIn({"Name": "dev:device_remembered_status", "Value": "remembered"}, got["DeviceAttributes"])

    def test_a_device_key_of_another_user_cannot_be_confirmed(self):
        theirs = self.sign_in(name="bob@example.com")["AuthenticationResult"]["NewDeviceMetadata"]
        mine = self.sign_in()["AuthenticationResult"]
        answer = self.call("ConfirmDevice", AccessToken=mine["AccessToken"], DeviceKey=theirs["DeviceKey"],
                           DeviceSecretVerifierConfig=Device(theirs).verifier_config())
        self.assertEqual(error(answer), "ResourceNotFoundException")

    def test_another_users_device_is_out_of_reach(self):
        device, _ = self.confirmed(remember=False)
        bob = self.sign_in(name="bob@example.com")["AuthenticationResult"]["AccessToken"]
        for action, extra in (("ForgetDevice", {}), ("GetDevice", {}),
                              ("UpdateDeviceStatus", {"DeviceRememberedStatus": "remembered"})):
            answer = self.call(action, AccessToken=bob, DeviceKey=device.key, **extra)
            self.assertEqual(error(answer), "ResourceNotFoundException", action)
        self.assertEqual(body(self.call("AdminGetDevice", UserPoolId=self.pool_id, Username="ada@example.com",
                                        DeviceKey=device.key))["Device"]["DeviceKey"], device.key)

    def test_a_remembered_device_stands_in_for_mfa(self):
        device, _ = self.confirmed()
        self.with_totp()
        self.assertEqual(self.sign_in()["ChallengeName"], "SOFTWARE_TOKEN_MFA")
        started = self.sign_in(device)
        self.assertEqual(started["ChallengeName"], "DEVICE_SRP_AUTH")
        result = body(self.device_sign_in(device, started))["AuthenticationResult"]
        self.assertNotIn("NewDeviceMetadata", result)
        self.assertEqual(cognito._token_claims(result["AccessToken"])["username"], self.user()["Username"])

    def test_a_wrong_device_proof_is_refused(self):
        device, _ = self.confirmed()
        self.with_totp()
        forged = base64.b64encode(secrets.token_bytes(32)).decode()
        self.assertEqual(error(self.device_sign_in(device, self.sign_in(device), proof=forged)),
                         "NotAuthorizedException")

    def test_a_device_not_remembered_still_asks_for_mfa(self):
        device, _ = self.confirmed(remember=False)
        self.with_totp()
        self.assertEqual(self.sign_in(device)["ChallengeName"], "SOFTWARE_TOKEN_MFA")

    def test_a_confirmed_device_signs_in_without_a_new_key(self):
        device, _ = self.confirmed()
        self.assertNotIn("NewDeviceMetadata", self.sign_in(device)["AuthenticationResult"])

    def test_forgetting_a_device_ends_its_sessions(self):
        device, result = self.confirmed()
        other = self.sign_in()["AuthenticationResult"]
        self.assertEqual(body(self.call("ForgetDevice", AccessToken=other["AccessToken"], DeviceKey=device.key)),
                         {})
        refreshed = self.call("GetTokensFromRefreshToken", ClientId=self.client_id,
                              RefreshToken=result["RefreshToken"])
        self.assertEqual(error(refreshed), "NotAuthorizedException")
        self.assertIn("AuthenticationResult", body(self.call(
            "GetTokensFromRefreshToken", ClientId=self.client_id, RefreshToken=other["RefreshToken"])))
        self.assertEqual(body(self.call("ListDevices", AccessToken=other["AccessToken"]))["Devices"], [])
        self.assertEqual(error(self.call("ForgetDevice", AccessToken=other["AccessToken"], DeviceKey=device.key)),
                         "ResourceNotFoundException")

    def test_admin_calls_list_and_forget(self):
        device, _ = self.confirmed()
        target = {"UserPoolId": self.pool_id, "Username": "ada@example.com"}
        listed = body(self.call("AdminListDevices", **target))["Devices"]
        self.assertEqual([d["DeviceKey"] for d in listed], [device.key])
        self.assertEqual(body(self.call("AdminForgetDevice", DeviceKey=device.key, **target)), {})
        self.assertEqual(body(self.call("AdminListDevices", **target))["Devices"], [])

    def test_a_stale_device_key_is_answered_as_the_sdks_expect(self):
        device, result = self.confirmed()
        self.call("ForgetDevice", AccessToken=result["AccessToken"], DeviceKey=device.key)
        answer = cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                         "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD,
                                                            "DEVICE_KEY": device.key}})
        self.assertEqual((error(answer), body(answer)["message"]), ("ResourceNotFoundException",
                                                                   "Device does not exist."))
        self.assertIn("NewDeviceMetadata", self.sign_in()["AuthenticationResult"])

    def test_listing_pages(self):
        keys = [self.confirmed(remember=False)[0].key for _ in range(3)]
        token = self.sign_in()["AuthenticationResult"]["AccessToken"]
        first = body(self.call("ListDevices", AccessToken=token, Limit=2))
        second = body(self.call("ListDevices", AccessToken=token, Limit=2,
                                PaginationToken=first["PaginationToken"]))
        self.assertEqual([d["DeviceKey"] for d in first["Devices"] + second["Devices"]], keys)
        self.assertNotIn("PaginationToken", second)
        self.assertEqual(error(self.call("ListDevices", AccessToken=token, Limit=61)), "InvalidParameterException")

    def test_bad_input_is_refused(self):
        result = self.sign_in()["AuthenticationResult"]
        key = result["NewDeviceMetadata"]["DeviceKey"]
        self.assertEqual(error(self.call("ConfirmDevice", AccessToken=result["AccessToken"], DeviceKey=key,
                                         DeviceSecretVerifierConfig={"PasswordVerifier": "not base64!"})),
                         "InvalidParameterException")
        self.assertEqual(error(self.call("ListDevices", AccessToken="forged")), "NotAuthorizedException")
        self.assertEqual(error(self.call("UpdateDeviceStatus", AccessToken=result["AccessToken"],
                                         DeviceKey=key, DeviceRememberedStatus="remembered")),
                         "ResourceNotFoundException")


class WithoutDeviceTracking(Devices):
    device_configuration = None

    def test_no_device_key_without_a_device_configuration(self):
        result = self.sign_in()["AuthenticationResult"]
        self.assertNotIn("NewDeviceMetadata", result)
        self.assertEqual(error(self.call("ListDevices", AccessToken=result["AccessToken"])),
                         "InvalidUserPoolConfigurationException")


for name in [n for n in dir(Devices) if n.startswith("test_")]:
    setattr(WithoutDeviceTracking, name, None)


class BareMiniStack(unittest.TestCase):
    def test_the_bare_emulator_has_no_devices(self):
        pool_id = body(cognito._create_user_pool({
            "PoolName": "bare", "DeviceConfiguration": Devices.device_configuration}))["UserPool"]["Id"]
        client_id = body(cognito._create_user_pool_client({
            "UserPoolId": pool_id, "ClientName": "c",
            "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH"]}))["UserPoolClient"]["ClientId"]
        cognito._sign_up({"ClientId": client_id, "Username": "ada", "Password": PASSWORD})
        cognito._admin_confirm_sign_up({"UserPoolId": pool_id, "Username": "ada"})
        result = body(cognito._initiate_auth({"ClientId": client_id, "AuthFlow": "USER_PASSWORD_AUTH",
                                              "AuthParameters": {"USERNAME": "ada", "PASSWORD": PASSWORD}}))
        self.assertNotIn("NewDeviceMetadata", result["AuthenticationResult"])
        answer = asyncio.run(cognito._dispatch_idp("ListDevices", {"AccessToken": result["AuthenticationResult"][
            "AccessToken"]}))
        self.assertNotEqual(answer[0], 200)


if __name__ == "__main__":
    unittest.main()
