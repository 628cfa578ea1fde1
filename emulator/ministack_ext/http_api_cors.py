"""The CORS configuration of an HTTP API created or updated by CloudFormation,
which MiniStack 1.5.33 stores with the template's property names
(`AllowOrigins`, `MaxAge`, ...) while its gateway reads the API's own
(`allowOrigins`, `maxAge`, ...): every preflight of such an API is then
refused and no answer carries CORS headers. AWS maps the resource's
`CorsConfiguration` to the API's `corsConfiguration`
(AWS::ApiGatewayV2::Api Cors type); this does the same before MiniStack's
own create and update run.

And the answers: "If you configure CORS for an API, API Gateway ignores
CORS headers returned from your backend integration" (Configure CORS for
HTTP APIs in API Gateway). MiniStack adds the configured headers beside the
integration's own, so a Lambda that answers CORS too (the project's API
does, for its local server) doubles `Access-Control-Allow-Origin` and
browsers refuse the answer. With the extension an API with a CORS
configuration drops the integration's `Access-Control-*` headers first."""
from ministack.services import apigateway
from ministack.services.cloudformation import provisioners

from . import check_pins

# AWS::ApiGatewayV2::Api Cors property → the API's corsConfiguration field.
FIELDS = {
    "AllowCredentials": "allowCredentials",
    "AllowHeaders": "allowHeaders",
    "AllowMethods": "allowMethods",
    "AllowOrigins": "allowOrigins",
    "ExposeHeaders": "exposeHeaders",
    "MaxAge": "maxAge",
}


def _hooked():
    return {
        "provisioners._apigw_v2_api_create": provisioners._apigw_v2_api_create,
        "provisioners._apigw_v2_api_update": provisioners._apigw_v2_api_update,
        "apigateway._invoke_lambda_proxy": apigateway._invoke_lambda_proxy,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "provisioners._apigw_v2_api_create": "0002e18b41984434",
    "provisioners._apigw_v2_api_update": "d12d60c12ed7d9aa",
    "apigateway._invoke_lambda_proxy": "fbe5024fcd36643f",
}


def api_cors(props):
    """The properties with CorsConfiguration in the API's own field names."""
    cors = (props or {}).get("CorsConfiguration")
    if not isinstance(cors, dict):
        return props
    return {**props, "CorsConfiguration": {FIELDS.get(k, k): v for k, v in cors.items()}}


def _create(original):
    def create(logical_id, props, stack_name):
        return original(logical_id, api_cors(props), stack_name)
    return create


def _update(original):
    def update(physical_id, old_props, new_props, stack_name, logical_id=None):
        return original(physical_id, api_cors(old_props), api_cors(new_props), stack_name, logical_id)
    return update


def without_integration_cors(response):
    status, headers, body = response
    return status, {k: v for k, v in headers.items() if not k.lower().startswith("access-control-")}, body


def _lambda_proxy(original):
    async def invoke(integration, api_id, *args, **kwargs):
        response = await original(integration, api_id, *args, **kwargs)
        if (apigateway._apis.get(api_id) or {}).get("corsConfiguration"):
            return without_integration_cors(response)
        return response
    return invoke


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    handlers = provisioners._RESOURCE_HANDLERS["AWS::ApiGatewayV2::Api"]
    create, update = _create(provisioners._apigw_v2_api_create), _update(provisioners._apigw_v2_api_update)
    provisioners._apigw_v2_api_create, provisioners._apigw_v2_api_update = create, update
    handlers["create"], handlers["update"] = create, update
    apigateway._invoke_lambda_proxy = _lambda_proxy(apigateway._invoke_lambda_proxy)
