// The in-page runner: runs the portable suite one test at a time, shows the
// results, and reports each to Playwright through window.__kmsReport.
import { suites as portable } from '../suite/index.js';
import idb from './idb-suite.js';

// The portable suite, then the browser-only one.
const suites = [...portable, idb];

export async function run() {
  const list = document.getElementById('results');
  let passed = 0;
  let failed = 0;
  const only = new URLSearchParams(location.search).get('grep');
  for (const s of suites) {
    for (const t of s.tests) {
      const name = `${s.name} › ${t.name}`;
      if (only && !name.includes(only)) continue;
      const start = performance.now();
      let error = null;
      try {
        await t.fn();
      } catch (err) {
        error = (err && (err.stack || `${err.name}: ${err.message}`)) || String(err);
        if (err && err.stack && !err.stack.includes(err.message)) error = `${err.name}: ${err.message}\n${err.stack}`;
      }
      const result = { name, ok: !error, error, ms: Math.round(performance.now() - start) };
      if (result.ok) passed += 1;
      else failed += 1;
      const li = document.createElement('li');
      li.className = result.ok ? 'pass' : 'fail';
      li.textContent = result.ok ? `✔ ${name}` : `✘ ${name}\n${error}`;
      list.append(li);
      if (typeof window.__kmsReport === 'function') await window.__kmsReport(result);
    }
  }
  document.getElementById('summary').textContent = `${passed} passed, ${failed} failed`;
  window.__kmsDone = { passed, failed };
}
