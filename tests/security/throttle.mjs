// Attempt limits on the deployed API (the template's HTTP API in front of the
// API Lambda, on a stack deployed with 5 attempts per route per address and
// per account, in a short window so the reset can be seen). Client
// addresses are real: requests leave from different loopback addresses
// (127.0.0.0/8), which the gateway hands the Lambda as the source IP, and a
// forged X-Forwarded-For must change nothing. Prints one line per check and
// the counts; exits 1 on any failure.
//
//   node tests/security/throttle.mjs --url API --window 10 (--endpoint MINISTACK | --code CODE)
import http from 'node:http';
import { parseArgs } from 'node:util';
import { checks } from '../lib/api.mjs';
import { mailedCode } from '../lib/mailbox.mjs';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' }, window: { type: 'string' }, endpoint: { type: 'string' }, code: { type: 'string' },
  },
});
if (!args.url || !(args.endpoint || args.code)) {
  console.error('usage: throttle.mjs --url API --window SECONDS (--endpoint MINISTACK | --code CODE)');
  process.exit(2);
}
const base = new URL(args.url);
const window = Number(args.window ?? 60);
const LIMIT = 5;
const { check, finish } = checks();

function post(path, body, { from = '127.0.0.1', headers = {} } = {}) {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: base.hostname, port: Number(base.port), path: `${base.pathname.replace(/\/$/, '')}${path}`,
        method: 'POST', localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), ...headers },
        agent: false,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => { text += chunk; });
        response.on('end', () => {
          let json = {};
          try { json = JSON.parse(text); } catch { /* not JSON */ }
          resolve({ status: response.statusCode, headers: response.headers, body: json, text });
        });
      },
    );
    request.on('error', reject);
    request.end(data);
  });
}

function get(path, from) {
  return new Promise((resolve, reject) => {
    http.get({ host: base.hostname, port: Number(base.port), path: `${base.pathname.replace(/\/$/, '')}${path}`,
      localAddress: from, agent: false }, (response) => { response.resume(); response.on('end', () => resolve(response.statusCode)); })
      .on('error', reject);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The start of the next window, so a sequence fits in one.
async function nextWindow() {
  const now = Date.now() / 1000;
  await sleep(((Math.floor(now / window) + 1) * window - now) * 1000 + 50);
}

const password = 'violet-Quasar-harbor-71!';
let setupAddress = 100;
async function newUser(label) {
  const email = `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const from = `127.0.2.${setupAddress++}`;
  const up = await post('/api/auth/signup', { email, password, name: 'Ada Lovelace' }, { from });
  const code = args.code ?? (up.status === 201 ? await mailedCode(args.endpoint, email) : '');
  const confirmed = await post('/api/auth/confirm', { email, code }, { from });
  if (up.status !== 201 || confirmed.status !== 200) throw new Error(`set-up of ${label}: ${up.text} ${confirmed.text}`);
  return email;
}
const signIn = (email, pw, from, headers) => post('/api/auth/signin', { email, password: pw }, { from, headers });

// One address: five wrong passwords, then the right one is refused.
const alice = await newUser('alice');
await nextWindow();
const wrong = [];
for (let n = 0; n < LIMIT; n += 1) wrong.push((await signIn(alice, `wrong-Password-${n}!`, '127.0.0.2')).status);
check(wrong.every((s) => s === 401), `${LIMIT} wrong passwords from one address: 401 each`, wrong.join(','));
const sixth = await signIn(alice, password, '127.0.0.2');
const retryAfter = Number(sixth.headers['retry-after']);
check(
  sixth.status === 429 && sixth.body.error?.code === 'too_many_requests' && retryAfter >= 1 && retryAfter <= window,
  'the sixth attempt inside the window, with the right password: 429 with Retry-After',
  `${sixth.status} ${sixth.headers['retry-after']} ${sixth.text}`,
);
const forged = await signIn(alice, password, '127.0.0.2', { 'x-forwarded-for': '198.51.100.23' });
check(forged.status === 429, 'a forged X-Forwarded-For does not escape the limit', `${forged.status}`);
await sleep(retryAfter * 1000 + 100);
const later = await signIn(alice, password, '127.0.0.2');
check(later.status === 200, 'after the window the right password works again', `${later.status} ${later.text}`);

// One account from many addresses.
const bob = await newUser('bob');
await nextWindow();
const spread = [];
for (let n = 0; n < LIMIT; n += 1) spread.push((await signIn(bob, 'wrong-Password-1!', `127.0.3.${n + 1}`)).status);
const fresh = await signIn(bob, password, '127.0.3.99');
check(
  spread.every((s) => s === 401) && fresh.status === 429,
  `one account across ${LIMIT + 1} addresses: the sixth attempt is refused`,
  `${spread.join(',')} then ${fresh.status}`,
);

// 50 concurrent attempts against one account, each from its own address:
// exactly the limit gets through (the counters are atomic).
const carol = await newUser('carol');
await nextWindow();
// Warm as many function instances first, as a running service has them (an
// emulator starting 50 instances at once answers its own calls too late).
await Promise.all(Array.from({ length: 50 }, (_, n) => get('/api/health', `127.0.5.${n + 1}`)));
const burstStarted = Date.now();
const burst = await Promise.all(
  Array.from({ length: 50 }, (_, n) => signIn(carol, n === 0 ? password : 'wrong-Password-1!', `127.0.4.${n + 1}`)),
);
const burstSeconds = (Date.now() - burstStarted) / 1000;
// Reaching Cognito answers 200 or 401; the API refuses the rest before it:
// 429, or 503 (retry later) when a counter cannot be read in time.
const through = burst.filter((r) => r.status === 200 || r.status === 401).length;
const refused = burst.filter((r) => r.status === 429 || r.status === 503).length;
const statuses = {};
for (const reply of burst) statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
check(through === LIMIT && through + refused === burst.length,
  `50 concurrent attempts on one account: exactly ${LIMIT} reach Cognito, the rest refused before it`,
  `${JSON.stringify(statuses)} in ${burstSeconds} s`);

finish('throttle');
