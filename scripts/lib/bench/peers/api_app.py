"""The API's peer for scripts/bench: the original application's stack as its
documentation gives it (FastAPI on Lambda through Mangum, boto3 for Cognito
and DynamoDB, PyJWT with a cached JWKS), serving the routes the bench sends:
health, sign-in, the caller's profile and data. Same settings as the Rust
API (USER_POOL_ID, API_CLIENT_ID, API_CLIENT_SECRET, JWKS_URL,
PROFILES_TABLE, USER_DATA_TABLE, AWS_ENDPOINT_URL). Run as a Lambda
bootstrap: `python api_app.py`."""
import base64
import hashlib
import hmac
import os

import boto3
import jwt
from boto3.dynamodb.conditions import Key
from fastapi import Depends, FastAPI, Header, HTTPException
from mangum import Mangum
from pydantic import BaseModel

from lambda_loop import serve

POOL_ID = os.environ["USER_POOL_ID"]
CLIENT_ID = os.environ["API_CLIENT_ID"]
CLIENT_SECRET = os.environ["API_CLIENT_SECRET"]
REGION = os.environ.get("AWS_REGION", "us-east-1")
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL_ID}"
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL")

cognito = boto3.client("cognito-idp", region_name=REGION, endpoint_url=ENDPOINT)
dynamodb = boto3.resource("dynamodb", region_name=REGION, endpoint_url=ENDPOINT)
profiles = dynamodb.Table(os.environ["PROFILES_TABLE"])
items = dynamodb.Table(os.environ["USER_DATA_TABLE"])
jwks = jwt.PyJWKClient(os.environ.get("JWKS_URL", f"{ISSUER}/.well-known/jwks.json"), cache_keys=True)

app = FastAPI()


class SignIn(BaseModel):
    username: str
    password: str


def secret_hash(username):
    digest = hmac.new(CLIENT_SECRET.encode(), (username + CLIENT_ID).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def caller(authorization: str = Header(default="")):
    token = authorization.removeprefix("Bearer ").strip()
    try:
        key = jwks.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], issuer=ISSUER)
    except jwt.PyJWTError:
        raise HTTPException(status_code=401, detail="Invalid token")
    if claims.get("token_use") != "access" or claims.get("client_id") != CLIENT_ID:
        raise HTTPException(status_code=401, detail="Invalid token")
    return claims, token


@app.get("/api/health")
def health():
    return {"status": "ok"}


@app.post("/api/auth/signin")
def sign_in(body: SignIn):
    try:
        answer = cognito.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH", ClientId=CLIENT_ID,
            AuthParameters={"USERNAME": body.username, "PASSWORD": body.password,
                            "SECRET_HASH": secret_hash(body.username)})
    except cognito.exceptions.NotAuthorizedException:
        raise HTTPException(status_code=401, detail="Incorrect username or password")
    tokens = answer["AuthenticationResult"]
    return {"id_token": tokens["IdToken"], "access_token": tokens["AccessToken"],
            "refresh_token": tokens["RefreshToken"], "expires_in": tokens["ExpiresIn"],
            "token_type": "Bearer"}


@app.get("/api/users/me")
def me(who=Depends(caller)):
    claims, token = who
    attributes = {a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=token)["UserAttributes"]}
    profile = profiles.get_item(Key={"userId": claims["sub"]}).get("Item", {})
    return {"user_id": claims["sub"], "username": claims.get("username"), "email": attributes.get("email"),
            "name": attributes.get("name"), "email_verified": attributes.get("email_verified") == "true",
            "created_at": profile.get("createdAt")}


@app.get("/api/data")
def data(who=Depends(caller)):
    claims, _ = who
    found = items.query(KeyConditionExpression=Key("userId").eq(claims["sub"]), Limit=100)["Items"]
    return {"data": [{"id": i["itemId"], "value": i.get("content")} for i in found]}


handler = Mangum(app, lifespan="off")

if __name__ == "__main__":
    serve(handler)
