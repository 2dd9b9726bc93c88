// A small static server for the browser run: serves ROOT on 127.0.0.1 at a
// free port, and index.html with the import map pointing `kms-wasm` at the
// installed package's browser entry (resolved from its exports map), and
// `@aws-sdk/client-kms` at SDK_PATH: the SDK (the test project's devDependency)
// bundled for browsers by esbuild on first request (its packages import each
// other by bare names and pick their browser files through package.json's
// `browser` field, which a page cannot do by itself).
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { join, normalize, extname, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.d.ts': 'text/plain; charset=utf-8',
};

/** Where pages import `@aws-sdk/client-kms` from (browser/index.html's import map). */
export const SDK_PATH = '/sdk/client-kms.js';

/** `@aws-sdk/client-kms` as one ES module for browsers, bundled once per server. */
async function bundleSdk(root) {
  const { build } = await import('esbuild');
  const result = await build({
    stdin: { contents: "export * from '@aws-sdk/client-kms';", resolveDir: root, sourcefile: 'client-kms.js' },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return Buffer.from(result.outputFiles[0].contents);
}

const BROWSER_CONDITIONS = ['browser', 'import', 'module', 'default'];

/** Resolves an exports target for a browser importer (no `node` condition). */
function pickTarget(target) {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) {
    for (const t of target) {
      const r = pickTarget(t);
      if (r) return r;
    }
    return null;
  }
  if (target && typeof target === 'object') {
    for (const [cond, value] of Object.entries(target)) {
      if (BROWSER_CONDITIONS.includes(cond)) {
        const r = pickTarget(value);
        if (r) return r;
      }
    }
  }
  return null;
}

/** The browser entry of the package at `pkgDir`, as a path relative to it. */
export async function browserEntry(pkgDir) {
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  let target = null;
  if (pkg.exports !== undefined) {
    const exp = pkg.exports;
    const dot = typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.')) ? exp['.'] : exp;
    target = pickTarget(dot);
  }
  target ||= (typeof pkg.browser === 'string' && pkg.browser) || pkg.module || pkg.main || 'index.js';
  return target.replace(/^\.\//, '');
}

export async function serve(root) {
  const entry = await browserEntry(join(root, 'node_modules', 'kms-wasm'));
  const entryUrl = `/node_modules/kms-wasm/${entry}`;
  let sdk = null;
  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://127.0.0.1');
      let path = decodeURIComponent(url.pathname);
      if (path === '/') {
        res.writeHead(302, { location: '/browser/index.html' }).end();
        return;
      }
      if (path === SDK_PATH) {
        sdk ??= bundleSdk(root);
        const body = await sdk.catch((e) => {
          sdk = null;
          throw e;
        });
        res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-store' }).end(body);
        return;
      }
      const file = normalize(join(root, path));
      if (file !== root && !file.startsWith(root + sep)) {
        res.writeHead(403).end('forbidden');
        return;
      }
      const info = await stat(file).catch(() => null);
      if (!info || !info.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${path}`);
        return;
      }
      let body = await readFile(file);
      if (path.startsWith('/browser/') && path.endsWith('.html')) body = Buffer.from(body.toString('utf8').replace('__KMS_WASM_ENTRY__', entryUrl));
      const type = TYPES[file.endsWith('.d.ts') ? '.d.ts' : extname(file)] || 'application/octet-stream';
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    } catch (err) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err));
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return { server, url: `http://127.0.0.1:${port}/`, entryUrl };
}
