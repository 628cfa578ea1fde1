"""The caller's address in an HTTP API's Lambda event, as API Gateway sends
it: `requestContext.http.sourceIp` of a payload-2.0 event is "the source IP
address of the TCP connection making the request to API Gateway" (Working
with AWS Lambda proxy integrations for HTTP APIs). MiniStack 1.5.33 writes
"127.0.0.1" into every event it builds, so a function that counts attempts
per address (the project's API does) sees one address for every caller.

With the extension the events MiniStack's gateway hands a Lambda carry the
address of the connection that reached the gateway (MiniStack keeps it per
request). Headers the caller sends, X-Forwarded-For among them, change
nothing, as in API Gateway."""
from ministack.core import concurrency
from ministack.core.responses import get_request_client_ip
from ministack.services import apigateway

from . import check_pins


def _hooked():
    return {
        "apigateway._invoke_lambda_proxy": apigateway._invoke_lambda_proxy,
        "concurrency.run_reentrant": concurrency.run_reentrant,
    }


FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "apigateway._invoke_lambda_proxy": "fbe5024fcd36643f",
    "concurrency.run_reentrant": "bd6c9a9940ab3b7f",
}


def with_source_ip(event, address):
    """A payload-2.0 event with its sourceIp set to `address`."""
    http = (event.get("requestContext") or {}).get("http") if isinstance(event, dict) else None
    if event.get("version") != "2.0" or not isinstance(http, dict) or not address:
        return event
    return {**event, "requestContext": {**event["requestContext"], "http": {**http, "sourceIp": address}}}


def _run_reentrant(original):
    async def run(fn, *args, **kwargs):
        if len(args) >= 2 and isinstance(args[1], dict):
            args = (args[0], with_source_ip(args[1], get_request_client_ip()), *args[2:])
        return await original(fn, *args, **kwargs)
    return run


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    apigateway.run_reentrant = _run_reentrant(apigateway.run_reentrant)
