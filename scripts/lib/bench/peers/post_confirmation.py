"""Python peer of the post-confirmation trigger with boto3: the conditional
profile write and the default group, clients made at start like the Rust one."""
import os
import sys
from datetime import datetime, timezone

import boto3
from botocore.config import Config

sys.path.insert(0, os.path.dirname(__file__))
from lambda_loop import serve  # noqa: E402

CONFIG = Config(connect_timeout=0.3, read_timeout=0.9, retries={"total_max_attempts": 2})
DYNAMODB = boto3.client("dynamodb", config=CONFIG)
COGNITO = boto3.client("cognito-idp", config=CONFIG)
TABLE = os.environ["PROFILES_TABLE"]
GROUP = os.environ.get("DEFAULT_GROUP", "users")


def handler(event, _context):
    if event["triggerSource"] != "PostConfirmation_ConfirmSignUp":
        return event
    attributes = event["request"]["userAttributes"]
    item = {"userId": {"S": attributes["sub"]}, "email": {"S": attributes["email"]},
            "name": {"S": attributes.get("name", "")}, "role": {"S": GROUP},
            "createdAt": {"S": datetime.now(timezone.utc).isoformat()}}
    try:
        DYNAMODB.put_item(TableName=TABLE, Item=item, ConditionExpression="attribute_not_exists(userId)")
    except DYNAMODB.exceptions.ConditionalCheckFailedException:
        pass
    COGNITO.admin_add_user_to_group(UserPoolId=event["userPoolId"], Username=event["userName"], GroupName=GROUP)
    return event


serve(handler)
