// A byte-level TCP proxy as a process of its own, for `pnpm bench:scale`'s floor of a hop: the least
// any process between the browser and the lab host can cost on this machine (two more wake-ups and
// socket copies per message, no parsing). Listens on a loopback port of its own choosing, prints
// `listening PORT`, and pipes every connection to 127.0.0.1:TARGET with Nagle off both ways — what a
// reverse proxy in front of `patchbay serve` does at the least, and the same for HTTP and the
// socket.io WebSocket. Usage: node tcp-proxy.js TARGET_PORT
import { connect, createServer } from 'node:net';

const target = Number(process.argv[2]);
if (!Number.isInteger(target) || target <= 0 || target > 65535) throw new Error('usage: tcp-proxy.js TARGET_PORT');

const server = createServer((client) => {
  const upstream = connect(target, '127.0.0.1');
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
  // One side gone: the other goes too (no half-open pairs over a class).
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') console.log(`listening ${address.port}`);
});
process.on('SIGTERM', () => process.exit(0));
