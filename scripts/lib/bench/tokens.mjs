// Token verification peer: writes TOKENS.json (100 access tokens signed with
// api/tests/keys/signing.pem, as a Cognito pool would issue them) and then
// measures aws-jwt-verify (AWS's own verifier) on them, single-threaded, with
// the JWKS cached. Prints JSON: count, rounds, verifications per second.
//
//   node tokens.mjs OUT_TOKENS.json
import { createSign, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { CognitoJwtVerifier } from 'aws-jwt-verify';

export const POOL = 'us-east-1_bench';
export const ISSUER = `https://cognito-idp.us-east-1.amazonaws.com/${POOL}`;
export const CLIENT = 'benchclient';

const keys = new URL('../../../api/tests/keys/', import.meta.url);
const jwks = JSON.parse(readFileSync(new URL('jwks.json', keys)));
const privateKey = readFileSync(new URL('signing.pem', keys));
const kid = jwks.keys[0].kid;
const b64 = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = Math.floor(Date.now() / 1000);

const tokens = Array.from({ length: 100 }, (_, i) => {
  const header = { alg: 'RS256', kid };
  const claims = {
    sub: randomUUID(),
    iss: ISSUER,
    client_id: CLIENT,
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin profile:read',
    auth_time: now,
    iat: now,
    exp: now + 3600,
    jti: randomUUID(),
    username: `user${i}`,
    'cognito:groups': ['users'],
  };
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
});
writeFileSync(process.argv[2], JSON.stringify(tokens));

const verifier = CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: 'access', clientId: CLIENT });
verifier.cacheJwks(jwks);
for (const token of tokens) verifier.verifySync(token);
const started = process.hrtime.bigint();
let rounds = 0;
while (Number(process.hrtime.bigint() - started) / 1e9 < 3) {
  for (const token of tokens) verifier.verifySync(token);
  rounds += 1;
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ count: tokens.length, rounds, per_second: (tokens.length * rounds) / seconds }));
