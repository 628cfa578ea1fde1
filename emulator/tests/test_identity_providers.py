"""Tests of ministack_ext.identity_providers against MiniStack's own
CloudFormation resource dispatch and Cognito code, in process."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import identity_providers  # noqa: E402
from ministack.services import cognito  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

RESOURCE = identity_providers.RESOURCE


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


class IdentityProviders(unittest.TestCase):
    def setUp(self):
        saved = dict(provisioners._RESOURCE_HANDLERS)
        saved_replacing = dict(provisioners._REPLACING_PROPERTIES)

        def restore():
            provisioners._RESOURCE_HANDLERS.clear()
            provisioners._RESOURCE_HANDLERS.update(saved)
            provisioners._REPLACING_PROPERTIES.clear()
            provisioners._REPLACING_PROPERTIES.update(saved_replacing)
        self.addCleanup(restore)
        self.pool_id = body(cognito._create_user_pool({"PoolName": f"p{id(self)}"}))["UserPool"]["Id"]
        self.props = {
            "UserPoolId": self.pool_id, "ProviderName": "LocalIdP", "ProviderType": "OIDC",
            "ProviderDetails": {"client_id": "local", "client_secret": "s3cret",
                                "oidc_issuer": "https://localhost:8443", "authorize_scopes": "openid email"},
            "AttributeMapping": {"email": "email", "email_verified": "email_verified"},
        }

    def described(self):
        return body(cognito._describe_identity_provider(
            {"UserPoolId": self.pool_id, "ProviderName": "LocalIdP"})).get("IdentityProvider")

    def test_the_bare_engine_refuses_the_resource(self):
        with self.assertRaisesRegex(ValueError, "Unsupported resource type"):
            provisioners._provision_resource(RESOURCE, "Idp", self.props, "stack")

    def test_a_template_provider_is_created_updated_and_deleted(self):
        identity_providers.install()
        physical_id, attributes = provisioners._provision_resource(RESOURCE, "Idp", self.props, "stack")
        self.assertEqual((physical_id, attributes), ("LocalIdP", {"ProviderName": "LocalIdP"}))
        self.assertEqual(self.described()["ProviderDetails"]["oidc_issuer"], "https://localhost:8443")
        self.assertEqual(self.described()["AttributeMapping"]["email"], "email")

        changed = {**self.props, "ProviderDetails": {**self.props["ProviderDetails"], "client_id": "other"}}
        del changed["AttributeMapping"]
        handler = provisioners._RESOURCE_HANDLERS[RESOURCE]
        handler["update"](physical_id, self.props, changed, "stack", "Idp")
        self.assertEqual(self.described()["ProviderDetails"]["client_id"], "other")
        self.assertEqual(self.described()["AttributeMapping"], {})

        handler["delete"](physical_id, changed)
        self.assertIsNone(self.described())

    def test_a_refused_provider_fails_the_resource(self):
        identity_providers.install()
        with self.assertRaisesRegex(ValueError, "Invalid ProviderType"):
            provisioners._provision_resource(RESOURCE, "Idp", {**self.props, "ProviderType": "Kerberos"}, "stack")

    def test_the_name_and_type_replace_the_resource(self):
        identity_providers.install()
        self.assertEqual(set(provisioners._REPLACING_PROPERTIES[RESOURCE]),
                         {"UserPoolId", "ProviderName", "ProviderType"})


if __name__ == "__main__":
    unittest.main()
