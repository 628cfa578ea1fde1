"""Tests of ministack_ext.passkeys (with user_auth's WEB_AUTHN challenge)
against MiniStack's own Cognito code, in process: real WebAuthn structures
from a software authenticator (authenticator.py), verified by py_webauthn."""
import asyncio
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from authenticator import Authenticator  # noqa: E402
from ministack_ext import passkeys, user_auth  # noqa: E402
from ministack.services import cognito  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

PASSWORD = "Correct-Horse-9-battery"
ORIGIN = "http://localhost:5173"
HOOKED = ("_dispatch_idp", "_initiate_auth", "_respond_to_auth_challenge")


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1] or body(answer).get("code")


class Passkeys(unittest.TestCase):
    install = True
    relying_party = "localhost"

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        saved_provisioner = provisioners._cognito_user_pool_software_token_mfa
        saved_unsigned = set(cognito._UNSIGNED_IDP_ACTIONS)
        self.addCleanup(lambda: [setattr(cognito, n, f) for n, f in saved.items()])
        self.addCleanup(setattr, provisioners, "_cognito_user_pool_software_token_mfa", saved_provisioner)
        self.addCleanup(lambda: cognito._UNSIGNED_IDP_ACTIONS.intersection_update(saved_unsigned))
        if self.install:
            passkeys.install()
            user_auth.install()
        self.pool_id = body(cognito._create_user_pool({
            "PoolName": f"p{id(self)}", "UsernameAttributes": ["email"], "MfaConfiguration": "OPTIONAL",
            "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}}))["UserPool"]["Id"]
        # As CloudFormation applies the template's WebAuthnRelyingPartyID.
        provisioners._cognito_user_pool_software_token_mfa(
            self.pool_id, {}, {"WebAuthnRelyingPartyID": self.relying_party} if self.relying_party else {})
        self.client_id = body(cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "web", "PreventUserExistenceErrors": "ENABLED",
            "ExplicitAuthFlows": ["ALLOW_USER_AUTH", "ALLOW_USER_PASSWORD_AUTH"]}))["UserPoolClient"]["ClientId"]
        cognito._sign_up({"ClientId": self.client_id, "Username": "ada@example.com", "Password": PASSWORD,
                          "UserAttributes": [{"Name": "email", "Value": "ada@example.com"}]})
        cognito._admin_confirm_sign_up({"UserPoolId": self.pool_id, "Username": "ada@example.com"})
        self.access_token = body(cognito._initiate_auth({
            "ClientId": self.client_id, "AuthFlow": "USER_PASSWORD_AUTH",
            "AuthParameters": {"USERNAME": "ada@example.com", "PASSWORD": PASSWORD}}))["AuthenticationResult"]["AccessToken"]
        self.authenticator = Authenticator(ORIGIN)

    def call(self, action, **data):
        return passkeys.HANDLERS[action]({"AccessToken": self.access_token, **data})

    def register(self, authenticator=None):
        options = body(self.call("StartWebAuthnRegistration"))["CredentialCreationOptions"]
        return self.call("CompleteWebAuthnRegistration",
                         Credential=(authenticator or self.authenticator).create(options))

    def passkey_sign_in(self, authenticator=None, tamper=None):
        started = body(cognito._initiate_auth({
            "ClientId": self.client_id, "AuthFlow": "USER_AUTH",
            "AuthParameters": {"USERNAME": "ada@example.com", "PREFERRED_CHALLENGE": "WEB_AUTHN"}}))
        self.assertEqual(started["ChallengeName"], "WEB_AUTHN", started)
        options = json.loads(started["ChallengeParameters"]["CREDENTIAL_REQUEST_OPTIONS"])
        assertion = (authenticator or self.authenticator).get(options)
        if tamper:
            tamper(assertion)
        return cognito._respond_to_auth_challenge({
            "ClientId": self.client_id, "ChallengeName": "WEB_AUTHN", "Session": started["Session"],
            "ChallengeResponses": {"USERNAME": "ada@example.com", "CREDENTIAL": json.dumps(assertion)}})


class BareMiniStack(Passkeys):
    install = False

    def test_the_bare_emulator_has_no_passkey_calls(self):
        answer = asyncio.run(cognito._dispatch_idp("ListWebAuthnCredentials", {"AccessToken": self.access_token}))
        self.assertEqual(error(answer), "InvalidAction")


class Registration(Passkeys):
    def test_the_calls_are_served(self):
        answer = asyncio.run(cognito._dispatch_idp("ListWebAuthnCredentials", {"AccessToken": self.access_token}))
        self.assertEqual(body(answer), {"Credentials": []})

    def test_a_passkey_is_registered_listed_and_deleted(self):
        options = body(self.call("StartWebAuthnRegistration"))["CredentialCreationOptions"]
        self.assertEqual((options["rp"]["id"], options["attestation"]), ("localhost", "none"))
        self.assertEqual(options["user"]["name"], "ada@example.com")
        self.assertEqual(self.call("CompleteWebAuthnRegistration", Credential=self.authenticator.create(options))[0], 200)
        listed = body(self.call("ListWebAuthnCredentials"))["Credentials"]
        self.assertEqual([(c["RelyingPartyId"], c["AuthenticatorTransports"]) for c in listed],
                         [("localhost", ["internal"])])
        self.assertNotIn("PublicKey", listed[0])
        again = body(self.call("StartWebAuthnRegistration"))["CredentialCreationOptions"]
        self.assertEqual([c["id"] for c in again["excludeCredentials"]], [listed[0]["CredentialId"]])
        self.assertEqual(self.call("DeleteWebAuthnCredential", CredentialId=listed[0]["CredentialId"])[0], 200)
        self.assertEqual(body(self.call("ListWebAuthnCredentials"))["Credentials"], [])
        self.assertEqual(error(self.call("DeleteWebAuthnCredential", CredentialId=listed[0]["CredentialId"])),
                         "ResourceNotFoundException")

    def test_another_origin_a_spent_challenge_and_a_forged_attestation_are_refused(self):
        options = body(self.call("StartWebAuthnRegistration"))["CredentialCreationOptions"]
        elsewhere = Authenticator("https://evil.example").create(options)
        self.assertEqual(error(self.call("CompleteWebAuthnRegistration", Credential=elsewhere)),
                         "WebAuthnOriginNotAllowedException")
        # The refused attempt spent the challenge.
        self.assertEqual(error(self.call("CompleteWebAuthnRegistration", Credential=self.authenticator.create(options))),
                         "WebAuthnChallengeNotFoundException")
        options = body(self.call("StartWebAuthnRegistration"))["CredentialCreationOptions"]
        wrong_challenge = self.authenticator.create({**options, "challenge": "AAAA"})
        self.assertEqual(error(self.call("CompleteWebAuthnRegistration", Credential=wrong_challenge)),
                         "WebAuthnClientMismatchException")
        self.assertEqual(body(self.call("ListWebAuthnCredentials"))["Credentials"], [])


class SignIn(Passkeys):
    def test_a_registered_passkey_signs_in(self):
        self.register()
        answer = self.passkey_sign_in()
        self.assertEqual(answer[0], 200, answer[2])
        self.assertIn("AccessToken", body(answer)["AuthenticationResult"])

    def test_an_unregistered_key_or_a_tampered_signature_is_refused(self):
        self.register()
        self.assertEqual(error(self.passkey_sign_in(Authenticator(ORIGIN))), "NotAuthorizedException")

        def tamper(assertion):
            assertion["response"]["signature"] = assertion["response"]["signature"][:-4] + "AAAA"
        self.assertEqual(error(self.passkey_sign_in(tamper=tamper)), "NotAuthorizedException")

    def test_a_deleted_passkey_no_longer_signs_in(self):
        self.register()
        credential_id = body(self.call("ListWebAuthnCredentials"))["Credentials"][0]["CredentialId"]
        self.call("DeleteWebAuthnCredential", CredentialId=credential_id)
        self.assertEqual(error(self.passkey_sign_in()), "NotAuthorizedException")

    def test_passkeys_are_among_the_choices(self):
        started = body(cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_AUTH",
                                               "AuthParameters": {"USERNAME": "ada@example.com"}}))
        self.assertIn("WEB_AUTHN", started["AvailableChallenges"])


class PoolWithoutRelyingParty(Passkeys):
    relying_party = None

    def test_passkeys_are_refused_and_not_offered(self):
        self.assertEqual(error(self.call("StartWebAuthnRegistration")), "WebAuthnNotEnabledException")
        started = body(cognito._initiate_auth({"ClientId": self.client_id, "AuthFlow": "USER_AUTH",
                                               "AuthParameters": {"USERNAME": "ada@example.com"}}))
        self.assertNotIn("WEB_AUTHN", started["AvailableChallenges"])


if __name__ == "__main__":
    unittest.main()
