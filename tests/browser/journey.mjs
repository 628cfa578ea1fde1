// The whole user journey in headless Chromium against the local stack,
// signed out through Amplify UI's Authenticator: a guessable password
// refused with zxcvbn's feedback, sign-up, the code read from the captured
// mail, confirmation, sign-in, roles shown, profile edited, email changed, data added,
// direct DynamoDB read, TOTP set up and used, devices remembered and signed
// out, sign-out, the old access token refused; a forgotten password reset by
// mailed code (with TOTP, and with email MFA by the API's own code), the admin page (the user made an admin, another user disabled
// and enabled), a password change, and the account deleted; sign-in by a
// mailed code, email MFA, passkeys (Amplify and the API); federated sign-in
// with the stack's OIDC provider and linking. Screenshots of every step go
// to --artifacts. Fails on any console error the journey did not expect.
//
//   node tests/browser/journey.mjs --url http://127.0.0.1:5173 \
//     --endpoint http://127.0.0.1:4566 --artifacts .local/test/browser \
//     [--idp-port PORT --idp-tls DIR]
import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mailedCode, mailsTo } from '../lib/mailbox.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    endpoint: { type: 'string' },
    artifacts: { type: 'string', default: '.local/test/browser' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    // The OpenID Connect provider the stack was deployed with
    // (scripts/lib/stack.sh local_oidc_parameters): its port and TLS files.
    'idp-port': { type: 'string' },
    'idp-tls': { type: 'string' },
  },
});
if (!args.url || !args.endpoint) throw new Error('--url and --endpoint are required');
mkdirSync(args.artifacts, { recursive: true });

// Within the pool's password policy (the Authenticator checks that itself),
// yet guessable: zxcvbn, in the API, refuses it.
const GUESSABLE = 'Password123!';
const STRONG = 'violet-Quasar-harbor-71!';
const RESET = 'amber-Lantern-orchard-58?';
const CHANGED = 'cobalt-Meadow-quarry-94%';
let email = `journey-${Date.now()}@example.com`;

let shot = 0;
const passed = [];

// The provider (oauth2-mock-server, over https) signs in whoever
// `idpIdentity` names, with the claims Cognito maps.
const idpIdentity = {};
let idp = null;
if (args['idp-port']) {
  const { OAuth2Server } = await import(pathToFileURL(require.resolve('oauth2-mock-server')));
  idp = new OAuth2Server(`${args['idp-tls']}/key.pem`, `${args['idp-tls']}/cert.pem`);
  await idp.issuer.keys.generate('RS256');
  await idp.start(Number(args['idp-port']), '127.0.0.1');
  idp.issuer.url = `https://localhost:${args['idp-port']}`;
  idp.service.on('beforeTokenSigning', (token) => Object.assign(token.payload, idpIdentity));
}

// Amplify UI's Authenticator, the signed-out page.
const inAuthenticator = (selector) => `#authenticator ${selector}`;

async function fillSignIn(page, who, password) {
  await page.fill(inAuthenticator('input[name="username"]'), who);
  if (password !== undefined) await page.fill(inAuthenticator('input[name="password"]'), password);
}

async function passwordSignIn(page, who, password) {
  await visible(page, inAuthenticator('input[name="username"]'));
  await fillSignIn(page, who, password);
  await page.locator('#authenticator').getByRole('button', { name: 'Sign in', exact: true }).click();
}

// "Other sign-in options": 'Sign In with Email' (a mailed code) or 'Sign In with Passkey'.
async function otherSignIn(page, who, option) {
  await visible(page, inAuthenticator('input[name="username"]'));
  await fillSignIn(page, who);
  await page.getByRole('button', { name: 'Other sign-in options' }).click();
  await page.getByRole('button', { name: option }).click();
}

// A code screen of the Authenticator: TOTP, or a code mailed for sign-in or MFA.
async function codeAsked(page, heading) {
  await page.locator('#authenticator').getByRole('heading', { name: heading }).waitFor({ timeout: 20000 });
  return true;
}

async function enterCode(page, code) {
  await page.fill(inAuthenticator('input[name="confirmation_code"]'), code);
  await page.locator('#authenticator').getByRole('button', { name: 'Confirm' }).click();
}

function claimsOf(token) {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
}

function check(condition, what) {
  if (!condition) throw new Error(`failed: ${what}`);
  passed.push(what);
  console.log(`  ok  ${what}`);
}

async function screenshot(page, name) {
  shot += 1;
  const file = `${args.artifacts}/${String(shot).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
}

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) from a base32 secret.
function totp(secret, at = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30000)));
  const digest = createHmac('sha1', key).update(counter).digest();
  const offset = digest[digest.length - 1] & 0xf;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// Waits for the next TOTP window, so no code is used twice.
async function freshTotp(secret, used) {
  for (;;) {
    const code = totp(secret);
    if (!used.has(code)) {
      used.add(code);
      return code;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
}

// Calls the API as a script would (through the web server's /api proxy).
async function apiCall(method, path, body) {
  const reply = await fetch(`${args.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  return { status: reply.status, body: await reply.json().catch(() => null) };
}

// An operator's step the web client has no button for: adding a user to the
// admin group, straight in the emulated pool (boto3 from the project's venv).
function makeAdmin(poolId, username) {
  const python = new URL('../../.venv/bin/python', import.meta.url).pathname;
  const script = `import boto3, sys
boto3.client("cognito-idp", endpoint_url=sys.argv[1], region_name="us-east-1", aws_access_key_id="local",
             aws_secret_access_key="local").admin_add_user_to_group(UserPoolId=sys.argv[2], Username=sys.argv[3],
                                                                     GroupName="admin")`;
  const run = spawnSync(python, ['-c', script, args.endpoint, poolId, username], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`admin_add_user_to_group: ${run.stderr}`);
}

async function visible(page, selector) {
  await page.locator(selector).waitFor({ state: 'visible', timeout: 20000 });
  return true;
}

const browser = await chromium.launch({
  executablePath: args.chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-quic',
    '--no-first-run',
    '--disable-component-update',
    '--disable-sync',
  ],
});
const consoleErrors = [];
// Responses the journey provokes on purpose; the browser logs each as a
// console error, which is expected only for these.
const expectedFailures = [];

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const url = message.location()?.url ?? '';
    const expected = expectedFailures.findIndex((path) => url.endsWith(path));
    if (message.text().startsWith('Failed to load resource') && expected >= 0) {
      expectedFailures.splice(expected, 1);
      return;
    }
    consoleErrors.push(`${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error.message}`));

  // Passkeys belong to a domain: the page is on localhost, the local
  // stack's relying party (same server as args.url).
  const pageUrl = args.url.replace('127.0.0.1', 'localhost');
  await page.goto(pageUrl);
  check(await visible(page, '#authenticator'), "the signed-out page is Amplify UI's Authenticator");
  await page.getByRole('tab', { name: 'Create Account' }).click();
  await screenshot(page, 'sign-up');

  await page.fill(inAuthenticator('input[name="email"]'), email);
  await page.fill(inAuthenticator('input[name="name"]'), 'Ada Lovelace');
  await page.fill(inAuthenticator('input[name="password"]'), GUESSABLE);
  await page.fill(inAuthenticator('input[name="confirm_password"]'), GUESSABLE);
  expectedFailures.push('/api/auth/signup');
  await page.getByRole('button', { name: 'Create account with Password' }).click();
  const refusal = page.locator('#authenticator [role=alert]', { hasText: 'too easy to guess' });
  await refusal.waitFor();
  check(true, `sign-up goes through the API, which refuses a guessable password with zxcvbn's feedback ("${
    (await refusal.textContent()).trim().slice(0, 80)}…")`);
  await screenshot(page, 'weak-password');

  await page.fill(inAuthenticator('input[name="password"]'), STRONG);
  await page.fill(inAuthenticator('input[name="confirm_password"]'), STRONG);
  await page.getByRole('button', { name: 'Create account with Password' }).click();
  check(await visible(page, inAuthenticator('input[name="confirmation_code"]')), 'a strong password is accepted');
  await screenshot(page, 'confirm');

  const code = await mailedCode(args.endpoint, email);
  check(/^\d{6}$/.test(code), 'the confirmation code is read from the captured mail');
  const mailbox = await context.newPage();
  await mailbox.goto(`${args.url}/mailbox.html`);
  await visible(mailbox, '.message >> nth=0');
  check((await mailbox.locator('.message h2').count()) > 0, 'the mailbox page lists the mail');
  await screenshot(mailbox, 'mailbox');
  await mailbox.close();

  await enterCode(page, code);
  check(await visible(page, inAuthenticator('input[name="password"]')), 'the account is confirmed (straight to Cognito)');
  await screenshot(page, 'confirmed');

  await passwordSignIn(page, email, STRONG);
  check(await visible(page, '#account'), 'signed in');
  const roles = await page.textContent('#profile-roles');
  check(roles.split(', ').includes('users'), `the roles claim is shown (${roles})`);
  await screenshot(page, 'signed-in');

  await page.fill('#profile-name', 'Ada King');
  await page.click('#profile-form button[type=submit]');
  await page.locator('#status', { hasText: 'Profile saved.' }).waitFor();
  await page.reload();
  await visible(page, '#account');
  check((await page.inputValue('#profile-name')) === 'Ada King', 'the edited profile is kept');
  await screenshot(page, 'profile-edited');

  // The email moves through the API alone: a code to the new address.
  const moved = `journey-moved-${Date.now()}@example.com`;
  await page.fill('#email-new', moved);
  await page.click('#email-form button[type=submit]');
  await page.locator('#email-code-form').waitFor();
  await page.fill('#email-code', await mailedCode(args.endpoint, moved));
  await page.fill('#email-current-code', await mailedCode(args.endpoint, email));
  await page.click('#email-code-form button[type=submit]');
  await page.locator('#profile-email', { hasText: moved }).waitFor();
  const toldOld = (await mailsTo(args.endpoint, email)).some((m) => /The email address was changed/.test(m.Subject));
  check(toldOld, 'the email is changed with the codes mailed to the new and the current address, and the old one is told');
  email = moved;

  await page.fill('#data-title', 'First note');
  await page.click('#data-form button[type=submit]');
  await page.locator('#data-list li', { hasText: 'First note' }).waitFor();
  check(true, 'a data item is created and listed');
  await screenshot(page, 'data');

  await page.click('#direct-read');
  await page.locator('#direct-result', { hasText: 'Read 1 item(s)' }).waitFor();
  check(true, 'the item is read directly from DynamoDB with identity-pool credentials');

  const usedCodes = new Set();
  await page.click('#totp-start');
  await visible(page, '#totp-form');
  const secret = (await page.textContent('#totp-secret')).trim();
  await page.fill('#totp-code', await freshTotp(secret, usedCodes));
  await page.click('#totp-form button[type=submit]');
  await page.locator('#status', { hasText: 'Two-step verification is on.' }).waitFor();
  check(true, 'TOTP MFA is set up');
  await screenshot(page, 'mfa-on');

  await page.click('#signout');
  await passwordSignIn(page, email, STRONG);
  check(await codeAsked(page, 'Confirm TOTP Code'), 'sign-in asks for the TOTP code');
  await screenshot(page, 'mfa-challenge');
  await enterCode(page, await freshTotp(secret, usedCodes));
  check(await visible(page, '#account'), 'signed in with TOTP');

  // Devices: Amplify confirms the browser's device at each new sign-in;
  // the stack (OPT_IN) remembers it when its user asks.
  const pageToken = () => page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith('.accessToken'));
    return key && localStorage.getItem(key);
  });
  const devicesViaApi = async (method = 'GET', path = '', body = undefined) => {
    const reply = await fetch(`${args.url}/api/auth/devices${path}`, {
      method,
      headers: { authorization: `Bearer ${await pageToken()}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    return { status: reply.status, body: await reply.json().catch(() => null) };
  };
  const deviceItems = page.locator('#devices-list li');
  check(await visible(page, '#devices-list li >> nth=0'), 'the devices section lists this browser');
  check((await deviceItems.count()) === 1 && (await deviceItems.first().getAttribute('data-remembered')) === 'false',
    'one device, not remembered until asked');
  await page.click('#device-remember');
  await page.locator('#devices-list li[data-remembered=true]').waitFor();
  check(true, 'this device is remembered');

  const elsewhere = await browser.newContext();
  const elsewherePage = await elsewhere.newPage();
  await elsewherePage.goto(pageUrl);
  await passwordSignIn(elsewherePage, email, STRONG);
  await codeAsked(elsewherePage, 'Confirm TOTP Code');
  await enterCode(elsewherePage, await freshTotp(secret, usedCodes));
  await visible(elsewherePage, '#account');
  await visible(elsewherePage, '#devices-list li >> nth=0');
  const elsewhereRefresh = await elsewherePage.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith('.refreshToken'));
    return key && localStorage.getItem(key);
  });
  const bothDevices = await devicesViaApi();
  check(bothDevices.status === 200 && bothDevices.body.devices.length === 2,
    `a second browser is a second device, listed by the API too (${bothDevices.status})`);

  await page.reload();
  await visible(page, '#devices-list li >> nth=1');
  await page.click('#devices-list li[data-remembered=false] button');
  await page.locator('#status', { hasText: 'signed out and forgotten' }).waitFor();
  await page.locator('#devices-list li').nth(1).waitFor({ state: 'detached' });
  const webClientId = (await (await fetch(`${args.url}/amplify_outputs.json`)).json()).auth.user_pool_client_id;
  const refreshedElsewhere = await fetch(args.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': 'AWSCognitoIdentityProviderService.GetTokensFromRefreshToken',
    },
    body: JSON.stringify({ ClientId: webClientId, RefreshToken: elsewhereRefresh }),
  });
  check(refreshedElsewhere.status === 400 && (await deviceItems.count()) === 1,
    `the other browser is signed out from this one: its refresh token is refused (${refreshedElsewhere.status})`);
  await elsewhere.close();

  await page.click('#signout');
  await passwordSignIn(page, email, STRONG);
  check(await visible(page, '#account'), 'the remembered device signs in without the TOTP code (device SRP)');
  const remembered = (await devicesViaApi()).body.devices.find((device) => device.remembered);
  const forgotten = await devicesViaApi('PUT', `/${remembered.device_key}`, { remembered: false });
  check(forgotten.status === 200 && forgotten.body.devices.every((device) => !device.remembered),
    `the API stops remembering it (${forgotten.status}); the next sign-in asks for TOTP again`);

  const oldToken = await page.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.endsWith('.accessToken'));
    return key && localStorage.getItem(key);
  });
  check(Boolean(oldToken), 'the page holds an access token');
  await page.click('#signout');
  check(await visible(page, '#signin'), 'signed out');
  await screenshot(page, 'signed-out');

  const afterSignOut = await fetch(`${args.url}/api/users/me`, {
    headers: { authorization: `Bearer ${oldToken}` },
  });
  check(afterSignOut.status === 401, `the old access token is refused (${afterSignOut.status})`);

  // Another user, for the admin page; and this one made an admin.
  const other = `journey-other-${Date.now()}@example.com`;
  const otherUp = await apiCall('POST', '/api/auth/signup', { email: other, password: STRONG, name: 'Grace Hopper' });
  const otherConfirmed = await apiCall('POST', '/api/auth/confirm', { email: other, code: await mailedCode(args.endpoint, other) });
  check(otherUp.status < 300 && otherConfirmed.status === 200, 'a second user signs up through the API');
  const outputs = await (await fetch(`${args.url}/amplify_outputs.json`)).json();
  makeAdmin(outputs.auth.user_pool_id, email);

  await page.getByRole('button', { name: 'Forgot your password?' }).click();
  await page.fill(inAuthenticator('input[name="username"]'), email);
  await page.getByRole('button', { name: 'Send code' }).click();
  check(await visible(page, inAuthenticator('input[name="confirmation_code"]')),
    '"Forgot your password?" mails a reset code (through the API, Cognito\'s own here)');
  const resetCode = await mailedCode(args.endpoint, email);
  const newPassword = async (password) => {
    await page.fill(inAuthenticator('input[name="confirmation_code"]'), resetCode);
    await page.fill(inAuthenticator('input[name="password"]'), password);
    await page.fill(inAuthenticator('input[name="confirm_password"]'), password);
    await page.getByRole('button', { name: 'Submit' }).click();
  };
  expectedFailures.push('/api/auth/reset-password');
  await newPassword(GUESSABLE);
  await page.locator('#authenticator [role=alert]', { hasText: 'too easy to guess' }).waitFor();
  check(true, 'the new password goes through the API, which refuses a guessable one with zxcvbn feedback');
  await screenshot(page, 'reset-weak');
  await newPassword(RESET);
  await page.locator('#authenticator').getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  check(true, 'the password is reset with the mailed code');
  expectedFailures.push(`${args.endpoint.replace(/\/$/, '')}/`); // Cognito's 400 to the wrong password
  await passwordSignIn(page, email, STRONG);
  await page.locator('#authenticator [role=alert]', { hasText: 'Incorrect username or password' }).waitFor();
  check(true, 'the old password no longer signs in');
  await passwordSignIn(page, email, RESET);
  await codeAsked(page, 'Confirm TOTP Code');
  await enterCode(page, await freshTotp(secret, usedCodes));
  check(await visible(page, '#account'), 'signed in with the new password (and TOTP)');

  check(await visible(page, '#admin'), 'an admin sees the users page');
  const otherRow = page.locator('#admin-users tr', { hasText: other });
  await otherRow.waitFor();
  await screenshot(page, 'admin');
  await otherRow.getByRole('button', { name: 'Disable' }).click();
  await page.locator('#admin-users tr', { hasText: other }).filter({ hasText: 'disabled' }).waitFor();
  const disabledSignIn = await apiCall('POST', '/api/auth/signin', { email: other, password: STRONG });
  check(disabledSignIn.status === 401 || disabledSignIn.status === 403, `a disabled user cannot sign in (${disabledSignIn.status})`);
  await page.locator('#admin-users tr', { hasText: other }).getByRole('button', { name: 'Enable' }).click();
  await page.locator('#admin-users tr', { hasText: other }).getByRole('button', { name: 'Disable' }).waitFor();
  const enabledSignIn = await apiCall('POST', '/api/auth/signin', { email: other, password: STRONG });
  check(enabledSignIn.status === 200, `enabled again, the user signs in (${enabledSignIn.status})`);

  await page.fill('#password-old', RESET);
  await page.fill('#password-new', CHANGED);
  await page.click('#password-form button[type=submit]');
  await page.locator('#status', { hasText: 'Password changed: sign in with the new one.' }).waitFor();
  check(await visible(page, '#authenticator'), 'a password change ends every session, this one too');
  const changedSignIn = await apiCall('POST', '/api/auth/signin', { email, password: CHANGED });
  check(changedSignIn.status === 200 && changedSignIn.body.challenge === 'SOFTWARE_TOKEN_MFA',
    'the password is changed (the new one reaches the TOTP step)');
  await passwordSignIn(page, email, CHANGED);
  await enterCode(page, await freshTotp(secret, usedCodes));
  check(await visible(page, '#account'), 'signed in again with the new password (and TOTP)');

  await page.check('#delete-form input[name=confirmed]');
  await page.click('#delete-form button[type=submit]');
  check(await visible(page, '#authenticator'), 'the account is deleted and the page signed out');
  await screenshot(page, 'deleted');
  const deletedSignIn = await apiCall('POST', '/api/auth/signin', { email, password: CHANGED });
  check(deletedSignIn.status === 401, `the deleted account cannot sign in (${deletedSignIn.status})`);

  // Passwordless: the other user signs in with a mailed code.
  const mailsBefore = (await mailsTo(args.endpoint, other)).length;
  await page.getByRole('tab', { name: 'Sign In' }).click();
  await otherSignIn(page, other, 'Sign In with Email');
  check(await codeAsked(page, 'Confirm Email Code'), 'a sign-in code is asked for ("Other sign-in options")');
  const signInCode = await mailedCode(args.endpoint, other, { after: mailsBefore });
  const codeMail = (await mailsTo(args.endpoint, other)).pop();
  check(/sign-in code/.test(codeMail.Subject), `the code comes in the branded sign-in mail ("${codeMail.Subject}")`);
  await enterCode(page, signInCode);
  check(await visible(page, '#account'), 'signed in with the mailed code, no password');
  check((await page.textContent('#profile-email')) === other, 'as the other user');
  await screenshot(page, 'signed-in-by-code');

  // Codes by email as the second factor.
  await page.click('#email-mfa-on');
  await page.locator('#email-mfa-state', { hasText: 'Sign-in asks for this one.' }).waitFor();
  check(true, 'codes by email are turned on as the second factor');
  await page.click('#signout');
  const beforeMfa = (await mailsTo(args.endpoint, other)).length;
  await passwordSignIn(page, other, STRONG);
  check(await codeAsked(page, 'Confirm Email Code'), 'the password sign-in asks for the emailed code');
  await enterCode(page, await mailedCode(args.endpoint, other, { after: beforeMfa }));
  check(await visible(page, '#account'), 'signed in with the password and the emailed code');

  // Cognito's ForgotPassword cannot reach a user with email MFA (email
  // recovery is disqualified); the API mails its own code instead.
  await page.click('#signout');
  const beforeReset = (await mailsTo(args.endpoint, other)).length;
  await page.getByRole('button', { name: 'Forgot your password?' }).click();
  await page.fill(inAuthenticator('input[name="username"]'), other);
  await page.getByRole('button', { name: 'Send code' }).click();
  await page.locator(inAuthenticator('input[name="confirmation_code"]')).waitFor();
  const apiResetCode = await mailedCode(args.endpoint, other, { after: beforeReset });
  const resetMail = (await mailsTo(args.endpoint, other)).pop();
  check(/reset/i.test(resetMail.Subject), `a user with email MFA gets a reset code from the API ("${resetMail.Subject}")`);
  await page.fill(inAuthenticator('input[name="confirmation_code"]'), apiResetCode);
  await page.fill(inAuthenticator('input[name="password"]'), RESET);
  await page.fill(inAuthenticator('input[name="confirm_password"]'), RESET);
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.locator('#authenticator').getByRole('button', { name: 'Sign in', exact: true }).waitFor();
  const beforeResetMfa = (await mailsTo(args.endpoint, other)).length;
  await passwordSignIn(page, other, RESET);
  check(await codeAsked(page, 'Confirm Email Code'), 'the new password reaches the emailed code step');
  await enterCode(page, await mailedCode(args.endpoint, other, { after: beforeResetMfa }));
  check(await visible(page, '#account'), 'signed in with the reset password and the emailed code');
  await screenshot(page, 'reset-with-email-mfa');
  await page.click('#mfa-off');
  await page.locator('#email-mfa-state', { hasText: 'Codes by email: off.' }).waitFor();
  check(true, 'two-step verification is turned off');
  await screenshot(page, 'mfa-off');

  // Passkeys, with Chromium's virtual authenticator (DevTools WebAuthn domain).
  const devtools = await context.newCDPSession(page);
  await devtools.send('WebAuthn.enable');
  const { authenticatorId } = await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  check(await visible(page, '#passkeys'), 'the passkeys section is shown');
  await page.click('#passkey-add');
  await page.locator('#passkeys-list li').first().waitFor();
  const stored = (await devtools.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  check(stored.length === 1 && stored[0].rpId === 'localhost', 'a passkey is registered and listed (relying party localhost)');
  await screenshot(page, 'passkey-added');
  await page.click('#signout');
  await otherSignIn(page, other, 'Sign In with Passkey');
  check(await visible(page, '#account'), 'signed in with the passkey, no password');
  check((await page.textContent('#profile-email')) === other, 'as its owner');

  // The API's passkey routes, with the same browser ceremony (WebAuthn's JSON
  // forms both ways), against the same emulated pool; on another device,
  // since an authenticator registers once per account.
  await devtools.send('WebAuthn.removeVirtualAuthenticator', { authenticatorId });
  await devtools.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  const viaApi = await page.evaluate(async () => {
    const key = Object.keys(localStorage).find((k) => k.endsWith('.accessToken'));
    const headers = { authorization: `Bearer ${localStorage.getItem(key)}`, 'content-type': 'application/json' };
    const { options } = await (await fetch('/api/auth/passkeys/options', { method: 'POST', headers })).json();
    const created = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) });
    const registered = await fetch('/api/auth/passkeys', {
      method: 'POST', headers, body: JSON.stringify({ credential: created.toJSON() }),
    });
    return { status: registered.status, count: (await registered.json()).passkeys?.length, id: created.id, headers };
  });
  check(viaApi.status === 201 && viaApi.count === 2, `a second passkey is registered through the API (${viaApi.status})`);
  const apiSignIn = await page.evaluate(async (email) => {
    const headers = { 'content-type': 'application/json' };
    const started = await (await fetch('/api/auth/signin/passkey', { method: 'POST', headers, body: JSON.stringify({ email }) })).json();
    const assertion = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.options) });
    const reply = await fetch('/api/auth/signin/passkey/verify', {
      method: 'POST', headers, body: JSON.stringify({ email, session: started.session, credential: assertion.toJSON() }),
    });
    return { status: reply.status, body: await reply.json() };
  }, other);
  check(apiSignIn.status === 200 && typeof apiSignIn.body.access_token === 'string',
    `signed in through the API with a passkey (${apiSignIn.status})`);
  const apiDeleted = await fetch(`${args.url}/api/auth/passkeys/${viaApi.id}`, { method: 'DELETE', headers: viaApi.headers });
  check(apiDeleted.status === 204, `the API's passkey is deleted through the API (${apiDeleted.status})`);
  await page.locator('#passkeys-list li button', { hasText: 'Delete' }).click();
  await page.locator('#status', { hasText: 'Passkey deleted.' }).waitFor();
  check((await page.locator('#passkeys-list li').count()) === 0, 'the passkey is deleted');
  await page.click('#signout');
  expectedFailures.push(`${args.endpoint.replace(/\/$/, '')}/`); // Cognito's refusal of the deleted passkey
  await otherSignIn(page, other, 'Sign In with Passkey');
  await page.locator('#authenticator [role=alert]').filter({ hasText: /\S/ }).waitFor();
  check(true, 'the deleted passkey no longer signs in');

  if (idp) {
    // Federated sign-in with the stack's OIDC provider through the managed
    // login domain Amplify is configured with. The browser reaches that
    // domain through the emulator, as a TLS front end would.
    const { domain } = (await (await fetch(`${args.url}/amplify_outputs.json`)).json()).auth.oauth;
    const fedUser = `journey-fed-${Date.now()}@example.com`;
    await apiCall('POST', '/api/auth/signup', { email: fedUser, password: STRONG, name: 'Ada Native' });
    await apiCall('POST', '/api/auth/confirm', { email: fedUser, code: await mailedCode(args.endpoint, fedUser) });
    const native = await apiCall('POST', '/api/auth/signin', { email: fedUser, password: STRONG });
    const nativeSub = claimsOf(native.body.access_token).sub;
    Object.assign(idpIdentity, { sub: `idp-${Date.now()}`, email: fedUser, email_verified: true, name: 'Ada Federated' });

    const federated = await browser.newContext({ ignoreHTTPSErrors: true });
    await federated.route(`https://${domain}/**`, async (route) => {
      const request = route.request();
      const url = new URL(request.url());
      const headers = Object.fromEntries(
        Object.entries(request.headers()).filter(([name]) => !['host', 'content-length'].includes(name)),
      );
      const reply = await fetch(`${args.endpoint}${url.pathname}${url.search}`, {
        method: request.method(),
        headers,
        body: request.postDataBuffer() ?? undefined,
        redirect: 'manual',
      });
      await route.fulfill({
        status: reply.status,
        headers: Object.fromEntries(reply.headers),
        body: Buffer.from(await reply.arrayBuffer()),
      });
    });
    const fedPage = await federated.newPage();
    fedPage.on('pageerror', (error) => consoleErrors.push(`uncaught (federated page): ${error.message}`));
    fedPage.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(`${message.text()} (federated page, ${message.location()?.url ?? ''})`);
    });
    // Where the page is and what it says, when a federated step fails.
    const signedInThere = (what) => visible(fedPage, '#account').catch(async (err) => {
      const problemText = await fedPage.textContent('#problem').catch(() => '');
      throw new Error(`${what}: ${err.message.split('\n')[0]} at ${fedPage.url()} (problem: ${problemText})`);
    });
    const idTokenOf = async () => claimsOf(await fedPage.evaluate(() => {
      const key = Object.keys(localStorage).find((k) => k.endsWith('.idToken'));
      return key && localStorage.getItem(key);
    }));
    await fedPage.goto(pageUrl);
    await fedPage.getByRole('button', { name: 'Continue with LocalIdP' }).click();
    check(await signedInThere('the first federated sign-in'),
      'signed in with the OIDC provider through the managed login domain');
    await screenshot(fedPage, 'federated');
    const firstSub = (await idTokenOf()).sub;
    check((await fedPage.textContent('#profile-email')) === fedUser && firstSub !== nativeSub
      && (await visible(fedPage, '#link')),
    "the provider's sign-in made a user of its own: nothing is linked on the matching email");

    await fedPage.fill('#link-email', fedUser);
    await fedPage.fill('#link-password', STRONG);
    await fedPage.click('#link-form button[type=submit]');
    await visible(fedPage, '#authenticator').catch(async (err) => {
      const state = await fedPage.evaluate(() => ({
        shown: [...document.querySelectorAll('main > section')].filter((e) => !e.hidden).map((e) => e.id),
        status: document.getElementById('status')?.textContent,
        problem: document.getElementById('problem')?.textContent,
        storage: Object.keys(localStorage).map((k) => k.split('.').pop()),
        notice: sessionStorage.getItem('notice'),
      }));
      throw new Error(`after linking: ${err.message.split('\n')[0]} ${JSON.stringify(state)} at ${fedPage.url()}`);
    });
    const linkedNotice = await fedPage.textContent('#status');
    check(linkedNotice.startsWith('Linked'), `its owner links it by signing in to the account once ("${linkedNotice}")`);

    await fedPage.getByRole('button', { name: 'Continue with LocalIdP' }).click();
    await signedInThere('the federated sign-in after the link');
    const linkedClaims = await idTokenOf();
    check(linkedClaims.sub === nativeSub && (await fedPage.locator('#link').isHidden()),
      `the provider's sign-in now reaches the account (${linkedClaims.sub === nativeSub ? 'same sub' : 'another sub'})`);
    await federated.close();
  }

  check(consoleErrors.length === 0, `no console errors${consoleErrors.length ? `: ${consoleErrors.join('; ')}` : ''}`);
  console.log(`browser journey: ${passed.length} checks passed; screenshots in ${args.artifacts}`);
} catch (err) {
  console.error(err.message);
  if (consoleErrors.length) console.error(`console errors: ${consoleErrors.join('; ')}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  await idp?.stop();
}
