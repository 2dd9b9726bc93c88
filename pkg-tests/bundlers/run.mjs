// Builds the one-module test app (app/) with each bundler from the installed
// kms-wasm tarball, serves each output on 127.0.0.1 and runs it in headless
// Debian Chromium through playwright-core; plus `require('kms-wasm')` from a
// CommonJS file in Node.
//
//   node run.mjs <project-dir> [counts-file]
//
// <project-dir> holds node_modules (the pinned bundlers and kms-wasm from its
// tarball; see run.sh) and a copy of app/. Prints one line per case and
// ends with "N passed, N failed"; exits non-zero on any failure.
//
// Environment: CHROMIUM (default /usr/bin/chromium), BUNDLERS_GREP (run only
// the cases whose names contain it), CI=true (a missing Chromium fails).
import { createServer } from 'node:http';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, resolve, sep } from 'node:path';

const project = resolve(process.argv[2] || '.');
const countsFile = process.argv[3]; // {"passed":N,"failed":N} for pkg-tests/run.sh's closing line
const app = join(project, 'app');
const out = join(project, 'out');
const pkg = join(project, 'node_modules', 'kms-wasm');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const grep = process.env.BUNDLERS_GREP || '';
// A watchdog for a hung page, not an assertion on timing.
const WATCHDOG_MS = Number(process.env.BUNDLERS_WATCHDOG_MS || 60_000);

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
};

/** A static server of `root` on 127.0.0.1 (no fallback page: a missing file is a 404). */
async function serveDir(root) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    const file = normalize(join(root, path === '/' ? '/index.html' : path));
    if (file !== root && !file.startsWith(root + sep)) {
      res.writeHead(403).end('forbidden');
      return;
    }
    let body;
    try {
      if (!statSync(file).isFile()) throw new Error('not a file');
      body = readFileSync(file);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] || 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', ok);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close() {
      const closed = new Promise((ok) => server.close(ok));
      server.closeAllConnections(); // Chromium keeps idle sockets open, which close() alone waits for
      return closed;
    },
  };
}

function page(script, { module = true, head = '' } = {}) {
  return `<!doctype html>
<html>
<head><meta charset="utf-8"><title>kms-wasm bundler test</title>${head}</head>
<body>
<pre id="out">running…</pre>
<script ${module ? 'type="module" ' : ''}src="${script}"></script>
</body>
</html>
`;
}

function fresh(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The .wasm files of a build output: how many, and their bytes. */
function wasmFiles(dir) {
  const found = [];
  (function walk(d) {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.wasm')) found.push(statSync(join(d, e.name)).size);
    }
  })(dir);
  return found;
}

function mb(bytes) {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** A static build: `build(dir)` writes the app to dir; the page is served from it. */
function staticBuild(build) {
  return async () => {
    const dir = fresh(join(out, build.name));
    await build.run(dir);
    const wasms = wasmFiles(dir);
    const server = await serveDir(dir);
    return {
      url: `${server.url}${build.query ?? ''}`,
      close: server.close,
      note: `${wasms.length} .wasm file${wasms.length === 1 ? '' : 's'} in the output${wasms.length ? ` (${wasms.map(mb).join(' + ')})` : ''}`,
      wasmCount: wasms.length,
      expectWasms: build.expectWasms ?? 2,
    };
  };
}

const CASES = [
  {
    name: 'no bundler (import map)',
    start: async () => {
      // The package as published, served as is; `kms-wasm` mapped to its browser entry.
      const dir = fresh(join(out, 'importmap'));
      const map = { imports: { 'kms-wasm': '/node_modules/kms-wasm/src/browser.js' } };
      writeFileSync(join(dir, 'index.html'), page('/app/main.js', { head: `<script type="importmap">${JSON.stringify(map)}</script>` }));
      const server = await serveDir(project);
      // the page lives in out/importmap/ of the project root
      return { url: `${server.url}out/importmap/index.html`, close: server.close, note: 'served from node_modules' };
    },
  },
  {
    name: 'vite build',
    start: staticBuild({
      name: 'vite-build',
      async run(dir) {
        const { build } = await import('vite');
        await build({
          root: app, configFile: false, logLevel: 'warn', cacheDir: fresh(join(out, 'vite-cache-build')),
          build: { outDir: dir, emptyOutDir: true },
        });
      },
    }),
  },
  {
    name: 'vite dev server',
    start: async () => {
      const { createServer: createViteServer } = await import('vite');
      const server = await createViteServer({
        root: app, configFile: false, logLevel: 'warn',
        cacheDir: fresh(join(out, 'vite-cache-dev')), // a new tarball must never meet an old dep-optimizer cache
        server: { host: '127.0.0.1', port: 0, strictPort: false, watch: null },
      });
      await server.listen();
      const url = server.resolvedUrls?.local?.[0];
      if (!url) throw new Error('the Vite dev server reported no URL');
      return { url, close: () => server.close(), note: 'dependencies pre-bundled by Vite' };
    },
  },
  {
    name: 'webpack 5',
    start: staticBuild({
      name: 'webpack',
      async run(dir) {
        const { default: webpack } = await import('webpack');
        const compiler = webpack({
          mode: 'production', context: app, entry: './main.js', devtool: false, cache: false,
          output: { path: dir, filename: 'main.js', clean: true },
          performance: { hints: false }, infrastructureLogging: { level: 'error' },
        });
        const stats = await new Promise((ok, fail) => compiler.run((err, s) => (err ? fail(err) : ok(s))));
        await new Promise((ok) => compiler.close(ok));
        if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString({ all: false, errors: true })}`);
        if (stats.hasWarnings()) console.log(`    webpack warnings: ${stats.toString({ all: false, warnings: true }).replace(/\n/g, '\n    ')}`);
        writeFileSync(join(dir, 'index.html'), page('./main.js', { module: false }));
      },
    }),
  },
  {
    name: 'esbuild, wasmUrl from kms-wasm/core.wasm and kms-wasm/full.wasm (--loader:.wasm=file)',
    start: staticBuild({
      name: 'esbuild',
      async run(dir) {
        const esbuild = await import('esbuild');
        await esbuild.build({
          absWorkingDir: project, entryPoints: [join(app, 'main-wasm-url.js')], outdir: dir,
          bundle: true, format: 'esm', platform: 'browser', loader: { '.wasm': 'file' }, logLevel: 'warning',
        });
        writeFileSync(join(dir, 'index.html'), page('./main-wasm-url.js'));
      },
    }),
  },
  {
    name: 'esbuild, no wasmUrl: a KmsError naming wasmUrl, then wasmUrl works',
    start: staticBuild({
      name: 'esbuild-missing',
      query: '?expect-missing-wasm&wasm=./served/kms_wasm_core_bg.wasm&full=./served/kms_wasm_full_bg.wasm',
      expectWasms: 2, // the ones the driver copies in (esbuild emits none)
      async run(dir) {
        const esbuild = await import('esbuild');
        await esbuild.build({
          absWorkingDir: project, entryPoints: [join(app, 'main.js')], outdir: dir,
          bundle: true, format: 'esm', platform: 'browser', logLevel: 'warning',
        });
        writeFileSync(join(dir, 'index.html'), page('./main.js'));
        mkdirSync(join(dir, 'served'));
        for (const f of ['kms_wasm_core_bg.wasm', 'kms_wasm_full_bg.wasm']) copyFileSync(join(pkg, 'pkg', f), join(dir, 'served', f));
      },
    }),
  },
  {
    name: 'rollup + @rollup/plugin-node-resolve + @web/rollup-plugin-import-meta-assets',
    start: staticBuild({
      name: 'rollup',
      async run(dir) {
        const { rollup } = await import('rollup');
        const { nodeResolve } = await import('@rollup/plugin-node-resolve');
        const { importMetaAssets } = await import('@web/rollup-plugin-import-meta-assets');
        const warnings = [];
        const bundle = await rollup({
          input: join(app, 'main.js'),
          plugins: [nodeResolve({ browser: true }), importMetaAssets()],
          onwarn: (w) => warnings.push(w.message),
        });
        await bundle.write({ dir, format: 'es' });
        await bundle.close();
        if (warnings.length) console.log(`    rollup warnings:\n${warnings.map((w) => `      ${w}`).join('\n')}`);
        writeFileSync(join(dir, 'index.html'), page('./main.js'));
      },
    }),
  },
];

/** `require('kms-wasm')` from a CommonJS file, in a child Node. */
function nodeRequireCase() {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(app, 'node-require.cjs')], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => ok({ ok: code === 0, output: output.trim() }));
  });
}

let passed = 0;
let failed = 0;
let finished = false;
// Something ending the process early (e.g. the Vite dev server exits when
// stdin ends) must not look like a clean run.
process.on('exit', () => {
  if (!finished) {
    failed += 1;
    console.log('✘ bundlers › the run ended before all cases finished');
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = 1;
  }
  if (countsFile) writeFileSync(countsFile, `${JSON.stringify({ passed, failed })}\n`);
});
function report(name, ok, detail, ms) {
  if (ok) passed += 1;
  else failed += 1;
  console.log(`${ok ? '✔' : '✘'} bundlers › ${name} (${ms} ms)${detail ? `\n${detail.replace(/^/gm, '    ')}` : ''}`);
}

const selected = CASES.filter((c) => c.name.includes(grep));
const nodeName = `node ${process.version}: require('kms-wasm') from CommonJS`;

if (nodeName.includes(grep)) {
  const t0 = Date.now();
  const r = await nodeRequireCase();
  report(nodeName, r.ok, r.ok ? r.output.split('\n').pop() : r.output, Date.now() - t0);
}

if (selected.length && !existsSync(executablePath)) {
  const message = `${executablePath} is missing (apt-get install -y --no-install-recommends chromium)`;
  if (process.env.CI === 'true') {
    report('Chromium', false, message, 0);
  } else {
    console.log(`bundlers: SKIP the ${selected.length} browser cases: ${message}`);
    console.log(`${passed} passed, ${failed} failed, ${selected.length} skipped`);
    finished = true;
    process.exit(failed ? 1 : 0);
  }
} else if (selected.length) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'kms-wasm-bundlers-chromium-'));
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    for (const c of selected) {
      const t0 = Date.now();
      let target;
      const log = [];
      let tab;
      try {
        target = await c.start();
        tab = await context.newPage();
        tab.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
        tab.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()} ${r.failure()?.errorText}`));
        tab.on('response', (r) => { if (r.status() >= 400) log.push(`[http ${r.status()}] ${r.url()}`); });
        // An uncaught error outside check() (e.g. a module that failed to load) ends the case at once.
        const pageError = new Promise((ok) => tab.on('pageerror', (e) => ok({ ok: false, steps: [], error: `uncaught in the page: ${e.message}` })));
        await tab.goto(target.url);
        const result = await Promise.race([
          tab.waitForFunction(() => window.__bundlerResult, null, { timeout: WATCHDOG_MS, polling: 100 }).then((h) => h.jsonValue()),
          pageError,
        ]);
        const problems = [];
        if (!result.ok) problems.push(result.error);
        if (target.wasmCount !== undefined && target.wasmCount !== target.expectWasms) {
          problems.push(`the build output holds ${target.wasmCount} .wasm files, expected ${target.expectWasms}`);
        }
        const ok = problems.length === 0;
        const detail = ok
          ? `${result.steps.join('; ')}${target.note ? ` — ${target.note}` : ''}`
          : [...problems, ...(result.steps.length ? [`steps passed: ${result.steps.join('; ')}`] : []), ...log.slice(-20)].join('\n');
        report(c.name, ok, detail, Date.now() - t0);
      } catch (e) {
        report(c.name, false, [String(e?.stack || e), ...log.slice(-20)].join('\n'), Date.now() - t0);
      } finally {
        await tab?.close().catch(() => {});
        if (target) await Promise.resolve().then(() => target.close()).catch(() => {});
      }
    }
  } catch (e) {
    report('Chromium', false, String(e?.stack || e), 0);
  } finally {
    await context?.close().catch(() => {});
    rmSync(profile, { recursive: true, force: true });
  }
}

if (passed + failed === 0) report('any case', false, `no case matches BUNDLERS_GREP=${grep}`, 0);
console.log(`${passed} passed, ${failed} failed`);
finished = true;
process.exit(failed ? 1 : 0);
