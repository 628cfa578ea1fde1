// Attempt limits on the deployed API (the template's HTTP API in front of the
// API Lambda, on a stack deployed with 5 requests per route per address and
// 3 failures per account and address in a short window, so the reset can be
// seen, and hour budgets of 8 failures per address and 5 per account). Client
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
// The limits stack's parameters (scripts/test).
const PER_ADDRESS = 5;
const PER_ACCOUNT = 3;
const ADDRESS_BUDGET = 8;
const CEILING = 5;
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
// Where each user was set up (confirmed): an address its account knows.
const setUpFrom = new Map();
async function newUser(label) {
  const email = `${label}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
  const from = `127.0.2.${setupAddress++}`;
  setUpFrom.set(email, from);
  const up = await post('/api/auth/signup', { email, password, name: 'Ada Lovelace' }, { from });
  const code = args.code ?? (up.status === 201 ? await mailedCode(args.endpoint, email) : '');
  const confirmed = await post('/api/auth/confirm', { email, code }, { from });
  if (up.status !== 201 || confirmed.status !== 200) throw new Error(`set-up of ${label}: ${up.text} ${confirmed.text}`);
  return email;
}
const signIn = (email, pw, from, headers) => post('/api/auth/signin', { email, password: pw }, { from, headers });

// One address: three wrong passwords, then the right one is refused there.
const alice = await newUser('alice');
await nextWindow();
const wrong = [];
for (let n = 0; n < PER_ACCOUNT; n += 1) wrong.push((await signIn(alice, `wrong-Password-${n}!`, '127.0.0.2')).status);
check(wrong.every((s) => s === 401), `${PER_ACCOUNT} wrong passwords from one address: 401 each`, wrong.join(','));
const next = await signIn(alice, password, '127.0.0.2');
const retryAfter = Number(next.headers['retry-after']);
check(
  next.status === 429 && next.body.error?.code === 'too_many_requests' && retryAfter >= 1 && retryAfter <= window,
  'the next attempt inside the window, with the right password: 429 with Retry-After',
  `${next.status} ${next.headers['retry-after']} ${next.text}`,
);
const forged = await signIn(alice, password, '127.0.0.2', { 'x-forwarded-for': '198.51.100.23' });
check(forged.status === 429, 'a forged X-Forwarded-For does not escape the limit', `${forged.status}`);
await sleep(retryAfter * 1000 + 100);
const later = await signIn(alice, password, '127.0.0.2');
check(later.status === 200, 'after the window the right password works again', `${later.status} ${later.text}`);

// Every request counts against its address, whatever comes of it.
await nextWindow();
const flood = [];
for (let n = 0; n <= PER_ADDRESS; n += 1) flood.push((await signIn(alice, password, '127.0.0.3')).status);
check(flood.slice(0, PER_ADDRESS).every((s) => s === 200) && flood[PER_ADDRESS] === 429,
  `${PER_ADDRESS} requests from one address, then 429 (successes spend no failure)`, flood.join(','));

// A stranger keeping an account at its limit cannot stop its owner.
const bob = await newUser('bob');
await nextWindow();
const guesses = [];
for (let n = 0; n <= PER_ACCOUNT; n += 1) guesses.push((await signIn(bob, 'wrong-Password-1!', '127.0.3.1')).status);
const owner = await signIn(bob, password, '127.0.3.2');
check(
  guesses.slice(0, PER_ACCOUNT).every((s) => s === 401) && guesses[PER_ACCOUNT] === 429 && owner.status === 200,
  "a stranger's address at the account's limit is refused; the owner signs in from theirs",
  `${guesses.join(',')} then the owner ${owner.status}`,
);

// One address spraying many accounts: stopped after its hour's budget (each
// window holds fewer requests than the address's request limit, so the
// refusal is the budget's).
// The budget is an hour's: a run that would cross the hour waits it out.
const secondsToHour = 3600 - ((Date.now() / 1000) % 3600);
if (secondsToHour < 120) await sleep(secondsToHour * 1000 + 1000);
const sprayed = [];
for (let n = 0; n <= ADDRESS_BUDGET; n += 1) {
  if (n % PER_ADDRESS === 0) await nextWindow();
  sprayed.push(await signIn(`sprayed-${n}-${Date.now()}@example.com`, 'Spring-2026-Quasar!', '127.0.6.1'));
}
const sprayRetry = Number(sprayed[ADDRESS_BUDGET].headers['retry-after']);
check(
  sprayed.slice(0, ADDRESS_BUDGET).every((r) => r.status === 401) && sprayed[ADDRESS_BUDGET].status === 429
    && sprayRetry >= 1 && sprayRetry <= 3600,
  `one address over ${ADDRESS_BUDGET + 1} accounts: refused after ${ADDRESS_BUDGET} failures, until the hour ends`,
  `${sprayed.map((r) => r.status).join(',')} retry-after ${sprayRetry}`,
);

// 50 concurrent wrong passwords on one account, each from its own address:
// no more than the account's hour ceiling reaches Cognito (the counters are
// taken atomically), and then the account is refused everywhere but where
// its owner signs in.
const carol = await newUser('carol');
await nextWindow();
// Warm as many function instances first, as a running service has them (an
// emulator starting 50 instances at once answers its own calls too late).
await Promise.all(Array.from({ length: 50 }, (_, n) => get('/api/health', `127.0.5.${n + 1}`)));
const burstStarted = Date.now();
const burst = await Promise.all(
  Array.from({ length: 50 }, (_, n) => signIn(carol, 'wrong-Password-1!', `127.0.4.${n + 1}`)),
);
const burstSeconds = (Date.now() - burstStarted) / 1000;
// Reaching Cognito answers 401; the API refuses the rest before it: 429,
// or 503 (retry later) when a counter cannot be taken in time. A counter
// write that timed out may still have landed (DynamoDB, or here the
// emulator, applied it after the SDK gave up), so it is not put back and
// the burst lets fewer through: at most the ceiling, never more.
const through = burst.filter((r) => r.status === 401).length;
const refused = burst.filter((r) => r.status === 429 || r.status === 503).length;
const statuses = {};
for (const reply of burst) statuses[reply.status] = (statuses[reply.status] ?? 0) + 1;
check(through <= CEILING && through + refused === burst.length,
  `50 concurrent guesses on one account from 50 addresses: at most ${CEILING} reach Cognito, the rest refused before it`,
  `${JSON.stringify(statuses)} in ${burstSeconds} s`);
const afterCeiling = await signIn(carol, password, '127.0.4.200');
check(afterCeiling.status === 429, 'at the ceiling, a fresh address with the right password is refused too',
  `${afterCeiling.status}`);
const atHome = await signIn(carol, password, setUpFrom.get(carol));
check(atHome.status === 200, 'but the owner signs in from the address her account succeeded from (it confirmed there)',
  `${atHome.status} ${atHome.text}`);

finish('throttle');
