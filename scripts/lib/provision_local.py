#!/usr/bin/env python3
"""Creates the local profiles table and user pool (with its groups) in the
emulator, and writes the settings the triggers read to an env file."""
import argparse

import boto3


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--env-file", required=True)
    args = parser.parse_args()
    aws = dict(endpoint_url=args.endpoint, region_name="us-east-1",
               aws_access_key_id="local", aws_secret_access_key="local")

    dynamodb = boto3.client("dynamodb", **aws)
    tables = {"profiles": [("userId", "HASH")], "user-data": [("userId", "HASH"), ("itemId", "RANGE")]}
    existing = set(dynamodb.list_tables()["TableNames"])
    for name, keys in tables.items():
        if name not in existing:
            dynamodb.create_table(
                TableName=name, BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
                KeySchema=[{"AttributeName": k, "KeyType": t} for k, t in keys],
            )

    cognito = boto3.client("cognito-idp", **aws)
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    pool_id = next((p["Id"] for p in pools if p["Name"] == "local"), None)
    if pool_id is None:
        pool_id = cognito.create_user_pool(
            PoolName="local", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"],
        )["UserPool"]["Id"]
        cognito.create_group(UserPoolId=pool_id, GroupName="admin", Precedence=0)
        cognito.create_group(UserPoolId=pool_id, GroupName="users", Precedence=10)

    settings = {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_ENDPOINT_URL": args.endpoint,
        "USER_POOL_ID": pool_id,
        "PROFILES_TABLE": "profiles",
        "USER_DATA_TABLE": "user-data",
        "DEFAULT_GROUP": "users",
        "APP_NAME": "Secure App (local)",
        "APP_URL": "http://localhost:5173",
    }
    with open(args.env_file, "w") as f:
        f.writelines(f'{k}="{v}"\n' for k, v in settings.items())
    print(f"    user pool {pool_id}, tables {', '.join(tables)}")


if __name__ == "__main__":
    main()
