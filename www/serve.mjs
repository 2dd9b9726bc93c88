// The web demo's static server (node:http, no dependencies), bound to
// 127.0.0.1 — a secure context, so WebCrypto and IndexedDB work.
//
//   node www/serve.mjs              # what `make demo` runs; PORT=9000 for another port
//
// Serves www/ and, under /node_modules/kms-wasm/, the installed package
// (www/node_modules/kms-wasm, installed from the packed tarball by `make
// demo`). index.html gets an import map pointing `kms-wasm` at the package's
// browser entry, read from its `exports` map, so the page imports the package
// by name exactly as an app without a bundler would.
//
// The e2e test (pkg-tests/demo/e2e.mjs) imports startDemoServer() to serve
// the same page with the package of its temp project.
import { createServer } from 'node:http';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, normalize, extname, sep, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ENTRY_PLACEHOLDER = '__KMS_WASM_ENTRY__';
const PKG_PREFIX = '/node_modules/kms-wasm/';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** The browser entry of the package in `pkgDir` (its `exports` map without the `node` condition), e.g. `src/browser.js`. */
export async function browserEntry(pkgDir) {
  const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8'));
  const pick = (t) => {
    if (typeof t === 'string') return t;
    if (Array.isArray(t)) return t.map(pick).find(Boolean) || null;
    if (t && typeof t === 'object') {
      for (const [cond, value] of Object.entries(t)) {
        if (['browser', 'import', 'module', 'default'].includes(cond)) {
          const r = pick(value);
          if (r) return r;
        }
      }
    }
    return null;
  };
  let target = null;
  if (pkg.exports !== undefined) {
    const exp = pkg.exports;
    const hasSubpaths = exp && typeof exp === 'object' && !Array.isArray(exp) && Object.keys(exp).some((k) => k.startsWith('.'));
    target = pick(hasSubpaths ? exp['.'] : exp);
  }
  target ||= (typeof pkg.browser === 'string' && pkg.browser) || pkg.module || pkg.main || 'index.js';
  return target.replace(/^\.\//, '');
}

/** `file` if it lies inside `root` (no `..` escapes), else null. */
function inside(root, rel) {
  const file = normalize(join(root, rel));
  return file === root || file.startsWith(root + sep) ? file : null;
}

/**
 * Starts the server. Resolves to `{ server, url, close() }` once listening.
 * @param {{ www?: string, pkgDir?: string, port?: number, host?: string }} [options]
 */
export async function startDemoServer(options = {}) {
  const www = resolve(options.www || HERE);
  const pkgDir = resolve(options.pkgDir || join(www, 'node_modules', 'kms-wasm'));
  const host = options.host || '127.0.0.1';
  const port = options.port ?? 8080;
  if (!existsSync(join(pkgDir, 'package.json'))) {
    throw new Error(`kms-wasm is not installed at ${pkgDir} (run 'make demo', which packs the package and installs the tarball there)`);
  }
  const entryUrl = PKG_PREFIX + (await browserEntry(pkgDir));

  // index.html with the import map filled in, and a Content-Security-Policy
  // allowing that one inline script (by its hash) and nothing else inline.
  async function indexPage() {
    const html = (await readFile(join(www, 'index.html'), 'utf8')).replaceAll(ENTRY_PLACEHOLDER, entryUrl);
    const hashes = [...html.matchAll(/<script type="importmap">([\s\S]*?)<\/script>/g)]
      .map((m) => `'sha256-${createHash('sha256').update(m[1]).digest('base64')}'`);
    const csp = [
      "default-src 'self'",
      `script-src 'self' 'wasm-unsafe-eval' ${hashes.join(' ')}`,
      "style-src 'self'",
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; ');
    return { body: Buffer.from(html), csp };
  }

  const server = createServer(async (req, res) => {
    const send = (status, headers, body) => {
      res.writeHead(status, { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { allow: 'GET, HEAD' }, 'method not allowed');
      const path = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
      if (path === '/' || path === '/index.html') {
        const { body, csp } = await indexPage();
        return send(200, { 'content-type': TYPES['.html'], 'content-security-policy': csp, 'referrer-policy': 'no-referrer' }, body);
      }
      let file = null;
      if (path.startsWith(PKG_PREFIX)) {
        file = inside(pkgDir, path.slice(PKG_PREFIX.length));
      } else if (!path.startsWith('/node_modules/') && !path.split('/').some((part) => part.startsWith('.'))) {
        file = inside(www, path.slice(1));
      }
      const info = file && (await stat(file).catch(() => null));
      if (!info || !info.isFile()) return send(404, { 'content-type': TYPES['.txt'] }, `not found: ${path}`);
      const type = TYPES[extname(file)] || 'application/octet-stream';
      return send(200, { 'content-type': type }, await readFile(file));
    } catch (err) {
      return send(500, { 'content-type': TYPES['.txt'] }, `internal error: ${err.message}`);
    }
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => { server.off('error', fail); ok(); });
  });
  const url = `http://${host}:${server.address().port}/`;
  return { server, url, entryUrl, close: () => new Promise((ok) => server.close(() => ok())) };
}

// `node www/serve.mjs`: serve until Ctrl-C.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const port = Number(process.env.PORT || 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: PORT must be a port number (got '${process.env.PORT}')`);
    process.exit(2);
  }
  let demo;
  try {
    demo = await startDemoServer({ port });
  } catch (err) {
    if (err.code === 'EADDRINUSE') console.error(`demo: 127.0.0.1:${port} is in use; pick another port, e.g. PORT=9000 make demo`);
    else console.error(`demo: ${err.message}`);
    process.exit(1);
  }
  console.log(`kms-wasm demo: ${demo.url}`);
  console.log(`  serving ${HERE} and the installed package (kms-wasm → ${demo.entryUrl}); Ctrl-C to stop`);
  const stop = () => {
    console.log('\ndemo: stopped');
    demo.server.closeAllConnections?.();
    demo.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
