"""Tests of ministack_ext.ses_send_identity against MiniStack's own IAM
resource resolution and SES stores, in process."""
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import ses_send_identity  # noqa: E402
from ministack.core import iam_actions  # noqa: E402
from ministack.services import ses_v2  # noqa: E402

SEND = ("POST", "/v2/email/outbound-emails")
ACCOUNT = "000000000000"


def identity_arn(name):
    return f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/{name}"


def send_body(**fields):
    return json.dumps({"Destination": {"ToAddresses": ["ada@example.com"]},
                       "Content": {"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
                       **fields}).encode()


class SendingIdentity(unittest.TestCase):
    install = True

    def setUp(self):
        saved = iam_actions._ses_v2_resource_arn
        self.addCleanup(setattr, iam_actions, "_ses_v2_resource_arn", saved)
        if self.install:
            ses_send_identity.install()
        self.addCleanup(ses_v2._identities.pop, "sender@verified.example", None)
        ses_v2._identities["sender@verified.example"] = {"IdentityType": "EMAIL_ADDRESS"}

    def resource(self, body):
        return iam_actions._ses_v2_resource_arn(*SEND, body, "us-east-1", ACCOUNT)

    def test_the_domain_of_the_from_address_past_its_display_name(self):
        self.assertEqual(self.resource(send_body(FromEmailAddress="Secure App <no-reply@example.com>")),
                         identity_arn("example.com"))

    def test_the_address_when_it_is_an_identity_itself(self):
        self.assertEqual(self.resource(send_body(FromEmailAddress="sender@verified.example")),
                         identity_arn("sender@verified.example"))

    def test_the_named_identity_for_sending_authorization(self):
        arn = "arn:aws:ses:us-east-1:111122223333:identity/partner.example"
        self.assertEqual(self.resource(send_body(FromEmailAddress="a@partner.example",
                                                 FromEmailAddressIdentityArn=arn)), arn)


class SendingIdentityOnBareMiniStack(SendingIdentity):
    install = False

    @unittest.expectedFailure
    def test_the_domain_of_the_from_address_past_its_display_name(self):
        super().test_the_domain_of_the_from_address_past_its_display_name()

    @unittest.expectedFailure
    def test_the_address_when_it_is_an_identity_itself(self):
        super().test_the_address_when_it_is_an_identity_itself()

    @unittest.expectedFailure
    def test_the_named_identity_for_sending_authorization(self):
        super().test_the_named_identity_for_sending_authorization()


class Unchanged(unittest.TestCase):
    def test_other_requests_and_bad_bodies_keep_mini_stacks_answer(self):
        wrapped = ses_send_identity._resource_arn(lambda *args: "original")
        self.assertEqual(wrapped("GET", "/v2/email/identities/example.com", b"", "us-east-1", ACCOUNT), "original")
        self.assertEqual(wrapped(*SEND, b"not json", "us-east-1", ACCOUNT), "original")
        self.assertEqual(wrapped(*SEND, send_body(FromEmailAddress="no address"), "us-east-1", ACCOUNT), "original")


if __name__ == "__main__":
    unittest.main()
