// Prints `N passed, N failed` from Vitest's JSON report (a suite that failed to load counts as a
// failure). Further arguments are checks run outside Vitest, as `name=passed|failed`.
const fs = require('node:fs');
const [file, ...checks] = process.argv.slice(2);
if (!fs.existsSync(file)) { console.log('0 passed, 1 failed'); process.exit(1); }
const r = JSON.parse(fs.readFileSync(file, 'utf8'));
let passed = 0, failed = 0;
for (const suite of r.testResults ?? []) {
  const tests = suite.assertionResults ?? [];
  for (const t of tests) {
    if (t.status === 'passed') passed++;
    else if (t.status === 'failed') failed++;
  }
  if (tests.length === 0 && suite.status === 'failed') failed++;
}
for (const c of checks) {
  const [name, outcome] = c.split('=');
  if (outcome === 'passed') passed++;
  else { failed++; console.log(`failed outside Vitest: ${name}`); }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
