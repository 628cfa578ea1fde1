"""Tests of ministack_ext.managed_login against MiniStack's own Cognito code
and CloudFormation resource dispatch, in process."""
import asyncio
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import managed_login  # noqa: E402
from ministack.services import cognito  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

RESOURCE = managed_login.RESOURCE


def body(answer):
    return json.loads(answer[2]) if answer[2] else {}


def error(answer):
    return body(answer).get("__type", "").split("#")[-1] or body(answer).get("code")


class ManagedLogin(unittest.TestCase):
    install = True

    def setUp(self):
        saved_dispatch = cognito._dispatch_idp
        saved = dict(provisioners._RESOURCE_HANDLERS)
        saved_replacing = dict(provisioners._REPLACING_PROPERTIES)

        def restore():
            cognito._dispatch_idp = saved_dispatch
            provisioners._RESOURCE_HANDLERS.clear()
            provisioners._RESOURCE_HANDLERS.update(saved)
            provisioners._REPLACING_PROPERTIES.clear()
            provisioners._REPLACING_PROPERTIES.update(saved_replacing)
        self.addCleanup(restore)
        if self.install:
            managed_login.install()
        self.pool_id = body(cognito._create_user_pool({"PoolName": f"m{id(self)}"}))["UserPool"]["Id"]
        self.client_id = body(cognito._create_user_pool_client(
            {"UserPoolId": self.pool_id, "ClientName": "web"}))["UserPoolClient"]["ClientId"]

    def call(self, action, **data):
        return asyncio.run(cognito._dispatch_idp(action, {"UserPoolId": self.pool_id, **data}))


class BareMiniStack(ManagedLogin):
    install = False

    def test_the_bare_emulator_has_no_branding(self):
        self.assertNotEqual(self.call("CreateManagedLoginBranding", ClientId=self.client_id,
                                      UseCognitoProvidedValues=True)[0], 200)
        with self.assertRaisesRegex(ValueError, "Unsupported resource type"):
            provisioners._provision_resource(RESOURCE, "Branding", {
                "UserPoolId": self.pool_id, "ClientId": self.client_id, "UseCognitoProvidedValues": True}, "s")


class Branding(ManagedLogin):
    def test_one_style_per_client_described_by_id_and_client(self):
        created = body(self.call("CreateManagedLoginBranding", ClientId=self.client_id,
                                 UseCognitoProvidedValues=True))["ManagedLoginBranding"]
        self.assertTrue(created["UseCognitoProvidedValues"])
        again = self.call("CreateManagedLoginBranding", ClientId=self.client_id, UseCognitoProvidedValues=True)
        self.assertEqual(error(again), "ManagedLoginBrandingExistsException")
        by_id = body(self.call("DescribeManagedLoginBranding",
                               ManagedLoginBrandingId=created["ManagedLoginBrandingId"]))["ManagedLoginBranding"]
        by_client = body(self.call("DescribeManagedLoginBrandingByClient",
                                   ClientId=self.client_id))["ManagedLoginBranding"]
        self.assertEqual(by_id, by_client)

    def test_cognito_values_or_the_callers_never_both(self):
        for refused in ({"UseCognitoProvidedValues": True, "Settings": {"components": {}}}, {}):
            answer = self.call("CreateManagedLoginBranding", ClientId=self.client_id, **refused)
            self.assertEqual(error(answer), "InvalidParameterException", refused)
        answer = self.call("CreateManagedLoginBranding", ClientId="unknown", UseCognitoProvidedValues=True)
        self.assertEqual(error(answer), "ResourceNotFoundException")

    def test_the_template_resource_is_created_updated_and_deleted(self):
        props = {"UserPoolId": self.pool_id, "ClientId": self.client_id, "UseCognitoProvidedValues": "true"}
        physical_id, attributes = provisioners._provision_resource(RESOURCE, "Branding", props, "stack")
        self.assertEqual(attributes, {"ManagedLoginBrandingId": physical_id})
        handler = provisioners._RESOURCE_HANDLERS[RESOURCE]
        settings = {"components": {"pageBackground": {"lightMode": {"color": "ffffffff"}}}}
        handler["update"](physical_id, props, {**props, "UseCognitoProvidedValues": False, "Settings": settings},
                          "stack", "Branding")
        described = body(self.call("DescribeManagedLoginBranding", ManagedLoginBrandingId=physical_id))
        self.assertEqual(described["ManagedLoginBranding"]["Settings"], settings)
        handler["delete"](physical_id, props)
        self.assertEqual(error(self.call("DescribeManagedLoginBranding", ManagedLoginBrandingId=physical_id)),
                         "ResourceNotFoundException")


if __name__ == "__main__":
    unittest.main()
