// A node:test reporter that writes {"passed":N,"failed":N,"skipped":N} for
// leaf tests (not describe blocks) to its destination, for run.sh's final line.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { details, skip, todo } = event.data;
    if (details?.type === 'suite') {
      // a describe block fails on its own only when it could not run its tests
      if (event.type === 'test:fail' && details?.error?.failureType !== 'subtestsFailed') failed += 1;
      continue;
    }
    if (skip !== undefined || todo !== undefined) skipped += 1;
    else if (event.type === 'test:pass') passed += 1;
    else failed += 1;
  }
  yield `${JSON.stringify({ passed, failed, skipped })}\n`;
}
