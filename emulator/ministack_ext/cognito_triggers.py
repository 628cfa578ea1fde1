"""Cognito triggers MiniStack 1.5.33 does not fire:

- PostConfirmation after ConfirmSignUp, AdminConfirmSignUp
  (`PostConfirmation_ConfirmSignUp`) and ConfirmForgotPassword
  (`PostConfirmation_ConfirmForgotPassword`). As in AWS, the user is
  confirmed first; a failing trigger makes the call answer
  UserLambdaValidationException ("PostConfirmation failed with error ...")
  and the user stays confirmed.
- CustomMessage for the verification mails of SignUp
  (`CustomMessage_SignUp`), ResendConfirmationCode (`CustomMessage_ResendCode`)
  and ForgotPassword / AdminResetUserPassword (`CustomMessage_ForgotPassword`):
  the trigger's subject and message are mailed (captured by MiniStack's SES),
  with the code in place of `codeParameter`. A failing trigger fails the call
  with UserLambdaValidationException; a message without the code parameter
  with InvalidLambdaResponseException. (MiniStack already runs CustomMessage
  for AdminCreateUser.)
- CustomMessage for the EMAIL_OTP sign-in code (`CustomMessage_Authentication`);
  the attribute-verification sources are in attribute_verification.py.

Events follow the shapes the Cognito developer guide documents for these
trigger sources."""
import contextvars
import json

from ministack.core.responses import error_response_json
from ministack.services import cognito, lambda_svc

from . import check_pins

CODE_PARAMETER = "{####}"
NO_CLIENT = "CLIENT_ID_NOT_APPLICABLE"

# The message source of the call in progress: (trigger source, client ID,
# client metadata). Set by the wrapped API handler, read where the mail goes.
_message_source = contextvars.ContextVar("custom_message_source", default=None)


class TriggerFailed(Exception):
    """The trigger Lambda failed, timed out or reported an error."""


class InvalidMessage(Exception):
    """A CustomMessage response Cognito would refuse."""


def _hooked():
    return {
        "cognito._sign_up": cognito._sign_up,
        "cognito._resend_confirmation_code": cognito._resend_confirmation_code,
        "cognito._forgot_password": cognito._forgot_password,
        "cognito._admin_reset_user_password": cognito._admin_reset_user_password,
        "cognito._send_verification_email": cognito._send_verification_email,
        "cognito._confirm_sign_up": cognito._confirm_sign_up,
        "cognito._admin_confirm_sign_up": cognito._admin_confirm_sign_up,
        "cognito._confirm_forgot_password": cognito._confirm_forgot_password,
        "cognito._dispatch_idp": cognito._dispatch_idp,
        "cognito._pool_for_client": cognito._pool_for_client,
        "cognito._resolve_user": cognito._resolve_user,
        "cognito._attr_list_to_dict": cognito._attr_list_to_dict,
        "cognito._pool_region": cognito._pool_region,
        "cognito._extract_trigger_response": cognito._extract_trigger_response,
        "cognito._resolve_verification_template": cognito._resolve_verification_template,
        "cognito._template_username": cognito._template_username,
        "cognito._expand_template": cognito._expand_template,
        "cognito._deliver_cognito_email": cognito._deliver_cognito_email,
        "cognito._send_email_otp": cognito._send_email_otp,
        "lambda_svc._get_func_record_for_ref": lambda_svc._get_func_record_for_ref,
        "lambda_svc._execution_record_for_config": lambda_svc._execution_record_for_config,
        "lambda_svc._execute_function_with_config_scope": lambda_svc._execute_function_with_config_scope,
    }


# sha256 (first 16 hex) of each hooked function's source in ministack 1.5.33.
FINGERPRINTS = {  # python -m ministack_ext.fingerprints
    "cognito._sign_up": "7c18b40cc0808ff8",
    "cognito._resend_confirmation_code": "4a657342dd8d4636",
    "cognito._forgot_password": "2c3b97e277d599ff",
    "cognito._admin_reset_user_password": "98829bff4ce6d733",
    "cognito._send_verification_email": "bceed599b45c0f9e",
    "cognito._confirm_sign_up": "e9557b08401a1b81",
    "cognito._admin_confirm_sign_up": "e466a78787df6fd5",
    "cognito._confirm_forgot_password": "7f65a9b7d622675c",
    "cognito._dispatch_idp": "eff61c61ce4d793c",
    "cognito._pool_for_client": "ac0cf21281822221",
    "cognito._resolve_user": "005b45b0326d511c",
    "cognito._attr_list_to_dict": "e2b078a8a62b4feb",
    "cognito._pool_region": "23e29779fbac339c",
    "cognito._extract_trigger_response": "93abd1eca9adcefe",
    "cognito._resolve_verification_template": "148d20755d5b7993",
    "cognito._template_username": "7665bcaded371809",
    "cognito._expand_template": "b735540165b16d4c",
    "cognito._deliver_cognito_email": "ab26c35cdb68bd1e",
    "cognito._send_email_otp": "643d54476bad89ad",
    "lambda_svc._get_func_record_for_ref": "492b4efe8f903a0f",
    "lambda_svc._execution_record_for_config": "632acaa44892bdae",
    "lambda_svc._execute_function_with_config_scope": "26a9d5f64e175204",
}


def run_trigger(pool, kind, event):
    """Invokes the pool's `kind` trigger (a LambdaConfig key) with `event` and
    returns its `response` block, or None when the pool has no such trigger."""
    arn = (pool.get("LambdaConfig") or {}).get(kind)
    if not arn:
        return None
    try:
        record, config, _name = lambda_svc._get_func_record_for_ref(arn)
        if record is None or config is None:
            raise RuntimeError(f"{kind} Lambda not found: {arn}")
        result = lambda_svc._execute_function_with_config_scope(
            lambda_svc._execution_record_for_config(record, config), event)
    except Exception as err:  # the emulator's Lambda runner raises many kinds
        raise TriggerFailed(str(err)) from err
    if isinstance(result, dict) and result.get("error"):
        body = result.get("body")
        if isinstance(body, (str, bytes)):
            try:
                body = json.loads(body)
            except ValueError:
                pass
        message = body.get("errorMessage") if isinstance(body, dict) else body
        raise TriggerFailed(str(message or f"{kind} Lambda failed"))
    payload = result.get("body") if isinstance(result, dict) else result
    return cognito._extract_trigger_response(payload) or {}


def _event(pool, trigger_source, username, client_id, attributes, request_extra=None, response=None):
    pool_id = pool.get("Id", "")
    return {
        "version": "1",
        "triggerSource": trigger_source,
        "region": cognito._pool_region(pool_id),
        "userPoolId": pool_id,
        "userName": username,
        "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id or NO_CLIENT},
        "request": {"userAttributes": attributes, **(request_extra or {})},
        "response": response if response is not None else {},
    }


def _lambda_validation_error(trigger, err):
    """Cognito's answer when a trigger fails: "<Trigger> failed with error <message>." """
    message = str(err).rstrip(".")
    return error_response_json("UserLambdaValidationException", f"{trigger} failed with error {message}.", 400)


def _attributes(user, status):
    attributes = cognito._attr_list_to_dict(user.get("Attributes", []))
    attributes["cognito:user_status"] = status
    return attributes


# ------------------------------------------------------------ PostConfirmation
def _confirming(original, source, find):
    """Wraps a confirming API handler: PostConfirmation runs after it succeeds."""

    def handler(data):
        pool, user = find(data)
        before = user.get("UserStatus") if user else None
        answer = original(data)
        if answer[0] != 200 or user is None:
            return answer
        if source == "PostConfirmation_ConfirmSignUp" and before != "UNCONFIRMED":
            return answer  # already confirmed: nothing new to confirm
        client_id = data.get("ClientId") or NO_CLIENT
        event = _event(pool, source, user["Username"], client_id, _attributes(user, user.get("UserStatus")),
                       {"clientMetadata": dict(data.get("ClientMetadata") or {})})
        try:
            run_trigger(pool, "PostConfirmation", event)
        except TriggerFailed as err:
            # The user stays confirmed, as in AWS.
            return _lambda_validation_error("PostConfirmation", err)
        return answer

    return handler


def _by_client(data):
    pool, _pid = cognito._pool_for_client(data.get("ClientId"))
    user = cognito._resolve_user(pool, data.get("Username"))[0] if pool else None
    return pool, user


def _by_pool(data):
    pool = cognito._user_pools.get(data.get("UserPoolId"))
    user = cognito._resolve_user(pool, data.get("Username"))[0] if pool else None
    return pool, user


# -------------------------------------------------------------- CustomMessage
def _with_message_source(original, source):
    """Wraps an API handler that mails a code: its mail goes through CustomMessage."""

    def handler(data):
        token = _message_source.set((source, data.get("ClientId") or NO_CLIENT, dict(data.get("ClientMetadata") or {})))
        try:
            return original(data)
        except TriggerFailed as err:
            return _lambda_validation_error("CustomMessage", err)
        except InvalidMessage as err:
            return error_response_json("InvalidLambdaResponseException", str(err), 400)
        finally:
            _message_source.reset(token)

    return handler


def deliver_code(pool, username, attr_dict, code, source, client_id=NO_CLIENT, metadata=None,
                 attribute_name="email", default_template=None, type_name="CognitoVerificationMessage"):
    """Mails `code` to the user's email through the pool's CustomMessage
    trigger (`source`), or with `default_template()` (subject, message) when
    the pool has none or the trigger leaves a field out."""
    response = {}
    if (pool.get("LambdaConfig") or {}).get("CustomMessage"):
        event = _event(pool, source, username, client_id, dict(attr_dict or {}),
                       {"codeParameter": CODE_PARAMETER, "usernameParameter": None,
                        "clientMetadata": dict(metadata or {})},
                       {"smsMessage": None, "emailMessage": None, "emailSubject": None})
        response = run_trigger(pool, "CustomMessage", event)
    message = response.get("emailMessage")
    if message is not None and CODE_PARAMETER not in message:
        raise InvalidMessage("CustomMessage emailMessage must contain the code parameter {####}.")
    email = (attr_dict or {}).get("email")
    if not email:
        return None
    subject_template, body_template = (default_template or (lambda: cognito._resolve_verification_template(pool)))()
    display = cognito._template_username(pool, username, attr_dict)
    subject = cognito._expand_template(response.get("emailSubject") or subject_template, display, code)
    body = cognito._expand_template(message or body_template, display, code)
    return cognito._deliver_cognito_email(pool, email, subject, body, type_name=type_name,
                                          extra={"Username": username, "AttributeName": attribute_name})


def _custom_verification_email(original):
    def send(pool, username, attr_dict, code, attribute_name="email"):
        current = _message_source.get()
        if current is None or not (pool.get("LambdaConfig") or {}).get("CustomMessage"):
            return original(pool, username, attr_dict, code, attribute_name)
        source, client_id, metadata = current
        return deliver_code(pool, username, attr_dict, code, source, client_id, metadata, attribute_name)

    return send


def _custom_email_otp(original):
    """The EMAIL_OTP sign-in code: CustomMessage_Authentication."""
    def send(pool, username, attr_dict, code):
        if not (pool.get("LambdaConfig") or {}).get("CustomMessage"):
            return original(pool, username, attr_dict, code)
        return deliver_code(pool, username, attr_dict, code, "CustomMessage_Authentication",
                            default_template=lambda: (cognito._DEFAULT_EMAIL_OTP_SUBJECT,
                                                      cognito._DEFAULT_EMAIL_OTP_MESSAGE),
                            type_name="CognitoEmailOtpMessage")

    return send


def install(checked=False):
    """`checked`: the package's install() has checked every module's pins
    before any module wrapped anything."""
    if not checked:
        check_pins(_hooked(), FINGERPRINTS)
    cognito._send_verification_email = _custom_verification_email(cognito._send_verification_email)
    cognito._send_email_otp = _custom_email_otp(cognito._send_email_otp)
    cognito._sign_up = _with_message_source(cognito._sign_up, "CustomMessage_SignUp")
    cognito._resend_confirmation_code = _with_message_source(cognito._resend_confirmation_code, "CustomMessage_ResendCode")
    cognito._forgot_password = _with_message_source(cognito._forgot_password, "CustomMessage_ForgotPassword")
    cognito._admin_reset_user_password = _with_message_source(cognito._admin_reset_user_password,
                                                              "CustomMessage_ForgotPassword")
    cognito._confirm_sign_up = _confirming(cognito._confirm_sign_up, "PostConfirmation_ConfirmSignUp", _by_client)
    cognito._admin_confirm_sign_up = _confirming(cognito._admin_confirm_sign_up, "PostConfirmation_ConfirmSignUp",
                                                 _by_pool)
    cognito._confirm_forgot_password = _confirming(cognito._confirm_forgot_password,
                                                   "PostConfirmation_ConfirmForgotPassword", _by_client)
