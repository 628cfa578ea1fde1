"""Tests of ministack_ext.iam_conditions against MiniStack's own IAM
evaluator, in process: a policy with `dynamodb:LeadingKeys` and
`${aws:PrincipalTag/userId}` decided for real, first on the bare evaluator
(the gap), then with the extension."""
import base64
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import iam_conditions  # noqa: E402
from ministack.core import iam_actions, iam_evaluator  # noqa: E402
from ministack.services import cognito  # noqa: E402

OWN, OTHER = "11111111-aaaa", "22222222-bbbb"
CONDITION = {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/userId}"]}}
HASH_KEYS = {"data": "userId", "profiles": "userId"}


def context(keys, tag=OWN):
    return iam_evaluator.EvalContext(
        principal_arn="arn:aws:sts::000000000000:assumed-role/auth/CognitoIdentityCredentials",
        principal_type="AssumedRole", principal_account="000000000000", action="dynamodb:GetItem",
        resource_arn="arn:aws:dynamodb:us-east-1:000000000000:table/data", region="us-east-1",
        source_ip="127.0.0.1", secure_transport=False,
        service_context={"dynamodb:leadingkeys": keys} if keys is not None else {},
        principal_keys={"aws:principaltag/userid": tag} if tag else {})


class Evaluator(unittest.TestCase):
    def setUp(self):
        self.saved = (iam_evaluator._conditions_met, iam_actions.dynamodb_service_context,
                      cognito._get_credentials_for_identity)

    def tearDown(self):
        (iam_evaluator._conditions_met, iam_actions.dynamodb_service_context,
         cognito._get_credentials_for_identity) = self.saved

    def met(self, keys, tag=OWN):
        return iam_evaluator._conditions_met(CONDITION, context(keys, tag))

    def test_the_bare_evaluator_cannot_decide_it(self):
        # No policy variables: the own partition is refused like another's.
        self.assertFalse(self.met([OWN]))
        body = json.dumps({"TableName": "data", "Key": {"userId": {"S": OTHER}}}).encode()
        self.assertNotIn("dynamodb:LeadingKeys", iam_actions.dynamodb_service_context(body))

    def test_own_partition_only(self):
        iam_conditions.install()
        self.assertTrue(self.met([OWN]))
        self.assertFalse(self.met([OTHER]))
        self.assertFalse(self.met([OWN, OTHER]))

    def test_a_session_without_the_tag_matches_nothing(self):
        iam_conditions.install()
        self.assertFalse(self.met([OWN], tag=None))
        self.assertFalse(self.met([""], tag=None))

    def test_the_request_context_carries_leading_keys(self):
        iam_conditions.install()
        iam_conditions._hash_key, saved = HASH_KEYS.get, iam_conditions._hash_key
        try:
            body = json.dumps({"TableName": "data", "Key": {"userId": {"S": OTHER}, "itemId": {"S": "1"}}}).encode()
            self.assertEqual(iam_actions.dynamodb_service_context(body)["dynamodb:LeadingKeys"], [OTHER])
        finally:
            iam_conditions._hash_key = saved


class LeadingKeys(unittest.TestCase):
    def keys(self, data):
        return iam_conditions.leading_keys(data, HASH_KEYS.get)

    def test_key_and_item(self):
        self.assertEqual(self.keys({"TableName": "data", "Key": {"userId": {"S": OWN}, "itemId": {"S": "x"}}}), [OWN])
        self.assertEqual(self.keys({"TableName": "data", "Item": {"userId": {"S": OTHER}, "n": {"N": "1"}}}), [OTHER])

    def test_key_condition_expression_with_names_and_either_side(self):
        self.assertEqual(self.keys({"TableName": "data", "KeyConditionExpression": "userId = :u",
                                    "ExpressionAttributeValues": {":u": {"S": OWN}}}), [OWN])
        self.assertEqual(self.keys({
            "TableName": "data", "KeyConditionExpression": ":u = #pk AND begins_with(itemId, :p)",
            "ExpressionAttributeNames": {"#pk": "userId"},
            "ExpressionAttributeValues": {":u": {"S": OTHER}, ":p": {"S": "a"}}}), [OTHER])

    def test_legacy_key_conditions(self):
        self.assertEqual(self.keys({"TableName": "data", "KeyConditions": {
            "userId": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": OWN}]}}}), [OWN])

    def test_batch_requests(self):
        self.assertEqual(self.keys({"RequestItems": {"data": {"Keys": [
            {"userId": {"S": OWN}}, {"userId": {"S": OTHER}}, {"userId": {"S": OWN}}]}}}), [OWN, OTHER])
        self.assertEqual(self.keys({"RequestItems": {"data": [
            {"PutRequest": {"Item": {"userId": {"S": OWN}}}},
            {"DeleteRequest": {"Key": {"userId": {"S": OTHER}}}}]}}), [OWN, OTHER])

    def test_a_scan_names_none_and_bad_shapes_are_ignored(self):
        self.assertEqual(self.keys({"TableName": "data"}), [])
        self.assertEqual(self.keys({"TableName": "data", "Key": "nonsense", "RequestItems": {"data": 3}}), [])
        self.assertEqual(self.keys({"TableName": "unknown", "Key": {"userId": {"S": OWN}}}), [])


class PrincipalTags(unittest.TestCase):
    def token(self, claims):
        encode = lambda part: base64.urlsafe_b64encode(json.dumps(part).encode()).decode().rstrip("=")  # noqa: E731
        return f"{encode({'alg': 'RS256'})}.{encode(claims)}.signature"

    def test_tags_come_from_the_mapping_and_the_login_token(self):
        provider = "cognito-idp.us-east-1.amazonaws.com/us-east-1_X"
        pool = {"_principal_tags": {provider: {"UseDefaults": False, "PrincipalTags": {"userId": "sub"}}}}
        tags = iam_conditions.principal_tags(pool, {provider: self.token({"sub": OWN, "aud": "c"})})
        self.assertEqual(tags, [{"Key": "userId", "Value": OWN}])

    def test_defaults_and_absent_mappings(self):
        provider = "cognito-idp.us-east-1.amazonaws.com/us-east-1_X"
        pool = {"_principal_tags": {provider: {"UseDefaults": True}}}
        tags = iam_conditions.principal_tags(pool, {provider: self.token({"sub": OWN, "aud": "c"})})
        self.assertEqual(tags, [{"Key": "username", "Value": OWN}, {"Key": "client", "Value": "c"}])
        self.assertEqual(iam_conditions.principal_tags({}, {provider: self.token({"sub": OWN})}), [])
        self.assertEqual(iam_conditions.principal_tags(pool, {provider: "not-a-token"}), [])


class Substitute(unittest.TestCase):
    def test_variables_escapes_and_defaults(self):
        resolve = {"aws:PrincipalTag/userId": OWN}.get
        self.assertEqual(iam_conditions.substitute("${aws:PrincipalTag/userId}", resolve), OWN)
        self.assertEqual(iam_conditions.substitute("items/${aws:PrincipalTag/userId}/${*}", resolve), f"items/{OWN}/*")
        self.assertIsNone(iam_conditions.substitute("${aws:username}", resolve))
        self.assertEqual(iam_conditions.substitute("${aws:username, 'nobody'}", resolve), "nobody")
        self.assertEqual(iam_conditions.substitute("plain", resolve), "plain")


if __name__ == "__main__":
    unittest.main()
