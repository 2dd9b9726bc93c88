// `kms-wasm serve` for moto's KMS tests (moto_kms.py): the installed
// package's startServer (what `kms-wasm serve` runs) with a memory store and
// the config given, started anew, empty, for each test. moto's tests keep one
// endpoint for the whole run, so a plain TCP relay listens on that port and
// passes every connection, byte for byte, to the server of the moment (each
// on a port of its own: no port is ever re-bound, so nothing can take it in
// between). This stands in for moto's POST /moto-api/reset, which serve has
// no reason to answer, and adds nothing to the product.
//
//   node moto-serve.mjs APP CONFIG   (APP: the folder whose node_modules holds kms-wasm)
//
// Prints the endpoint URL, then reads lines on stdin: `restart` closes the
// current server and starts an empty one, then prints `ready`. Ends on EOF.
import { createServer, connect } from 'node:net';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [app, config] = process.argv.slice(2);
if (!app || !config) {
  process.stderr.write('usage: node moto-serve.mjs APP CONFIG\n');
  process.exit(2);
}
const entry = createRequire(join(app, 'package.json')).resolve('kms-wasm');
const { startServer } = await import(new URL('./serve/server.js', pathToFileURL(entry)).href);

let current = null;
const front = createServer((client) => {
  if (!current) { // between two servers: no test is running
    client.destroy();
    return;
  }
  const upstream = connect(current.port, '127.0.0.1');
  const drop = () => {
    client.destroy();
    upstream.destroy();
  };
  for (const socket of [client, upstream]) {
    socket.on('error', drop);
    socket.on('close', drop);
  }
  client.pipe(upstream).pipe(client);
});
await new Promise((resolve, reject) => {
  front.once('error', reject);
  front.listen(0, '127.0.0.1', resolve);
});

async function restart() {
  const old = current;
  current = null;
  await old?.close(); // its connections close, and the relayed ones with them
  current = await startServer({ port: 0, config });
}

process.stdout.write(`http://127.0.0.1:${front.address().port}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'restart') throw new Error(`moto-serve: unknown command ${JSON.stringify(line)}`);
  await restart();
  process.stdout.write('ready\n');
}
await current?.close();
front.close();
