"""Tests of ministack_ext.http_api_source_ip against MiniStack's own HTTP API
data plane, in process, with the Lambda replaced by a recorder of the event
it is handed."""
import asyncio
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import http_api_source_ip  # noqa: E402
from ministack.core.responses import set_request_client_ip  # noqa: E402
from ministack.services import apigateway, lambda_svc  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

REPLACED = ("_get_func_record_for_ref_in_scope", "_execution_record_for_config",
            "_execute_function_with_config_scope")


class SourceIp(unittest.TestCase):
    install = True

    def setUp(self):
        saved = {name: getattr(lambda_svc, name) for name in REPLACED}
        saved_run = apigateway.run_reentrant
        self.addCleanup(lambda: [setattr(lambda_svc, n, f) for n, f in saved.items()])
        self.addCleanup(setattr, apigateway, "run_reentrant", saved_run)
        self.events = []
        lambda_svc._get_func_record_for_ref_in_scope = lambda ref, **kw: ({}, {"FunctionName": "f"}, "f")
        lambda_svc._execution_record_for_config = lambda data, config: {}
        lambda_svc._execute_function_with_config_scope = lambda record, event: (
            self.events.append(event) or {"body": {"statusCode": 200, "body": "{}"}})
        if self.install:
            http_api_source_ip.install()
        self.api_id, _ = provisioners._apigw_v2_api_create("Api", {"Name": "api", "ProtocolType": "HTTP"}, "stack")
        integration = json.loads(apigateway._create_integration(self.api_id, {
            "integrationType": "AWS_PROXY", "integrationUri": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "payloadFormatVersion": "2.0"})[2])
        apigateway._create_route(self.api_id, {"routeKey": "POST /api/auth/signin",
                                               "target": f"integrations/{integration['integrationId']}"})

    def source_ip(self, peer, headers=None):
        async def request():
            set_request_client_ip(peer)
            return await apigateway._handle_execute_in_scope(
                self.api_id, "$default", "/api/auth/signin", "POST", headers or {}, b"{}", {},
                "000000000000", "us-east-1")
        status, _, _ = asyncio.run(request())
        self.assertEqual(status, 200)
        return self.events[-1]["requestContext"]["http"]["sourceIp"]

    def test_each_caller_is_seen_at_its_own_address(self):
        self.assertEqual(self.source_ip("127.0.0.2"), "127.0.0.2")
        self.assertEqual(self.source_ip("127.0.3.7"), "127.0.3.7")

    def test_a_forged_forwarded_for_changes_nothing(self):
        self.assertEqual(self.source_ip("127.0.0.2", {"x-forwarded-for": "198.51.100.23"}), "127.0.0.2")


class SourceIpOnBareMiniStack(SourceIp):
    install = False

    @unittest.expectedFailure
    def test_each_caller_is_seen_at_its_own_address(self):
        super().test_each_caller_is_seen_at_its_own_address()

    @unittest.expectedFailure
    def test_a_forged_forwarded_for_changes_nothing(self):
        super().test_a_forged_forwarded_for_changes_nothing()


class Events(unittest.TestCase):
    def test_only_payload_2_events_change(self):
        v1 = {"version": "1.0", "requestContext": {"identity": {"sourceIp": "127.0.0.1"}}}
        self.assertIs(http_api_source_ip.with_source_ip(v1, "127.0.0.2"), v1)
        trigger = {"version": "1", "triggerSource": "PreSignUp_SignUp"}
        self.assertIs(http_api_source_ip.with_source_ip(trigger, "127.0.0.2"), trigger)


if __name__ == "__main__":
    unittest.main()
