// Attacks on the running API (its own local server, the Lambda's router, so
// no proxy in front trims what reaches it) on the local stack: forged tokens, a revoked session,
// account enumeration, and one user reaching for another's data or for
// admin rights. Prints one line per check and the counts; exits 1 if any
// attack succeeded.
//
//   node tests/security/attacks.mjs --url http://127.0.0.1:9000 \
//     --endpoint http://127.0.0.1:4566 --state-dir .local/ministack-4566
//
// The emulator keeps each pool's signing key in its state directory, so the
// suite can also sign tokens with the pool's real key: a token that is
// correctly signed yet wrong in a claim must be refused for that claim.
import { createHmac, createPrivateKey, createPublicKey, createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { apiCaller, checks } from '../lib/api.mjs';
import { mailedCode, mailsTo } from '../lib/mailbox.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    endpoint: { type: 'string' },
    'state-dir': { type: 'string' },
  },
});
if (!args.url || !args.endpoint || !args['state-dir']) {
  throw new Error('--url, --endpoint and --state-dir are required');
}

const PASSWORD = 'violet-Quasar-harbor-71!';
const { check, results, finish } = checks({ attacks: 0, accepted: 0 });
const api = apiCaller(args.url);
// Error bodies must carry their answer's request ID; answers are compared
// without it.
const errorBodies = { total: 0, withRequestId: 0 };
async function call(method, path, options) {
  const reply = await api(method, path, options);
  if (reply.body.error) {
    errorBodies.total += 1;
    if (reply.errorRequestId && reply.errorRequestId === reply.requestId) errorBodies.withRequestId += 1;
  }
  return { ...reply, text: reply.answer };
}

async function newUser(label) {
  const email = `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const signup = await call('POST', '/api/auth/signup', { body: { email, password: PASSWORD, name: 'Ada Lovelace' } });
  if (signup.status !== 201) throw new Error(`sign-up of ${label}: ${signup.status} ${signup.text}`);
  const confirm = await call('POST', '/api/auth/confirm', { body: { email, code: await mailedCode(args.endpoint, email) } });
  if (confirm.status !== 200) throw new Error(`confirmation of ${label}: ${confirm.status} ${confirm.text}`);
  return { email, ...(await signIn(email)) };
}

async function signIn(email) {
  const reply = await call('POST', '/api/auth/signin', { body: { email, password: PASSWORD } });
  if (reply.status !== 200) throw new Error(`sign-in of ${email}: ${reply.status} ${reply.text}`);
  const tokens = reply.body;
  const claims = decode(tokens.access_token).payload;
  // The first authenticated call creates the profile and the default group.
  await call('GET', '/api/users/me', { token: tokens.access_token });
  return { tokens, claims };
}

const b64url = (data) => Buffer.from(data).toString('base64url');

function decode(token) {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header, 'base64url')),
    payload: JSON.parse(Buffer.from(payload, 'base64url')),
  };
}

function signRs256(header, payload, privateKey) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createSign('RSA-SHA256').update(input).sign(privateKey);
  return `${input}.${b64url(signature)}`;
}

function signHs256(header, payload, secret) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

// ---------------------------------------------------------------- set-up
const alice = await newUser('alice');
const bob = await newUser('bob');
const poolId = alice.claims.iss.split('/').pop();
const realKey = createPrivateKey(readFileSync(`${args['state-dir']}/cognito-pool-keys/${poolId}-access.pem`));
const jwks = await (await fetch(`${args.endpoint}/${poolId}/.well-known/jwks.json`)).json();
const { header: realHeader, payload: realClaims } = decode(alice.tokens.access_token);
const publicPem = createPublicKey({ key: jwks.keys.find((k) => k.kid === realHeader.kid), format: 'jwk' }).export({
  type: 'spki',
  format: 'pem',
});
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const now = Math.floor(Date.now() / 1000);

const resigned = signRs256(realHeader, realClaims, realKey);
const control = await call('GET', '/api/users/me', { token: resigned });
check(control.status === 200, 'control: a token the suite signs with the pool key is accepted', control.text);

// ---------------------------------------------------------------- forged tokens
const withoutClaim = (name) => {
  const claims = { ...realClaims };
  delete claims[name];
  return signRs256(realHeader, claims, realKey);
};
const [h, p, s] = alice.tokens.access_token.split('.');
const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
const forgeries = {
  'alg none': `${b64url(JSON.stringify({ ...realHeader, alg: 'none' }))}.${p}.`,
  'alg none, no signature part': `${b64url(JSON.stringify({ alg: 'none' }))}.${p}`,
  'HS256 keyed with the pool public key': signHs256({ ...realHeader, alg: 'HS256' }, realClaims, publicPem),
  're-signed with another RSA key, same kid': signRs256(realHeader, realClaims, otherKey),
  'unknown kid': signRs256({ ...realHeader, kid: 'attacker-key' }, realClaims, otherKey),
  'tampered payload (sub of another user)': `${h}.${b64url(JSON.stringify({ ...realClaims, sub: bob.claims.sub }))}.${s}`,
  'tampered payload (admin group added)': `${h}.${b64url(JSON.stringify({ ...realClaims, 'cognito:groups': ['admin'] }))}.${s}`,
  'tampered signature': `${h}.${p}.${flipped}`,
  'RS512 header': signRs256({ ...realHeader, alg: 'RS512' }, realClaims, realKey),
  'wrong iss (signed with the pool key)': signRs256(realHeader, { ...realClaims, iss: 'https://evil.example/pool' }, realKey),
  'wrong client_id (signed with the pool key)': signRs256(realHeader, { ...realClaims, client_id: 'another-client' }, realKey),
  'ID token on an access endpoint': alice.tokens.id_token,
  'token_use id (signed with the pool key)': signRs256(realHeader, { ...realClaims, token_use: 'id' }, realKey),
  'expired (signed with the pool key)': signRs256(realHeader, { ...realClaims, iat: now - 7200, exp: now - 3600 }, realKey),
  'nbf in the future (signed with the pool key)': signRs256(realHeader, { ...realClaims, nbf: now + 3600 }, realKey),
  'iat in the future (signed with the pool key)': signRs256(realHeader, { ...realClaims, iat: now + 3600 }, realKey),
  'missing exp': withoutClaim('exp'),
  'missing iss': withoutClaim('iss'),
  'missing token_use': withoutClaim('token_use'),
  'missing client_id': withoutClaim('client_id'),
  'missing sub': withoutClaim('sub'),
  '100 KB token': `${h}.${'A'.repeat(100 * 1024)}.${s}`,
  garbage: 'garbage',
  'three empty parts': '..',
  'non-base64 parts': '!!.??.**',
  'JSON in place of base64': '{"alg":"none"}.{"sub":"x"}.',
};
// Two layers refuse a token, each with one answer: API Gateway's JWT
// authorizer (its own 401 body, before the Lambda runs: bad signature, key,
// issuer or audience, expired) and the API behind it (everything the
// authorizer lets through: an ID token, a missing claim, a revoked token).
// A token over the gateway's header limit never reaches either.
const byGateway = (reply) => reply.status === 401 && JSON.stringify(reply.body) === '{"message":"Unauthorized"}';
const apiRefusal = (await call('GET', '/api/users/me', { token: signRs256(realHeader, { ...realClaims, token_use: 'id' }, realKey) })).text;
check(JSON.parse(apiRefusal).error?.code === 'unauthorized',
  'the API refuses what the authorizer lets through with its own one 401', apiRefusal);
const isRefusal = (reply) => byGateway(reply) || (reply.status === 401 && reply.text === apiRefusal)
  || reply.status === 413 || reply.status === 431;
const refusedBy = new Set();
for (const [name, token] of Object.entries(forgeries)) {
  results.attacks += 1;
  const reply = await call('GET', '/api/users/me', { token });
  const refused = isRefusal(reply);
  if (refused) refusedBy.add(byGateway(reply) ? 'gateway' : reply.status === 401 ? 'api' : 'size');
  if (!refused) results.accepted += reply.status === 200 ? 1 : 0;
  check(refused, `forged token refused with one of the two 401s: ${name}`, `${reply.status} ${reply.text}`);
}
check(refusedBy.has('gateway') && refusedBy.has('api'), 'the forgeries meet both layers', [...refusedBy]);
for (const [name, header] of Object.entries({
  'no Bearer scheme': alice.tokens.access_token,
  'Basic scheme': `Basic ${Buffer.from('alice:pw').toString('base64')}`,
  'empty Bearer': 'Bearer ',
})) {
  results.attacks += 1;
  const reply = await call('GET', '/api/users/me', { token: header, raw: true });
  check(isRefusal(reply), `malformed Authorization refused: ${name}`, reply.text);
}

// ---------------------------------------------------------------- enumeration
const unknown = `nobody-${Date.now()}@example.com`;
const same = (a, b) => a.status === b.status && a.text === b.text;
const wrongPassword = await call('POST', '/api/auth/signin', { body: { email: alice.email, password: 'Wrong-password-1!' } });
const noSuchUser = await call('POST', '/api/auth/signin', { body: { email: unknown, password: 'Wrong-password-1!' } });
check(wrongPassword.status === 401 && same(wrongPassword, noSuchUser), 'sign-in: unknown user and wrong password answer alike', `${wrongPassword.text} / ${noSuchUser.text}`);
for (const path of ['/api/auth/forgot-password', '/api/auth/resend-code']) {
  const known = await call('POST', path, { body: { email: bob.email } });
  const nobody = await call('POST', path, { body: { email: unknown } });
  check(known.status === 202 && same(known, nobody), `${path}: known and unknown users answer alike`, `${known.status} ${known.text} / ${nobody.status} ${nobody.text}`);
}
{
  // Passwordless: the same answer shape (a session each), and no code works
  // for an account that does not exist.
  const mailsBefore = (await mailsTo(args.endpoint, bob.email)).length;
  const known = await call('POST', '/api/auth/signin/code', { body: { email: bob.email } });
  const nobody = await call('POST', '/api/auth/signin/code', { body: { email: unknown } });
  const shape = (reply) => JSON.stringify(Object.keys(reply.body ?? {}).sort()) + reply.body?.message;
  check(known.status === 202 && nobody.status === 202 && shape(known) === shape(nobody),
    '/api/auth/signin/code: known and unknown users answer alike', `${known.text} / ${nobody.text}`);
  results.attacks += 1;
  const guessed = await call('POST', '/api/auth/signin/code/verify',
    { body: { email: unknown, session: nobody.body?.session, code: await mailedCode(args.endpoint, bob.email) } });
  if (guessed.status === 200) results.accepted += 1;
  check(guessed.status === 400 && guessed.body.error?.code === 'invalid_code',
    "a code for an unknown account is refused, even one valid for another's", `${guessed.status} ${guessed.text}`);
  const code = await mailedCode(args.endpoint, bob.email, { after: mailsBefore });
  const signedIn = await call('POST', '/api/auth/signin/code/verify',
    { body: { email: bob.email, session: known.body?.session, code } });
  check(signedIn.status === 200 && decode(signedIn.body.access_token).payload.sub === bob.claims.sub,
    'control: the mailed code signs its owner in through the API', `${signedIn.status} ${signedIn.text}`);
}

// ---------------------------------------------------------------- access control
const bobsItem = await call('POST', '/api/data', { token: bob.tokens.access_token, body: { title: 'bob only' } });
check(bobsItem.status === 201, "bob stores an item", bobsItem.text);
const bobsId = bobsItem.body?.id;
for (const method of ['GET', 'DELETE']) {
  results.attacks += 1;
  const reply = await call(method, `/api/data/${bobsId}`, { token: alice.tokens.access_token });
  check(reply.status === 404, `alice cannot ${method} bob's item`, `${reply.status} ${reply.text}`);
}
const aliceList = await call('GET', '/api/data', { token: alice.tokens.access_token });
check(!JSON.stringify(aliceList.body).includes(bobsId), "bob's item is not in alice's list");
const bobStill = await call('GET', `/api/data/${bobsId}`, { token: bob.tokens.access_token });
check(bobStill.status === 200, "bob's item is still there");

const target = encodeURIComponent(bob.claims.username);
const me = encodeURIComponent(alice.claims.username);
for (const [method, path] of [
  ['GET', '/api/admin/users'],
  ['PUT', `/api/admin/users/${target}/groups/users`],
  ['DELETE', `/api/admin/users/${target}/groups/users`],
  ['POST', `/api/admin/users/${target}/disable`],
  ['POST', `/api/admin/users/${target}/enable`],
  ['PUT', `/api/admin/users/${me}/groups/admin`],
]) {
  results.attacks += 1;
  const reply = await call(method, path, { token: alice.tokens.access_token });
  check(reply.status === 403, `a non-admin gets 403: ${method} ${path.replace(target, 'BOB').replace(me, 'SELF')}`, `${reply.status} ${reply.text}`);
}
for (const body of [{ role: 'admin' }, { groups: ['admin'] }, { 'cognito:groups': ['admin'] }, { name: 'A', roles: ['admin'] }, { permissions: ['admin:users:write'] }]) {
  results.attacks += 1;
  const reply = await call('PUT', '/api/users/me', { token: alice.tokens.access_token, body });
  check(reply.status === 403, `no self-promotion through the profile: ${JSON.stringify(body)}`, `${reply.status} ${reply.text}`);
}
const fresh = await signIn(alice.email);
check(
  JSON.stringify(fresh.claims['cognito:groups']) === JSON.stringify(['users']),
  "alice's fresh token still carries only the users group",
  JSON.stringify(fresh.claims['cognito:groups']),
);

// ---------------------------------------------------------------- revocation
const session = (await signIn(bob.email)).tokens;
const signOut = await call('POST', '/api/auth/signout', { token: session.access_token, body: { refresh_token: session.refresh_token } });
check(signOut.status === 200, 'bob signs out', signOut.text);
// The data routes verify the token locally; they must still ask Cognito.
const dataRoutes = [
  ['GET', '/api/data'],
  ['GET', `/api/data/${bobsId}`],
  ['POST', '/api/data', { title: 'by a thief' }],
  ['DELETE', `/api/data/${bobsId}`],
];
for (const [method, path, body] of [
  ...dataRoutes,
  ['GET', '/api/users/me'],
  ['PUT', '/api/users/me', { name: 'Mallory' }],
  ['DELETE', '/api/users/me'],
  ['POST', '/api/auth/mfa/setup'],
  ['POST', '/api/auth/change-password', { old_password: PASSWORD, new_password: 'another-Quasar-harbor-72!' }],
]) {
  results.attacks += 1;
  const reply = await call(method, path, { token: session.access_token, body });
  if (reply.status < 300) results.accepted += 1;
  check(reply.status === 401, `the revoked token is refused: ${method} ${path}`, `${reply.status} ${reply.text}`);
}
const refreshed = await call('POST', '/api/auth/refresh', { body: { refresh_token: session.refresh_token, username: bob.claims.username } });
check(refreshed.status === 401, 'the revoked refresh token is refused', `${refreshed.status} ${refreshed.text}`);

// A sign-out straight to Cognito (Amplify's global sign-out), past the API.
const direct = (await signIn(bob.email)).tokens;
const cognitoSignOut = await fetch(args.endpoint, {
  method: 'POST',
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSCognitoIdentityProviderService.GlobalSignOut' },
  body: JSON.stringify({ AccessToken: direct.access_token }),
});
check(cognitoSignOut.status === 200, 'bob signs out straight through Cognito', `${cognitoSignOut.status} ${await cognitoSignOut.text()}`);
for (const [method, path, body] of dataRoutes) {
  results.attacks += 1;
  const reply = await call(method, path, { token: direct.access_token, body });
  if (reply.status < 300) results.accepted += 1;
  check(reply.status === 401, `the token signed out past the API is refused: ${method} ${path}`, `${reply.status} ${reply.text}`);
}

// A stolen refresh token that rotation replaced (the local stack rotates the
// API client's tokens, 2 s grace) is refused once the grace period is over;
// the replacement goes on working.
const rotating = (await signIn(bob.email)).tokens;
// A refresh is not a sign-in: its tokens keep the sign-in's auth_time, so a
// stolen refresh token does not open the actions that need a recent one.
await new Promise((resolve) => setTimeout(resolve, 1100));
const renewed = await call('POST', '/api/auth/refresh', { body: { refresh_token: rotating.refresh_token } });
results.attacks += 1;
const renewedAt = renewed.body.access_token && decode(renewed.body.access_token).payload.auth_time;
if (renewedAt !== decode(rotating.access_token).payload.auth_time) results.accepted += 1;
check(renewedAt === decode(rotating.access_token).payload.auth_time,
  "a refresh keeps the sign-in's auth_time", `${renewedAt} vs ${decode(rotating.access_token).payload.auth_time}`);
check(
  renewed.status === 200 && typeof renewed.body.refresh_token === 'string' && renewed.body.refresh_token !== rotating.refresh_token,
  'a refresh answers the rotated refresh token',
  `${renewed.status} ${renewed.text}`,
);
await new Promise((resolve) => setTimeout(resolve, 2500));
results.attacks += 1;
const replayed = await call('POST', '/api/auth/refresh', { body: { refresh_token: rotating.refresh_token } });
if (replayed.status === 200) results.accepted += 1;
check(replayed.status === 401 && replayed.body.error?.code === 'unauthorized',
  'the replaced refresh token is refused after the grace period', `${replayed.status} ${replayed.text}`);
const onward = await call('POST', '/api/auth/refresh', { body: { refresh_token: renewed.body.refresh_token } });
check(onward.status === 200, 'the replacement still refreshes', `${onward.status} ${onward.text}`);
const bobAfter = await signIn(bob.email);
const bobProfile = await call('GET', '/api/users/me', { token: bobAfter.tokens.access_token });
check(bobProfile.status === 200 && bobProfile.body.name === 'Ada Lovelace', "bob's account and profile are untouched", bobProfile.text);

// A stolen access token moves the email straight through Cognito, to then
// reset the password at the thief's address: the custom-message trigger
// refuses the code, and the pool keeps the owner's address.
async function cognitoCall(target, body) {
  const reply = await fetch(args.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `AWSCognitoIdentityProviderService.${target}` },
    body: JSON.stringify(body),
  });
  return { status: reply.status, body: await reply.json().catch(() => ({})) };
}
const dave = await newUser('dave');
const thiefAddress = `thief-${Date.now()}@example.com`;
for (const [target, body] of [
  ['UpdateUserAttributes', { AccessToken: dave.tokens.access_token, UserAttributes: [{ Name: 'email', Value: thiefAddress }] }],
  ['GetUserAttributeVerificationCode', { AccessToken: dave.tokens.access_token, AttributeName: 'email' }],
  ['VerifyUserAttribute', { AccessToken: dave.tokens.access_token, AttributeName: 'email', Code: '123456' }],
]) {
  results.attacks += 1;
  const reply = await cognitoCall(target, body);
  if (reply.status < 300) results.accepted += 1;
  check(reply.status >= 400, `the email cannot move straight through Cognito: ${target}`, `${reply.status} ${JSON.stringify(reply.body)}`);
}
const daveNow = await call('GET', '/api/users/me', { token: dave.tokens.access_token });
check(daveNow.body.email === dave.email && (await mailsTo(args.endpoint, thiefAddress)).length === 0,
  "dave keeps his address and the thief's gets no mail", daveNow.text);

// ---------------------------------------------------------------- notices
// A change to how an account is proven is mailed to its owner (through the
// API's SES sender, captured by the emulator), never with the secret.
const carol = await newUser('carol');
const changed = await call('POST', '/api/auth/change-password',
  { token: carol.tokens.access_token, body: { old_password: PASSWORD, new_password: 'another-Quasar-harbor-72!' } });
check(changed.status === 200, 'carol changes her password', changed.text);
const told = (await mailsTo(args.endpoint, carol.email)).filter((m) => JSON.stringify(m).includes('Your password was changed'));
check(told.length === 1, 'carol is mailed one notice of the change', `${told.length} notices`);
check(told.length === 1 && !JSON.stringify(told[0]).includes('another-Quasar'), 'the notice holds no password');

// Another site's page must get no CORS grant (preflight or simple request).
for (const [name, init] of Object.entries({
  preflight: {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
  },
  'credentialed GET': { method: 'GET', headers: { origin: 'https://evil.example', authorization: `Bearer ${bobAfter.tokens.access_token}` } },
})) {
  results.attacks += 1;
  const response = await fetch(`${args.url}/api/users/me`, init);
  await response.arrayBuffer();
  const granted = response.headers.get('access-control-allow-origin');
  if (granted) results.accepted += 1;
  check(!granted, `no CORS grant for a foreign origin: ${name}`, `access-control-allow-origin: ${granted}`);
}
// Callers cannot choose the request ID that logs and error bodies carry.
results.attacks += 1;
const forgedId = await fetch(`${args.url}/api/users/me`, { headers: { 'x-request-id': 'forged-request-id' } });
await forgedId.arrayBuffer();
check(forgedId.headers.get('x-request-id') !== 'forged-request-id', 'a caller-chosen x-request-id is replaced', forgedId.headers.get('x-request-id'));
check(
  errorBodies.total > 0 && errorBodies.withRequestId === errorBodies.total,
  `every error body carries its answer's x-request-id (${errorBodies.withRequestId}/${errorBodies.total})`,
);

finish('security', `${results.attacks} attacks, ${results.accepted} accepted; ${results.passed} checks passed, ${results.failed} failed`);
