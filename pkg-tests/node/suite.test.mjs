// Registers the portable suite (../suite) with Node's test runner.
import { describe, test } from 'node:test';
import { suites } from '../suite/index.js';

for (const s of suites) {
  describe(s.name, () => {
    for (const t of s.tests) test(t.name, t.fn);
  });
}
