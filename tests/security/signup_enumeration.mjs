// Sign-up must not tell a registered email from a new one: the same status,
// body shape and message, and timing that does not separate them (over 30
// tries each, interleaved, the difference of the medians is smaller than
// the interquartile range of either). The owner of the registered address
// gets one "account already exists" mail (at most one an hour), and their
// account is untouched. Prints one line per check and the figures; exits 1
// on any failure.
//
//   node tests/security/signup_enumeration.mjs --url http://127.0.0.1:9000 --endpoint http://127.0.0.1:4566
import { parseArgs } from 'node:util';
import { apiCaller, checks } from '../lib/api.mjs';
import { mailedCode } from '../lib/mailbox.mjs';

const { values: args } = parseArgs({ options: { url: { type: 'string' }, endpoint: { type: 'string' }, tries: { type: 'string' } } });
const tries = Number(args.tries ?? 30);
const { check, finish } = checks();
const call = apiCaller(args.url);
const post = (path, body) => call('POST', path, { body });

const password = 'violet-Quasar-harbor-71!';
const tag = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
const owner = `owner-${tag}@example.com`;
const first = await post('/api/auth/signup', { email: owner, password, name: 'Ada Lovelace' });
if (first.status !== 201) throw new Error(`set-up: ${first.text}`);
const confirmed = await post('/api/auth/confirm', { email: owner, code: await mailedCode(args.endpoint, owner) });
if (confirmed.status !== 200) throw new Error(`set-up: ${confirmed.text}`);

const fresh = [];
const registered = [];
for (let n = 0; n < tries; n += 1) {
  fresh.push(await post('/api/auth/signup', { email: `new-${n}-${tag}@example.com`, password, name: 'Someone' }));
  registered.push(await post('/api/auth/signup', { email: owner, password: `${password}x`, name: 'Someone' }));
}
const shape = (r) => `${r.status} ${Object.keys(r.body).sort().join(',')} ${r.body.message} ${r.body.confirmation_required}`;
const shapes = new Set([...fresh, ...registered].map(shape));
check(shapes.size === 1 && fresh[0].status === 201, 'new and registered emails: the same status, body shape and message', [...shapes].join(' | '));
check(
  registered.every((r) => typeof r.body.user_sub === 'string' && r.body.user_sub.length === 36),
  'a registered email gets a user_sub of the same form',
);

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const quantile = (xs, q) => {
  const s = sorted(xs);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo);
};
const stats = (rs) => {
  const ms = rs.map((r) => r.millis);
  return { median: quantile(ms, 0.5), iqr: quantile(ms, 0.75) - quantile(ms, 0.25) };
};
const a = stats(fresh);
const b = stats(registered);
const gap = Math.abs(a.median - b.median);
const f = (x) => x.toFixed(1);
console.log(`timing (ms): new median ${f(a.median)} IQR ${f(a.iqr)}; registered median ${f(b.median)} IQR ${f(b.iqr)}; gap ${f(gap)}`);
check(gap < Math.min(a.iqr, b.iqr), `timing does not separate them (${tries} tries each): |Δmedian| < IQR`, `gap ${f(gap)} ms`);

// The owner's mailbox: one notice, however many tries.
const mail = await fetch(`${args.endpoint}/_ministack/ses/messages`).then((r) => r.json());
const notices = Object.values(mail.messages ?? {}).flat()
  .filter((m) => m.To.includes(owner) && /tried to sign up/.test(m.Subject ?? ''));
check(notices.length === 1, `the owner got one "account already exists" mail for ${tries} tries`, `${notices.length} mails`);
const signIn = await post('/api/auth/signin', { email: owner, password });
check(signIn.status === 200, "the owner's account is untouched (signs in with its own password)", signIn.text);

finish('sign-up enumeration');
