// `kms-wasm serve` under hostile clients (npm/src/serve/limits.js): the
// connection cap, the global in-flight byte budget, header/body timeouts and
// the minimum body rate, the keep-alive timeout; each while honest calls
// through @aws-sdk/client-kms keep working. The server runs in a child
// process (children/serve-child.mjs) so that its RSS is its own. Bounds are
// generous: this runs on loaded 2-core machines.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { loadStartServer, sdkClient } from './serve-kms-wasm.mjs';
import { tempDir } from './helpers.mjs';

const CHILD = fileURLToPath(new URL('./children/serve-child.mjs', import.meta.url));
const MiB = 1024 * 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const utf8 = (s) => new TextEncoder().encode(s);

/** A server in a child process: `stats()` gives its RSS and limit counters. */
async function startChild(options = {}) {
  const child = fork(CHILD, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const first = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`serve-child exited ${code}`)));
  });
  const port = Number(new URL(first.url).port);
  let queue = Promise.resolve();
  const stats = () => (queue = queue.then(() => new Promise((resolve) => {
    child.once('message', resolve);
    child.send('stats');
  })));
  return {
    url: first.url,
    port,
    stats,
    async close() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.send('close');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Waits until `check()` is true (polled), or fails after `ms`. */
async function until(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * A raw TCP client: `start(socket)` writes what it wants. `result` resolves
 * when the socket closes: { status (of the first response, or null), text, ms (from connect), error }.
 */
function rawClient(port, start) {
  const socket = net.connect(port, '127.0.0.1');
  let text = '';
  let error = null;
  let t0 = Date.now();
  socket.on('connect', () => {
    t0 = Date.now();
    start(socket);
  });
  socket.on('data', (d) => {
    text += d.toString('latin1');
  });
  socket.on('error', (e) => {
    error = e.code;
  });
  const result = new Promise((resolve) => {
    socket.on('close', () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(text);
      resolve({ status: m ? Number(m[1]) : null, text, ms: Date.now() - t0, error });
    });
  });
  return { socket, result };
}

const head = (length, target = 'ListKeys') => `POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.${target}\r\n` +
  `Content-Type: application/x-amz-json-1.1\r\nContent-Length: ${length}\r\n\r\n`;

/** The AWS JSON error in a raw response. */
function awsError(text) {
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  const type = /x-amzn-errortype: ([^\r]+)/i.exec(text)?.[1];
  return { type, json: JSON.parse(body) };
}

/** Honest calls through the SDK: all must succeed. */
async function honest(client, n) {
  for (let i = 0; i < n; i++) {
    const { KeyId } = await client.describeKey({ KeyId: 'alias/honest' }).then((r) => r.KeyMetadata);
    const { CiphertextBlob } = await client.encrypt({ KeyId, Plaintext: utf8(`m${i}`) });
    const { Plaintext } = await client.decrypt({ CiphertextBlob });
    assert.equal(Buffer.from(Plaintext).toString(), `m${i}`);
  }
}

async function honestClient(url) {
  const client = sdkClient(url);
  const { KeyMetadata } = await client.createKey({});
  await client.createAlias({ AliasName: 'alias/honest', TargetKeyId: KeyMetadata.KeyId });
  await honest(client, 3);
  return client;
}

describe('serve limits: hostile clients', { concurrency: 1 }, () => {
  test('a connection over maxConnections is closed at once; SDK calls on a kept-alive connection go on; a slot frees when a connection closes', async () => {
    const server = await startChild({ limits: { maxConnections: 20, headersTimeoutMs: 30_000 } });
    const client = await honestClient(server.url);
    const held = [];
    try {
      // The SDK holds one kept-alive connection; 19 clients that send half a request line take the rest.
      for (let i = 0; i < 19; i++) held.push(rawClient(server.port, (s) => s.write('POST / HT')));
      await until(async () => (await server.stats()).limits.connections === 20, 15_000, '20 connections');
      const extra = Array.from({ length: 10 }, () => rawClient(server.port, (s) => s.write(head(2) + '{}')));
      const refused = await Promise.all(extra.map((c) => c.result));
      for (const r of refused) {
        assert.equal(r.status, null, 'closed without an answer');
        assert.ok(r.ms < 5000, `closed at once (${r.ms} ms)`);
      }
      assert.equal((await server.stats()).limits.refusedConnections, 10);
      await honest(client, 10);
      // One hostile connection goes: a new client gets its slot.
      held.pop().socket.destroy();
      await until(async () => (await server.stats()).limits.connections === 19, 15_000, 'a free slot');
      const other = sdkClient(server.url);
      try {
        assert.equal((await other.listAliases({})).Aliases.some((a) => a.AliasName === 'alias/honest'), true);
      } finally {
        other.destroy();
      }
    } finally {
      for (const h of held) h.socket.destroy();
      client.destroy();
      await server.close();
    }
  });

  test('partial bodies beyond the in-flight byte budget are refused (503), RSS stays bounded, SDK calls go on, and RSS comes back after the sockets close', async (t) => {
    const server = await startChild({ limits: { maxInFlightBytes: 16 * MiB, bodyTimeoutMs: 60_000, minBodyRate: 0 } });
    const client = await honestClient(server.url);
    const parked = [];
    try {
      await sleep(500);
      const baseline = (await server.stats()).rss;
      let peak = baseline;
      const poll = setInterval(() => server.stats().then((s) => {
        peak = Math.max(peak, s.rss);
      }), 100);
      // 200 clients each send all but 10 bytes of a 1 MiB body and stop.
      const length = MiB - 64;
      const body = Buffer.alloc(length - 10, 0x20);
      for (let i = 0; i < 200; i++) {
        parked.push(rawClient(server.port, (s) => {
          s.write(head(length));
          s.write(body);
        }));
      }
      // Every body is either parked (within the budget) or refused at its headers.
      const s1 = await until(async () => {
        const s = await server.stats();
        return s.limits.refusedBodies + s.limits.bodiesInProgress >= 200 ? s : null;
      }, 30_000, 'every body parked or refused');
      assert.ok(s1.limits.inFlightBytes <= 16 * MiB, `in flight ${s1.limits.inFlightBytes}`);
      assert.ok(s1.limits.refusedBodies >= 200 - 16, `refused ${s1.limits.refusedBodies}`);
      // Refused clients got 503 ServiceUnavailableException (or a reset, if still writing when the server closed).
      const answered = await Promise.race([Promise.all(parked.map((p) => p.result)), sleep(3000).then(() => null)]);
      assert.equal(answered, null, 'parked bodies are not cut while they are within the limits');
      const refused = (await Promise.all(parked.map((p) => Promise.race([p.result, sleep(50).then(() => null)])))).filter(Boolean);
      assert.ok(refused.length >= 100, `${refused.length} refused clients saw their connection end`);
      const with503 = refused.filter((r) => r.status !== null);
      for (const r of with503) {
        assert.equal(r.status, 503, r.text.slice(0, 200));
        assert.equal(awsError(r.text).type, 'ServiceUnavailableException');
      }
      // Normal calls use the reserved quarter of the budget: they still work.
      await honest(client, 10);
      clearInterval(poll);
      const during = (await server.stats()).rss;
      peak = Math.max(peak, during);
      assert.ok(peak - baseline < 200 * MiB, `RSS grew ${((peak - baseline) / MiB).toFixed(0)} MB`);

      // The hostile sockets close: the budget is back to 0 and RSS comes back near the baseline.
      for (const p of parked) p.socket.destroy();
      await until(async () => {
        const s = await server.stats();
        return s.limits.inFlightBytes === 0 && s.limits.bodiesInProgress === 0;
      }, 15_000, 'the budget to come back');
      const settled = await until(async () => {
        const s = await server.stats();
        return s.rss - baseline < 96 * MiB ? s : null;
      }, 20_000, 'RSS near the baseline').catch(async (e) => {
        const s = await server.stats();
        throw new Error(`${e.message}: baseline ${(baseline / MiB).toFixed(0)} MB, peak ${(peak / MiB).toFixed(0)} MB, now ${(s.rss / MiB).toFixed(0)} MB`);
      });
      assert.ok(settled);
      const mb = (x) => `${(x / MiB).toFixed(0)} MB`;
      t.diagnostic(`server RSS: baseline ${mb(baseline)}, peak ${mb(peak)}, after ${mb(settled.rss)}; ${s1.limits.refusedBodies} bodies refused, peak in flight ${mb(s1.limits.peakInFlightBytes)}`);
      await honest(client, 3);
    } finally {
      for (const p of parked) p.socket.destroy();
      client.destroy();
      await server.close();
    }
  });

  test('a body trickled at 1 byte/s is cut within a few seconds (408 RequestTimeoutException), and so are trickled headers, while SDK calls go on', async () => {
    const server = await startChild({ limits: { headersTimeoutMs: 2000 } });
    const client = await honestClient(server.url);
    const trickle = (s, text) => {
      let i = 0;
      const t = setInterval(() => {
        if (s.destroyed || i >= text.length) return clearInterval(t);
        s.write(text[i++]);
      }, 1000);
    };
    try {
      const body = rawClient(server.port, (s) => {
        s.write(head(100));
        trickle(s, ' '.repeat(100));
      });
      const headers = rawClient(server.port, (s) => trickle(s, head(2) + '{}'));
      await honest(client, 5);
      const b = await body.result;
      assert.equal(b.status, 408, b.text.slice(0, 200));
      assert.equal(awsError(b.text).type, 'RequestTimeoutException');
      assert.ok(b.ms < 6000, `the body was cut after ${b.ms} ms`);
      const h = await headers.result;
      assert.equal(h.status, 408, h.text.slice(0, 200));
      assert.equal(awsError(h.text).type, 'RequestTimeoutException');
      assert.ok(h.ms < 6000, `the headers were cut after ${h.ms} ms`);
      assert.ok((await server.stats()).limits.cutBodies >= 2);
      await honest(client, 3);
    } finally {
      client.destroy();
      await server.close();
    }
  });

  test('an idle kept-alive connection is closed after keepAliveTimeoutMs (not by the shorter headers timeout), and the next SDK call works', async () => {
    const server = await startChild({ limits: { keepAliveTimeoutMs: 3000, headersTimeoutMs: 1000 } });
    const client = await honestClient(server.url);
    try {
      // A kept-alive connection idle longer than the headers timeout still serves its next request.
      let second = null;
      const ka = rawClient(server.port, (s) => {
        s.write(head(2) + '{}');
        setTimeout(() => {
          second = Date.now();
          s.write(head(2) + '{}');
        }, 2000);
      });
      const r = await ka.result;
      assert.equal(r.text.match(/HTTP\/1\.1 200/g)?.length, 2, r.text.slice(0, 400));
      assert.match(r.text, /Keep-Alive: timeout=3/);
      assert.ok(Date.now() - second >= 2500, 'closed by the keep-alive timeout after its last request');
      // The SDK's pooled connection is closed by the server when idle; its next call opens another.
      await until(async () => (await server.stats()).limits.connections === 0, 15_000, 'the idle connections to close');
      await honest(client, 2);
    } finally {
      client.destroy();
      await server.close();
    }
  });
});

describe('serve limits: the soak, small', () => {
  test('bench/serve-soak.mjs at SOAK_SCALE=0.05: parked bodies, trickles and a flood, the honest SDK client never fails', async (t) => {
    const soak = fileURLToPath(new URL('../bench/serve-soak.mjs', import.meta.url));
    const env = { ...process.env, SOAK_SCALE: '0.05', SOAK_SECONDS: '2', SOAK_SETTLE: '1', SOAK_STRICT: '0' };
    delete env.KMS_WASM_SERVER; // the installed package's server
    const { code, out, err } = await new Promise((resolve) => {
      const child = spawn(process.execPath, [soak], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let o = '';
      let e = '';
      child.stdout.on('data', (d) => {
        o += d;
      });
      child.stderr.on('data', (d) => {
        e += d;
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve({ code: c, out: o, err: e });
      });
    });
    assert.equal(code, 0, `${out}\n${err}`);
    for (const s of ['parked:', 'trickle:', 'flood:']) assert.ok(out.includes(s), out);
    assert.match(out, /met +no honest call failed \(0\)/, out);
    t.diagnostic(out.split('\n').filter((l) => /RSS:|ms, max|expectations|met/.test(l)).join(' | '));
  });
});

describe('serve limits: options', () => {
  let startServer;
  before(async () => {
    startServer = await loadStartServer();
  });

  test('startServer takes limits, checks them, and reports them with what they did', async () => {
    await assert.rejects(startServer({ port: 0, insecureNoAuth: true, warn: () => {}, limits: { maxConnections: 0 } }), /limit maxConnections must be a whole number >= 1/);
    await assert.rejects(startServer({ port: 0, insecureNoAuth: true, warn: () => {}, limits: { maxConections: 5 } }), /unknown limit\(s\) maxConections/);
    await assert.rejects(startServer({ port: 0, insecureNoAuth: true, warn: () => {}, limits: { maxBodyBytes: 2 * MiB, maxInFlightBytes: MiB } }), /maxInFlightBytes .* at least maxBodyBytes/);
    const server = await startServer({ port: 0, insecureNoAuth: true, warn: () => {}, limits: { maxBodyBytes: 1000, bodyTimeoutMs: 4000 } });
    try {
      const l = server.limits();
      assert.deepEqual(
        [l.maxConnections, l.maxInFlightBytes, l.maxBodyBytes, l.headersTimeoutMs, l.bodyTimeoutMs, l.minBodyRate, l.keepAliveTimeoutMs],
        [256, 64 * MiB, 1000, 10_000, 4000, 1024, 5000],
      );
      const big = rawClient(server.port, (s) => s.write(head(1001) + ' '.repeat(1001)));
      big.socket.setTimeout(2000, () => big.socket.destroy());
      const r = await big.result;
      assert.equal(r.status, 413);
      assert.equal(awsError(r.text).type, 'SerializationException');
      assert.equal(server.limits().tooLargeBodies, 1);
      // A chunked body (no Content-Length) is taken from the budget as it comes: within the limit it is served, over it 413.
      const chunked = (parts) => rawClient(server.port, (s) => {
        s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: TrentService.ListKeys\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n');
        for (const p of parts) s.write(`${p.length.toString(16)}\r\n${p}\r\n`);
        s.write('0\r\n\r\n');
      });
      const ok = await chunked(['{', '}']).result;
      assert.equal(ok.status, 200, ok.text.slice(0, 200));
      const over = chunked(['{"Pad": "', 'x'.repeat(600), 'x'.repeat(600), '"}']);
      over.socket.setTimeout(2000, () => over.socket.destroy());
      const o = await over.result;
      assert.equal(o.status, 413, o.text.slice(0, 200));
      assert.equal(server.limits().inFlightBytes, 0);
    } finally {
      await server.close();
    }
  });

  test('kms-wasm serve --max-connections ... --keep-alive-timeout: in --help, used, and bad values are usage errors', async () => {
    const bin = fileURLToPath(new URL('../node_modules/kms-wasm/bin/kms-wasm.js', import.meta.url));
    const run = (args, env = {}) => new Promise((resolve) => {
      const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (/^http:\/\//.test(out) && out.includes('\n')) resolve({ child, out, err });
      });
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('exit', (code) => resolve({ code, out, err }));
    });
    const help = await run(['serve', '--help']);
    for (const o of ['--max-connections', '--max-inflight-bytes', '--max-body-bytes', '--headers-timeout', '--body-timeout', '--min-body-rate', '--keep-alive-timeout']) {
      assert.ok(help.out.includes(o), `${o} in --help`);
    }
    const { dir, cleanup } = tempDir('kms-wasm-serve-limits-');
    try {
      const env = { HOME: dir };
      const store = ['--store', join(dir, 'store')];
      for (const bad of [['--max-connections', 'x'], ['--max-inflight-bytes', '3GB'], ['--headers-timeout', '0'], ['--max-inflight-bytes', '10']]) {
        const r = await run([...store, 'serve', '--insecure-no-auth', '--port', '0', ...bad], env);
        assert.equal(r.code, 2, `${bad.join(' ')}: ${r.err}`);
        assert.match(r.err, new RegExp(bad[0] === '--max-inflight-bytes' && bad[1] === '10' ? 'maxInFlightBytes' : bad[0]));
      }
      const started = await run([...store, 'serve', '--insecure-no-auth', '--port', '0', '--max-connections', '2', '--max-body-bytes', '1KiB', '--keep-alive-timeout', '2'], env);
      assert.ok(started.child, started.err);
      const url = started.out.trim();
      try {
        const r = await fetch(url, { method: 'POST', headers: { 'x-amz-target': 'TrentService.ListKeys' }, body: JSON.stringify({ Pad: 'x'.repeat(1024) }) });
        assert.equal(r.status, 413);
        assert.equal(r.headers.get('keep-alive'), 'timeout=2');
      } finally {
        started.child.kill('SIGTERM');
        await new Promise((r) => started.child.once('exit', r));
      }
    } finally {
      cleanup();
    }
  });
});
