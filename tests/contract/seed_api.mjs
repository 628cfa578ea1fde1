// The original application's documented contract (../shared/seed-api.md),
// replayed in order as a client written against it would: the documented
// request bodies, exactly, and every documented answer field checked. Then
// what must stay true beside it: enumeration safety for chosen usernames,
// zxcvbn on every password the contract sets, and today's request shapes.
// Prints one line per check and the counts; exits 1 on any failure.
//
//   node tests/contract/seed_api.mjs --url http://127.0.0.1:9000 \
//     (--endpoint http://127.0.0.1:4566 | --code 123456)
//
// With --endpoint, codes are read from the mail MiniStack captured; with
// --code (moto, which accepts any code), that code is sent.
import { parseArgs } from 'node:util';
import { apiCaller, checks } from '../lib/api.mjs';
import { mailedCode } from '../lib/mailbox.mjs';

const { values: args } = parseArgs({
  options: { url: { type: 'string' }, endpoint: { type: 'string' }, code: { type: 'string' } },
});
if (!args.url || !(args.endpoint || args.code)) {
  console.error('usage: seed_api.mjs --url API (--endpoint MINISTACK | --code CODE)');
  process.exit(2);
}

const { check, finish } = checks();
const call = apiCaller(args.url);

const ok = (reply) => reply.status >= 200 && reply.status < 300;
const isText = (v) => typeof v === 'string' && v.length > 0;
const code = async (email) => args.code ?? mailedCode(args.endpoint, email);
const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const username = `john.doe.${tag}`;
const email = `john-${tag}@example.com`;
const password = 'violet-Quasar-harbor-71!';
const newPassword = 'orbit-Lantern-meadow-42?';

// 1. Sign up, exactly as documented.
const weak = await call('POST', '/api/auth/signup', { body: { username, password: 'Password1!', email, name: 'John Doe' } });
check(weak.status === 400 && weak.body.error?.code === 'weak_password', 'sign-up: a weak password is still refused by zxcvbn', weak.text);
const signup = await call('POST', '/api/auth/signup', { body: { username, password, email, name: 'John Doe' } });
check(
  ok(signup) && isText(signup.body.message) && isText(signup.body.user_sub) && typeof signup.body.confirmation_required === 'boolean',
  'POST /api/auth/signup {username, password, email, name} → message, user_sub, confirmation_required',
  signup.text,
);
const again = await call('POST', '/api/auth/signup', {
  body: { username: username.toUpperCase(), password, email: `other-${email}`, name: 'Jane Doe' },
});
check(again.status === 409 && again.body.error?.code === 'username_taken', 'sign-up: a chosen username is taken once (case-insensitive)', again.text);

// 2. Confirm with the chosen username and the mailed code.
const confirm = await call('POST', '/api/auth/confirm', { body: { username, confirmation_code: await code(email) } });
check(ok(confirm) && isText(confirm.body.message), 'POST /api/auth/confirm {username, confirmation_code} → message', confirm.text);

// 3. Sign in by chosen username, and by email.
const tokenFields = (body) =>
  isText(body.id_token) && isText(body.access_token) && isText(body.refresh_token) &&
  typeof body.expires_in === 'number' && body.token_type === 'Bearer';
const byName = await call('POST', '/api/auth/signin', { body: { username, password } });
check(ok(byName) && tokenFields(byName.body), 'POST /api/auth/signin {username: chosen name, password} → id_token, access_token, refresh_token, expires_in, token_type', byName.text);
const byEmail = await call('POST', '/api/auth/signin', { body: { username: email, password } });
check(ok(byEmail) && tokenFields(byEmail.body), 'POST /api/auth/signin {username: email, password} → the same fields', byEmail.text);
const wrong = await call('POST', '/api/auth/signin', { body: { username, password: 'not-the-Password-9!' } });
const nobody = await call('POST', '/api/auth/signin', { body: { username: `nobody.${tag}`, password } });
check(
  wrong.status === 401 && wrong.status === nobody.status && wrong.answer === nobody.answer,
  'sign-in: an unknown username and a wrong password answer alike',
  `${wrong.text} / ${nobody.text}`,
);

// 4. Refresh with the refresh token only.
const refreshed = await call('POST', '/api/auth/refresh', { body: { refresh_token: byName.body.refresh_token } });
check(
  ok(refreshed) && isText(refreshed.body.id_token) && isText(refreshed.body.access_token) && typeof refreshed.body.expires_in === 'number',
  'POST /api/auth/refresh {refresh_token} → id_token, access_token, expires_in',
  refreshed.text,
);
let access = refreshed.body.access_token ?? byName.body.access_token;

// 5. The profile.
const me = await call('GET', '/api/users/me', { token: access });
check(
  ok(me) && isText(me.body.user_id) && me.body.user_id === signup.body.user_sub && me.body.username === username &&
    me.body.email === email && me.body.name === 'John Doe' && me.body.email_verified === true &&
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(me.body.created_at ?? ''),
  'GET /api/users/me → user_id, username, email, name, email_verified, created_at (ISO 8601 UTC)',
  me.text,
);
const update = await call('PUT', '/api/users/me', { token: access, body: { name: 'John Q. Doe', phone_number: '+14155550123' } });
check(
  ok(update) && isText(update.body.message) && update.body.user?.name === 'John Q. Doe' && update.body.user?.phone_number === '+14155550123',
  'PUT /api/users/me {name, phone_number} → message, user {name, phone_number}',
  update.text,
);

// 6. Data.
const stored = await call('POST', '/api/data', { token: access, body: { value: 'milk, eggs' } });
check(stored.status === 201, 'an item stored (POST /api/data {value})', stored.text);
const data = await call('GET', '/api/data', { token: access });
check(
  ok(data) && Array.isArray(data.body.data) && data.body.data.length === 1 &&
    data.body.data.every((item) => isText(item.id) && item.value === 'milk, eggs'),
  'GET /api/data → data: items with id and value',
  data.text,
);

// 7. Forgot and reset by chosen username.
const forgot = await call('POST', '/api/auth/forgot-password', { body: { username } });
check(ok(forgot) && isText(forgot.body.message), 'POST /api/auth/forgot-password {username} → message', forgot.text);
const resetCode = await code(email);
const weakReset = await call('POST', '/api/auth/reset-password', {
  body: { username, confirmation_code: resetCode, new_password: 'Password1!' },
});
check(weakReset.status === 400 && weakReset.body.error?.code === 'weak_password', 'reset: a weak new_password is still refused by zxcvbn', weakReset.text);
const reset = await call('POST', '/api/auth/reset-password', {
  body: { username, confirmation_code: resetCode, new_password: newPassword },
});
check(ok(reset) && isText(reset.body.message), 'POST /api/auth/reset-password {username, confirmation_code, new_password} → message', reset.text);
const signedIn = await call('POST', '/api/auth/signin', { body: { username, password: newPassword } });
check(ok(signedIn) && tokenFields(signedIn.body), 'sign-in with the new password', signedIn.text);
access = signedIn.body.access_token;

// 8. Sign out with the access token in the body only.
const signout = await call('POST', '/api/auth/signout', { body: { access_token: access } });
check(ok(signout) && isText(signout.body.message), 'POST /api/auth/signout {access_token} → message', signout.text);
const after = await call('GET', '/api/users/me', { token: access });
check(after.status === 401, 'the signed-out access token is refused', after.text);

// 9. Delete the account.
const last = await call('POST', '/api/auth/signin', { body: { username: email, password: newPassword } });
const deleted = await call('DELETE', '/api/users/me', { token: last.body.access_token });
check(ok(deleted) && isText(deleted.body.message), 'DELETE /api/users/me → message', deleted.text);
const gone = await call('POST', '/api/auth/signin', { body: { username, password: newPassword } });
check(gone.status === 401, 'the deleted account cannot sign in by username', gone.text);
const free = await call('POST', '/api/auth/signup', {
  body: { username, password, email: `again-${email}`, name: 'John Doe' },
});
check(ok(free), "the deleted account's username can be chosen again", free.text);

// Today's shapes keep working beside the original's.
const confirmedToday = await call('POST', '/api/auth/confirm', {
  body: { email: `again-${email}`, code: await code(`again-${email}`) },
});
check(ok(confirmedToday), "today's shape: POST /api/auth/confirm {email, code}", confirmedToday.text);
const todays = await call('POST', '/api/auth/signin', { body: { email: `again-${email}`, password } });
check(ok(todays) && tokenFields(todays.body), "today's shape: POST /api/auth/signin {email, password}", todays.text);
const unknownField = await call('POST', '/api/auth/signin', { body: { username, password, remember_me: true } });
check(unknownField.status === 400, 'a field outside both shapes is still refused', unknownField.text);

finish('contract');
