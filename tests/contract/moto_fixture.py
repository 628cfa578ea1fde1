#!/usr/bin/env python3
"""A user pool, API client and the three tables in moto, shaped like the
stack's (email usernames, a confidential client with USER_PASSWORD_AUTH and
refresh, the admin and users groups), and the API's settings for them in an
env file for scripts/lib/api-server. Used to run the contract test through
the API's own server on moto."""
import argparse
import uuid
from pathlib import Path

import boto3


def table(dynamodb, name, *keys):
    dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
        KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys])
    return name


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--moto", required=True)
    parser.add_argument("--listen", required=True, help="host:port for the API's server")
    parser.add_argument("--env-file", required=True)
    parser.add_argument("--limits", default="1000,1000,60",
                        help="attempts per address, per account, window seconds")
    args = parser.parse_args()
    aws = dict(endpoint_url=args.moto, region_name="us-east-1",
               aws_access_key_id="local", aws_secret_access_key="local")
    idp, dynamodb = boto3.client("cognito-idp", **aws), boto3.client("dynamodb", **aws)
    suffix = uuid.uuid4().hex[:8]
    pool = idp.create_user_pool(
        PoolName=f"contract-{suffix}", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        Schema=[{"Name": "name", "AttributeDataType": "String"}])["UserPool"]["Id"]
    for group, precedence in (("admin", 0), ("users", 10)):
        idp.create_group(UserPoolId=pool, GroupName=group, Precedence=precedence)
    client = idp.create_user_pool_client(
        UserPoolId=pool, ClientName="api", GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])["UserPoolClient"]["ClientId"]
    settings = {
        "AWS_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": args.moto,
        "USER_POOL_ID": pool,
        "API_CLIENT_ID": client,
        "JWKS_URL": f"{args.moto}/{pool}/.well-known/jwks.json",
        "PROFILES_TABLE": table(dynamodb, f"profiles-{suffix}", ("userId", "HASH")),
        "USER_DATA_TABLE": table(dynamodb, f"data-{suffix}", ("userId", "HASH"), ("itemId", "RANGE")),
        "USERNAMES_TABLE": table(dynamodb, f"usernames-{suffix}", ("username", "HASH")),
        "THROTTLE_TABLE": table(dynamodb, f"throttle-{suffix}", ("key", "HASH")),
        **dict(zip(("AUTH_LIMIT_PER_ADDRESS", "AUTH_LIMIT_PER_ACCOUNT", "AUTH_LIMIT_WINDOW_SECONDS"),
                   args.limits.split(","))),
        "API_LISTEN": args.listen,
        "RUST_LOG": "info",
    }
    path = Path(args.env_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f'{k}="{v}"\n' for k, v in settings.items()))
    print(f"moto fixture: pool {pool}, client {client}; settings in {path}")


if __name__ == "__main__":
    main()
