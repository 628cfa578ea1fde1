"""Tests of ministack_ext.http_api_cors against MiniStack's own CloudFormation
provisioner for AWS::ApiGatewayV2::Api and its gateway's CORS answers, in
process."""
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

        def restore():
            provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Api"].update(saved)
            provisioners._apigw_v2_api_create, provisioners._apigw_v2_api_update = saved_functions
        self.addCleanup(restore)
        http_api_cors.install()
        api_id, _ = provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Api"]["create"]("Api", props(), "stack")
        self.assertEqual(preflight(api_id, ORIGIN)[0], 204)


if __name__ == "__main__":
    unittest.main()
