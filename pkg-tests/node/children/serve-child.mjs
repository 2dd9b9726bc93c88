// A `kms-wasm serve` server in its own process, so that its memory (RSS) can
// be measured apart from the clients attacking it (serve-limits.test.mjs,
// bench/serve-soak.mjs).
//   node serve-child.mjs '{"limits": {...}}'     (startServer options as JSON; port 0 by default)
// The server module is the installed package's (`kms-wasm` resolved by name),
// or the file named by KMS_WASM_SERVER. Talks over the IPC channel:
//   -> { url }                          once listening
//   <- 'stats'  -> { rss, heapTotal, heapUsed, external, arrayBuffers, limits }
//   <- 'close'  -> the server closes, then the process exits
import { pathToFileURL } from 'node:url';

const file = process.env.KMS_WASM_SERVER
  ? pathToFileURL(process.env.KMS_WASM_SERVER)
  : new URL('./serve/server.js', import.meta.resolve('kms-wasm'));
const { startServer } = await import(file.href);
// insecureNoAuth: these servers are for the limits (SigV4 is tested in serve-auth.test.mjs).
const server = await startServer({ port: 0, insecureNoAuth: true, warn: () => {}, ...JSON.parse(process.argv[2] ?? '{}') });
process.on('message', async (m) => {
  if (m === 'stats') {
    const { rss, heapTotal, heapUsed, external, arrayBuffers } = process.memoryUsage();
    process.send({ rss, heapTotal, heapUsed, external, arrayBuffers, limits: server.limits() });
  } else if (m === 'close') {
    process.removeAllListeners('disconnect');
    await server.close();
    process.disconnect();
  }
});
// The parent went away without a 'close' (it crashed or was killed): go too.
process.on('disconnect', () => {
  server.close().finally(() => process.exit(0));
});
process.send({ url: server.url });
