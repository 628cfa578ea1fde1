// The web client. Signed out, it is Amplify UI's Authenticator
// (src/signin.js): sign-in by password, mailed code or passkey, MFA and
// social sign-in straight to Cognito, sign-up and a reset's new password
// through the API (zxcvbn). Signed in: the profile, the email, password
// change, second factors, account deletion, linking and the admin page
// through the API; passkeys, devices and identity-pool credentials through
// Amplify.
import {
  associateWebAuthnCredential,
  deleteWebAuthnCredential,
  fetchAuthSession,
  fetchDevices,
  forgetDevice,
  listWebAuthnCredentials,
  rememberDevice,
  signOut,
} from 'aws-amplify/auth';
import { Hub } from 'aws-amplify/utils';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import 'aws-amplify/auth/enable-oauth-listener';
import { endpoint, outputs } from './amplify.js';
import { apiClient } from './api.js';
import { mountSignIn } from './signin.js';
const api = apiClient(outputs.custom?.api_url || '', accessToken, {
  userPoolId: outputs.auth.user_pool_id,
  clientId: outputs.custom?.api_client_id,
});

const $ = (id) => document.getElementById(id);
const sections = ['signin', 'account'];

function show(name) {
  for (const id of sections) $(id).hidden = id !== name;
  // Recovery codes are shown once, to the one who made them.
  $('recovery-codes').replaceChildren();
  $('recovery-codes').hidden = true;
  const heading = $(name).querySelector('h2');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus();
}

function say(text) {
  $('status').textContent = text;
}

function problem(text) {
  $('problem').textContent = text ?? '';
  $('problem').hidden = !text;
}

async function accessToken() {
  const session = await fetchAuthSession();
  return session.tokens?.accessToken?.toString();
}

function fieldValues(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// Runs a form's action with its button disabled and errors shown, not thrown.
function onSubmit(id, action) {
  $(id).addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = event.target.querySelector('button[type=submit]');
    button.disabled = true;
    problem();
    try {
      await action(fieldValues(event.target), event.target);
    } catch (err) {
      problem(err.message || String(err));
    } finally {
      button.disabled = false;
    }
  });
}

// Runs a button's action with the button disabled and errors shown, not thrown.
function onClick(id, action) {
  $(id).addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    problem();
    try {
      await action();
    } catch (err) {
      problem(err.message || String(err));
    } finally {
      button.disabled = false;
    }
  });
}

// zxcvbn's warning and suggestions from a refused password, under its field.
function showPasswordFeedback(error, boxId) {
  const box = $(boxId);
  box.replaceChildren();
  const feedback = error?.feedback;
  if (!feedback) return;
  const list = document.createElement('ul');
  list.setAttribute('aria-label', 'How to choose a stronger password');
  for (const line of [feedback.warning, ...(feedback.suggestions ?? [])].filter(Boolean)) {
    const item = document.createElement('li');
    item.textContent = line;
    list.append(item);
  }
  box.append(list);
}

// Passkeys where the stack has a relying party and the browser can use them.
const passkeysOn = Boolean(outputs.auth.passwordless?.web_authn) && 'PublicKeyCredential' in window;

async function showPasskeys() {
  $('passkeys').hidden = !passkeysOn;
  if (!passkeysOn) return;
  const { credentials } = await listWebAuthnCredentials();
  $('passkeys-list').replaceChildren(
    ...credentials.map((credential) => {
      const item = document.createElement('li');
      const created = credential.createdAt ? new Date(credential.createdAt).toISOString().slice(0, 10) : '';
      item.textContent = `${credential.friendlyCredentialName ?? 'Passkey'} (${created}) `;
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.textContent = 'Delete';
      remove.addEventListener('click', async () => {
        problem();
        try {
          await deleteWebAuthnCredential({ credentialId: credential.credentialId });
          await showPasskeys();
          say('Passkey deleted.');
        } catch (err) {
          problem(err.message);
        }
      });
      item.append(remove);
      return item;
    }),
  );
}

// Amplify confirms this browser's device after each sign-in; the user
// chooses to remember it (OPT_IN) or the pool remembers it (ALWAYS).
const devicesMode = outputs.custom?.remembered_devices ?? 'OFF';
$('device-remember').hidden = devicesMode !== 'OPT_IN';

function day(date) {
  return date ? date.toISOString().slice(0, 10) : 'never';
}

async function showDevices() {
  $('devices').hidden = devicesMode === 'OFF';
  if (devicesMode === 'OFF') return;
  const devices = await fetchDevices();
  $('devices-list').replaceChildren(
    ...devices.map((device) => {
      const item = document.createElement('li');
      const remembered = device.attributes['dev:device_remembered_status'] === 'remembered';
      item.textContent = `${device.name ?? 'Unnamed device'} — ${remembered ? 'remembered' : 'not remembered'}, ` +
        `last sign-in ${day(device.lastAuthenticatedDate)} `;
      item.dataset.remembered = String(remembered);
      const signOutDevice = document.createElement('button');
      signOutDevice.type = 'button';
      signOutDevice.textContent = 'Sign out and forget';
      signOutDevice.addEventListener('click', async () => {
        problem();
        try {
          await forgetDevice({ device: { id: device.id } });
          say('The device is signed out and forgotten.');
          await showDevices();
        } catch (err) {
          problem(err.message);
        }
      });
      item.append(signOutDevice);
      return item;
    }),
  );
}

onClick('device-remember', async () => {
  await rememberDevice();
  await showDevices();
  say('This device is remembered: it signs in without the second step.');
});

onClick('passkey-add', async () => {
  await associateWebAuthnCredential();
  await showPasskeys();
  say('Passkey added: you can sign in with it.');
});


function claimList(value) {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string' && value.startsWith('[')) return JSON.parse(value);
  return value ? String(value).split(/[ ,]+/) : [];
}

async function loadAccount() {
  const reply = await api.call('GET', '/api/users/me');
  if (!reply.ok) throw new Error(reply.error.message);
  let session = await fetchAuthSession();
  // A first sign-in can predate the default group (added on first use when
  // post confirmation could not): refresh once to get the role claims.
  if (!claimList(session.tokens?.idToken?.payload.roles).length) {
    session = await fetchAuthSession({ forceRefresh: true });
  }
  const claims = session.tokens.idToken.payload;
  const me = reply.body;
  $('who').textContent = `Signed in as ${me.email}`;
  $('profile-email').textContent = me.email;
  $('profile-roles').textContent = claimList(claims.roles).join(', ') || 'none';
  $('profile-permissions').textContent = claimList(claims.permissions).join(', ') || 'none';
  $('profile-created').textContent = me.profile.created_at;
  $('profile-name').value = me.name ?? '';
  $('profile-phone').value = me.phone_number ?? '';
  $('direct-result').textContent = '';
  showLink(claims);
  await showMfa();
  await showPasskeys();
  await showDevices();
  await loadData();
  const isAdmin = claimList(claims.roles).includes('admin');
  $('admin').hidden = !isAdmin;
  if (isAdmin) await loadUsers();
  say('Signed in.');
  show('account');
}

onSubmit('profile-form', async (values) => {
  const body = { name: values.name };
  if (values.phone_number) body.phone_number = values.phone_number;
  const reply = await api.call('PUT', '/api/users/me', body);
  if (!reply.ok) throw new Error(reply.error.message);
  $('profile-name').value = reply.body.name;
  say('Profile saved.');
});

// Both second factors: an authenticator app (TOTP) and codes by email;
// sign-in asks for the preferred one.
async function showMfa() {
  const reply = await api.call('GET', '/api/auth/mfa');
  if (!reply.ok) throw new Error(reply.error.message);
  const { methods, preferred } = reply.body;
  const asked = (method) => (preferred === method ? ' Sign-in asks for this one.' : '');
  $('totp-state').textContent = methods.includes('totp')
    ? `Authenticator app: on.${asked('totp')}`
    : 'Authenticator app: off.';
  $('totp-start').hidden = methods.includes('totp');
  $('email-mfa-state').textContent = methods.includes('email')
    ? `Codes by email: on.${asked('email')}`
    : 'Codes by email: off.';
  $('email-mfa-on').hidden = preferred === 'email';
  $('mfa-off').hidden = methods.length === 0;
  $('recovery-make').hidden = methods.length === 0;
  $('recovery-state').hidden = methods.length === 0;
  if (methods.length > 0) {
    const left = await api.call('GET', '/api/auth/mfa/recovery-codes');
    if (left.ok) $('recovery-state').textContent = `Recovery codes left: ${left.body.remaining}.`;
  }
}

// Recovery codes stand in for a lost second factor, once each; shown once.
onClick('recovery-make', async () => {
  const reply = await api.call('POST', '/api/auth/mfa/recovery-codes');
  if (await needsRecentSignIn(reply)) return;
  if (!reply.ok) throw new Error(reply.error.message);
  const list = $('recovery-codes');
  list.replaceChildren(...reply.body.codes.map((code) => {
    const item = document.createElement('li');
    item.textContent = code;
    return item;
  }));
  list.hidden = false;
  await showMfa();
  say('Keep these codes somewhere safe: each signs in once when your second factor is lost.');
});

// Signed out: the password and a recovery code turn the second factor off,
// so the user signs in with the password and sets one up again.
onSubmit('recovery-form', async (values, form) => {
  const reply = await api.call('POST', '/api/auth/signin/recovery', values, { anonymous: true });
  if (!reply.ok) throw new Error(reply.error.message);
  // The page signs in through Amplify: the API's tokens are not kept.
  await fetch(`${outputs.custom?.api_url || ''}/api/auth/signout`, {
    method: 'POST',
    headers: { authorization: `Bearer ${reply.body.access_token}` },
  }).catch(() => {});
  form.reset();
  $('recovery').open = false;
  say('Two-step verification is off: sign in with your password and set it up again.');
});

// Second factors change through the API, which asks for a recent sign-in
// and tells the owner; the stack's web ACL blocks Cognito's own
// SetUserMFAPreference.
async function changeMfa(method, path, done) {
  const reply = await api.call(method, path);
  if (await needsRecentSignIn(reply)) return;
  if (!reply.ok) throw new Error(reply.error.message);
  await showMfa();
  say(done);
}

onClick('email-mfa-on', () =>
  changeMfa('PUT', '/api/auth/mfa/email', 'Sign-in now asks for a code sent by email.'));
onClick('mfa-off', () => changeMfa('DELETE', '/api/auth/mfa', 'Two-step verification is off.'));

onClick('totp-start', async () => {
  const reply = await api.call('POST', '/api/auth/mfa/setup');
  if (await needsRecentSignIn(reply)) return;
  if (!reply.ok) throw new Error(reply.error.message);
  $('totp-secret').textContent = reply.body.secret;
  $('totp-uri').href = reply.body.otpauth_uri;
  $('totp-form').hidden = false;
  $('totp-code').focus();
});

onSubmit('totp-form', async ({ code }, form) => {
  const reply = await api.call('POST', '/api/auth/mfa/verify', { code: code.trim() });
  if (await needsRecentSignIn(reply)) return;
  if (!reply.ok) throw new Error(reply.error.message);
  form.reset();
  form.hidden = true;
  await showMfa();
  say('Two-step verification is on.');
});

// A social sign-in makes a user of its own (Cognito never links on a
// matching email). Its owner links it to their account by signing in to
// that account once: the API links only with the account's own token.
let linkChallenge = null;

function showLink(claims) {
  // A user the provider's sign-in made is named <provider>_<its user ID>; an
  // account linked to the provider lists it in identities too, under its own name.
  const named = Array.isArray(claims.identities) ? claims.identities[0]?.providerName : undefined;
  const provider = named && String(claims['cognito:username']).startsWith(`${named}_`) ? named : undefined;
  $('link').hidden = !provider;
  $('link-provider').textContent = provider ?? '';
  $('link-provider-again').textContent = provider ?? '';
  $('link-mfa').hidden = true;
  linkChallenge = null;
}

onSubmit('link-form', async ({ email, password, code }, form) => {
  const reply = linkChallenge
    ? await api.call('POST', '/api/auth/signin/mfa', { email, ...linkChallenge, code }, { anonymous: true })
    : await api.call('POST', '/api/auth/signin', { email, password }, { anonymous: true });
  if (!reply.ok) throw new Error(reply.error.message);
  if (reply.body.challenge) {
    linkChallenge = { session: reply.body.session, challenge: reply.body.challenge };
    $('link-mfa').hidden = false;
    say('Enter the two-step verification code of that account.');
    return;
  }
  const linked = await api.call('POST', '/api/users/me/links', { account_access_token: reply.body.access_token });
  if (!linked.ok) throw new Error(linked.error.message);
  form.reset();
  // The provider's own user is gone, and its session with it. Signing out of
  // a managed-login session leaves the page for the logout endpoint, so the
  // notice waits in sessionStorage for the page's return.
  sessionStorage.setItem('notice', `Linked: continue with ${linked.body.provider} to reach your account.`);
  await signOut().catch(() => {});
});

// A notice left for after a sign-out that left the page, on the sign-in form.
function showNotice() {
  const notice = sessionStorage.getItem('notice');
  if (!notice) return false;
  sessionStorage.removeItem('notice');
  say(notice);
  show('signin');
  return true;
}

// A sign-in older than the stack's window cannot do this: the user signs in
// again, then repeats it. True when that is what happened.
async function needsRecentSignIn(reply) {
  if (reply.error?.code !== 'reauthentication_required') return false;
  await signOut().catch(() => {});
  $('who').textContent = '';
  say(reply.error.message);
  show('signin');
  return true;
}

// The email changes through the API alone: a code to the new address and
// one to the current address, then both codes (Cognito's own
// attribute-change code is refused by the stack).
onSubmit('email-form', async ({ email }) => {
  const reply = await api.call('POST', '/api/users/me/email', { email });
  if (await needsRecentSignIn(reply)) return;
  if (!reply.ok) throw new Error(reply.error.message);
  $('email-pending').textContent = reply.body.destination;
  $('email-current').hidden = !reply.body.current_address_code;
  $('email-code-form').hidden = false;
  say(reply.body.message);
});

onSubmit('email-code-form', async ({ code, current_code: currentCode }, form) => {
  const email = $('email-pending').textContent;
  const body = { email, code: code.trim() };
  if (currentCode) body.current_code = currentCode.trim();
  const reply = await api.call('POST', '/api/users/me/email/verify', body);
  if (!reply.ok) throw new Error(reply.error.message);
  form.reset();
  form.hidden = true;
  $('email-form').reset();
  $('profile-email').textContent = reply.body.email;
  say(reply.body.message);
});

onSubmit('password-form', async (values, form) => {
  showPasswordFeedback(null, 'password-feedback');
  const reply = await api.call('POST', '/api/auth/change-password', values);
  if (!reply.ok) {
    showPasswordFeedback(reply.error, 'password-feedback');
    throw new Error(reply.error.message);
  }
  form.reset();
  // Every session ended, this one too: sign in with the new password.
  await signOut().catch(() => {});
  $('who').textContent = '';
  show('signin');
  say('Password changed: sign in with the new one.');
});

onSubmit('delete-form', async ({ confirmed }, form) => {
  if (confirmed !== 'yes') throw new Error('Tick the box to confirm the deletion.');
  const reply = await api.call('DELETE', '/api/users/me');
  if (await needsRecentSignIn(reply)) return;
  if (!reply.ok) throw new Error(reply.error.message);
  form.reset();
  // The account is gone and its tokens with it: forget them here.
  await signOut().catch(() => {});
  $('who').textContent = '';
  say(reply.body.message);
  show('signin');
});

// The admin page: users a page at a time, each with its actions.
let usersCursor = null;

function userRow(user) {
  const row = document.createElement('tr');
  row.dataset.username = user.username;
  const email = document.createElement('td');
  email.textContent = user.attributes.email ?? user.username;
  const status = document.createElement('td');
  status.textContent = user.enabled ? user.status : `${user.status}, disabled`;
  const actions = document.createElement('td');
  const target = `/api/admin/users/${encodeURIComponent(user.username)}`;
  for (const [label, method, path, done] of [
    user.enabled
      ? ['Disable', 'POST', `${target}/disable`, 'User disabled.']
      : ['Enable', 'POST', `${target}/enable`, 'User enabled.'],
    ['Make admin', 'PUT', `${target}/groups/admin`, 'Added to admin.'],
    ['Remove admin', 'DELETE', `${target}/groups/admin`, 'Removed from admin.'],
  ]) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = label;
    button.addEventListener('click', async () => {
      problem();
      const reply = await api.call(method, path);
      if (!reply.ok) return problem(reply.error.message);
      say(`${email.textContent}: ${done}`);
      await loadUsers();
    });
    actions.append(button);
  }
  row.append(email, status, actions);
  return row;
}

async function loadUsers(cursor = null) {
  const query = new URLSearchParams({ limit: '20', ...(cursor ? { cursor } : {}) });
  const reply = await api.call('GET', `/api/admin/users?${query}`);
  if (!reply.ok) throw new Error(reply.error.message);
  const rows = reply.body.users.map(userRow);
  if (cursor) $('admin-users').append(...rows);
  else $('admin-users').replaceChildren(...rows);
  usersCursor = reply.body.next_cursor;
  $('admin-more').hidden = !usersCursor;
}

$('admin-more').addEventListener('click', () => loadUsers(usersCursor).catch((err) => problem(err.message)));

function renderItems(items) {
  $('data-list').replaceChildren(
    ...items.map((item) => {
      const li = document.createElement('li');
      li.textContent = item.title;
      li.dataset.id = item.id;
      return li;
    }),
  );
}

async function loadData() {
  const reply = await api.call('GET', '/api/data');
  if (!reply.ok) throw new Error(reply.error.message);
  renderItems(reply.body.items);
}

onSubmit('data-form', async ({ title }, form) => {
  const reply = await api.call('POST', '/api/data', { title });
  if (!reply.ok) throw new Error(reply.error.message);
  form.reset();
  await loadData();
  say('Item added.');
});

$('direct-read').addEventListener('click', async () => {
  problem();
  try {
    const session = await fetchAuthSession();
    const dynamodb = new DynamoDBClient({
      region: outputs.auth.aws_region,
      credentials: session.credentials,
      ...(endpoint ? { endpoint } : {}),
    });
    const result = await dynamodb.send(
      new QueryCommand({
        TableName: outputs.custom.user_data_table,
        KeyConditionExpression: 'userId = :me',
        ExpressionAttributeValues: { ':me': { S: session.tokens.accessToken.payload.sub } },
      }),
    );
    $('direct-result').textContent = `Read ${result.Count} item(s) directly from DynamoDB.`;
  } catch (err) {
    problem(`Direct access failed: ${err.message}`);
  }
});

onClick('signout', async () => {
  await signOut({ global: true });
  $('who').textContent = '';
  say('Signed out.');
  show('signin');
});

// The Authenticator knows whether a session is there: it shows its forms, or
// calls back here once signed in (also after a managed-login redirect).
async function signedIn() {
  try {
    await loadAccount();
  } catch (err) {
    problem(err.message || String(err));
  }
}

Hub.listen('auth', ({ payload }) => {
  if (payload.event === 'signedOut') show('signin');
});

document.title = outputs.custom?.app_name || document.title;
$('app-name').textContent = document.title;
show('signin');
showNotice();
mountSignIn($('authenticator'), signedIn);
