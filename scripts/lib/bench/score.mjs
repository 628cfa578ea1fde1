// Password-scoring peer: @zxcvbn-ts/core with its common and English
// dictionaries, the user's own details as inputs, on the same corpus and the
// same way as the Rust and Python runs (a warm-up, then one timed pass).
// Some adversarial inputs take it minutes, so it runs in a worker thread: a
// password that takes longer than PER_PASSWORD_MS is abandoned (counted, and
// the max reported as at least that), and the run stops after BUDGET_MS.
// Prints JSON: count, finished, abandoned, p50/p99/max in µs, per second.
import { readFileSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const PER_PASSWORD_MS = 10_000;
const BUDGET_MS = 120_000;

if (!isMainThread) {
  const { default: core } = await import('@zxcvbn-ts/core');
  const { default: common } = await import('@zxcvbn-ts/language-common');
  const { default: en } = await import('@zxcvbn-ts/language-en');
  const factory = new core.ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
  const inputs = ['ada.lovelace@example.com', 'Ada Lovelace', 'ada', 'lovelace', 'example'];
  factory.check('warm-up Password1!', inputs);
  const { passwords, start } = workerData;
  for (let i = start; i < passwords.length; i += 1) {
    parentPort.postMessage({ started: i });
    const one = process.hrtime.bigint();
    factory.check(passwords[i], inputs);
    parentPort.postMessage({ done: i, us: Number(process.hrtime.bigint() - one) / 1000 });
  }
  parentPort.postMessage({ finished: true });
} else {
  const passwords = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const micros = [];
  let abandoned = 0;
  let next = 0;
  const began = Date.now();
  while (next < passwords.length && Date.now() - began < BUDGET_MS) {
    next = await new Promise((resolve) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: { passwords, start: next } });
      let current = next;
      let timer = null;
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          abandoned += 1;
          worker.terminate();
          resolve(current + 1);
        }, Math.min(PER_PASSWORD_MS, Math.max(1, BUDGET_MS - (Date.now() - began))));
      };
      worker.on('message', (m) => {
        if ('started' in m) {
          current = m.started;
          arm();
        } else if ('done' in m) {
          micros.push(m.us);
        } else if (m.finished) {
          clearTimeout(timer);
          worker.terminate();
          resolve(passwords.length);
        }
      });
    });
  }
  const spent = micros.reduce((a, b) => a + b, 0) / 1e6;
  micros.sort((a, b) => a - b);
  const at = (q) => micros[Math.round((micros.length - 1) * q)];
  console.log(JSON.stringify({
    count: passwords.length,
    finished: micros.length,
    abandoned,
    not_reached: passwords.length - micros.length - abandoned,
    p50_us: at(0.5),
    p99_us: at(0.99),
    max_us: abandoned ? Math.max(at(1), PER_PASSWORD_MS * 1000) : at(1),
    per_second: micros.length / spent,
  }));
}
