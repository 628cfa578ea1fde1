"""Tests of ministack_ext.federation_pkce against MiniStack's own managed
login and federation code, in process. The OpenID Connect provider's token
endpoint is a local HTTP server answering one ID token, all MiniStack's
callback asks of it."""
import base64
import hashlib
import json
import secrets
import sys
import threading
import unittest
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import federation_pkce  # noqa: E402
from ministack.services import cognito  # noqa: E402

HOOKED = ("_oauth2_authorize_federation", "_oauth2_idp_response", "_saml2_idp_response", "_oauth2_token")
CALLBACK = "http://localhost:5173/"


def unsigned_jwt(claims):
    part = lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'none'})}.{part(claims)}."


class TokenEndpoint(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps({"access_token": "idp-access", "token_type": "Bearer", "id_token": unsigned_jwt(
            {"sub": "idp-user-1", "email": "ada@example.com", "email_verified": True})}).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class FederationPkce(unittest.TestCase):
    install = True

    @classmethod
    def setUpClass(cls):
        cls.idp = HTTPServer(("127.0.0.1", 0), TokenEndpoint)
        threading.Thread(target=cls.idp.serve_forever, daemon=True).start()

    @classmethod
    def tearDownClass(cls):
        cls.idp.shutdown()

    def setUp(self):
        saved = {name: getattr(cognito, name) for name in HOOKED}
        self.addCleanup(lambda: [setattr(cognito, n, f) for n, f in saved.items()])
        if self.install:
            federation_pkce.install()
        self.pool_id = json.loads(cognito._create_user_pool({"PoolName": f"f{id(self)}"})[2])["UserPool"]["Id"]
        cognito._create_identity_provider({
            "UserPoolId": self.pool_id, "ProviderName": "LocalIdP", "ProviderType": "OIDC",
            "ProviderDetails": {"client_id": "local", "client_secret": "s", "authorize_scopes": "openid email",
                                "authorize_url": "http://127.0.0.1:9/authorize",
                                "token_url": f"http://127.0.0.1:{self.idp.server_port}/token"},
            "AttributeMapping": {"email": "email"}})
        self.client_id = json.loads(cognito._create_user_pool_client({
            "UserPoolId": self.pool_id, "ClientName": "web", "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid", "email"], "CallbackURLs": [CALLBACK],
            "SupportedIdentityProviders": ["LocalIdP"]})[2])["UserPoolClient"]["ClientId"]
        self.verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(self.verifier.encode()).digest()
        self.challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def federated_code(self, **pkce):
        sent = cognito.handle_oauth2_authorize("GET", "/oauth2/authorize", {}, {
            "client_id": self.client_id, "redirect_uri": CALLBACK, "response_type": "code", "scope": "openid email",
            "identity_provider": "LocalIdP", "state": "app-state", **pkce})
        self.assertEqual(sent[0], 302, sent)
        relay = parse_qs(urlparse(sent[1]["Location"]).query)["state"][0]
        back = cognito._oauth2_idp_response("GET", b"", {"code": "idp-code", "state": relay})
        self.assertEqual(back[0], 302, back)
        return parse_qs(urlparse(back[1]["Location"]).query)["code"][0]

    def redeem(self, code, verifier=None):
        form = {"grant_type": "authorization_code", "client_id": self.client_id, "code": code,
                "redirect_uri": CALLBACK}
        if verifier is not None:
            form["code_verifier"] = verifier
        answer = cognito._oauth2_token({}, {}, urlencode(form).encode(), {})
        return answer[0], json.loads(answer[2])

    def test_a_federated_code_needs_its_verifier(self):
        code = self.federated_code(code_challenge=self.challenge, code_challenge_method="S256")
        for wrong in (None, secrets.token_urlsafe(48)):
            status, body = self.redeem(code, wrong)
            self.assertEqual((status, body.get("error")), (400, "invalid_grant"), wrong)
        status, body = self.redeem(code, self.verifier)
        self.assertEqual(status, 200, body)
        self.assertIn("access_token", body)

    def test_without_a_challenge_the_code_redeems_as_before(self):
        status, body = self.redeem(self.federated_code())
        self.assertEqual(status, 200, body)

    def test_a_plain_challenge_is_refused_at_the_authorization_endpoint(self):
        sent = cognito.handle_oauth2_authorize("GET", "/oauth2/authorize", {}, {
            "client_id": self.client_id, "redirect_uri": CALLBACK, "response_type": "code",
            "identity_provider": "LocalIdP", "state": "s", "code_challenge": "abc", "code_challenge_method": "plain"})
        self.assertIn("error=invalid_request", sent[1]["Location"])


class BareMiniStack(FederationPkce):
    install = False

    def test_a_federated_code_needs_its_verifier(self):
        code = self.federated_code(code_challenge=self.challenge, code_challenge_method="S256")
        status, body = self.redeem(code)
        self.assertEqual(status, 200, "MiniStack redeems a federated code without its verifier")

    def test_a_plain_challenge_is_refused_at_the_authorization_endpoint(self):
        pass


if __name__ == "__main__":
    unittest.main()
