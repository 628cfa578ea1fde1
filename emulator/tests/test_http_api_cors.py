"""Tests of ministack_ext.http_api_cors against MiniStack's own CloudFormation
provisioner for AWS::ApiGatewayV2::Api and its gateway's CORS answers, in
process."""
import asyncio
import json
import sys
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ministack_ext import http_api_cors  # noqa: E402
from ministack.services import apigateway  # noqa: E402
from ministack.services.cloudformation import provisioners  # noqa: E402

ORIGIN = "http://localhost:5173"


def props(max_age=600):
    return {
        "Name": "api", "ProtocolType": "HTTP",
        "CorsConfiguration": {
            "AllowOrigins": [ORIGIN], "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["authorization", "content-type"], "MaxAge": max_age,
        },
    }


def preflight(api_id, origin):
    return apigateway._cors_preflight_response(apigateway._apis[api_id].get("corsConfiguration"), origin)


class Create(unittest.TestCase):
    def test_the_gap_on_bare_ministack(self):
        api_id, _ = provisioners._apigw_v2_api_create("Api", props(), "stack")
        status, headers, _ = preflight(api_id, ORIGIN)
        self.assertEqual(status, 403)
        self.assertNotIn("Access-Control-Allow-Origin", headers)

    def test_the_allowed_origin_is_granted_and_no_other(self):
        create = http_api_cors._create(provisioners._apigw_v2_api_create)
        api_id, _ = create("Api", props(), "stack")
        status, headers, _ = preflight(api_id, ORIGIN)
        self.assertEqual(status, 204)
        self.assertEqual(headers["Access-Control-Allow-Origin"], ORIGIN)
        self.assertEqual(headers["Access-Control-Max-Age"], "600")
        self.assertEqual(headers["Access-Control-Allow-Methods"], "GET,POST")
        status, headers, _ = preflight(api_id, "https://evil.example")
        self.assertEqual(status, 403)
        self.assertNotIn("Access-Control-Allow-Origin", headers)

    def test_an_update_keeps_the_api_and_maps_the_new_configuration(self):
        create = http_api_cors._create(provisioners._apigw_v2_api_create)
        update = http_api_cors._update(provisioners._apigw_v2_api_update)
        api_id, _ = create("Api", props(), "stack")
        same_id, _ = update(api_id, props(), props(max_age=60), "stack", "Api")
        self.assertEqual(same_id, api_id)
        self.assertEqual(preflight(api_id, ORIGIN)[1]["Access-Control-Max-Age"], "60")

    def test_installing_reaches_the_handler_table(self):
        saved = dict(provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Api"])
        saved_functions = provisioners._apigw_v2_api_create, provisioners._apigw_v2_api_update
        saved_proxy = apigateway._invoke_lambda_proxy

        def restore():
            provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Api"].update(saved)
            provisioners._apigw_v2_api_create, provisioners._apigw_v2_api_update = saved_functions
            apigateway._invoke_lambda_proxy = saved_proxy
        self.addCleanup(restore)
        http_api_cors.install()
        api_id, _ = provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Api"]["create"]("Api", props(), "stack")
        self.assertEqual(preflight(api_id, ORIGIN)[0], 204)


def backend_answering_cors(origin):
    """A Lambda integration that answers CORS itself, as the project's API does."""
    async def invoke(*args, **kwargs):
        return 200, {"Content-Type": "application/json", "access-control-allow-origin": origin,
                     "access-control-expose-headers": "x-backend"}, b"{}"
    return invoke


class Answers(unittest.TestCase):
    """A GET through the gateway of an API with a CORS configuration, whose
    Lambda answers CORS headers of its own."""
    install = True

    def setUp(self):
        saved = apigateway._invoke_lambda_proxy
        self.addCleanup(setattr, apigateway, "_invoke_lambda_proxy", saved)
        apigateway._invoke_lambda_proxy = backend_answering_cors(ORIGIN)
        if self.install:
            apigateway._invoke_lambda_proxy = http_api_cors._lambda_proxy(apigateway._invoke_lambda_proxy)
        self.api_id, _ = http_api_cors._create(provisioners._apigw_v2_api_create)("Api", props(), "stack")
        integration = json.loads(apigateway._create_integration(self.api_id, {
            "integrationType": "AWS_PROXY", "integrationUri": "arn:aws:lambda:us-east-1:000000000000:function:f",
            "payloadFormatVersion": "2.0"})[2])
        apigateway._create_route(self.api_id, {"routeKey": "GET /api/health",
                                               "target": f"integrations/{integration['integrationId']}"})

    def get(self, origin):
        return asyncio.run(apigateway._handle_execute_in_scope(
            self.api_id, "$default", "/api/health", "GET", {"origin": origin}, b"", {},
            "000000000000", "us-east-1"))

    def origins(self, headers):
        return [v for k, v in headers.items() if k.lower() == "access-control-allow-origin"]

    def test_only_the_gateways_cors_headers_reach_the_browser(self):
        status, headers, _ = self.get(ORIGIN)
        self.assertEqual(status, 200)
        self.assertEqual(self.origins(headers), [ORIGIN])
        self.assertNotIn("access-control-expose-headers", {k.lower() for k in headers})
        status, headers, _ = self.get("https://evil.example")
        self.assertEqual(self.origins(headers), [])


class AnswersOnBareMiniStack(Answers):
    install = False

    @unittest.expectedFailure
    def test_only_the_gateways_cors_headers_reach_the_browser(self):
        super().test_only_the_gateways_cors_headers_reach_the_browser()


if __name__ == "__main__":
    unittest.main()
