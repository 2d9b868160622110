import { bigLab } from '/tmp/gen2000.mjs';
import { Engine } from '@patchbay/engine';
import { buildApp, openStore } from './dist/index.js';
import { mkdtempSync } from 'node:fs';
const dataDir = mkdtempSync('/tmp/pbm-');
const engine = new Engine({ prefix: 'pbsm-', dataDir });
const store = openStore(dataDir);
const TOKEN = 'measure-token-0123456789abcdefXYZ';
const limits = process.argv[2] ? { documentMaxNodes: 2000, documentMaxLinks: 4000 } : {};
const app = await buildApp({ engine, store, adminToken: TOKEN, limits });
await engine.kernelFeatures();
// Longest stretch the event loop was blocked: a 1 ms interval's worst lateness.
let worst = 0,
  last = performance.now();
const tick = setInterval(() => {
  const now = performance.now();
  worst = Math.max(worst, now - last - 1);
  last = now;
}, 1);
for (const n of [100, 250, 2000]) {
  const payload = JSON.stringify(bigLab(n));
  for (let k = 0; k < 3; k++) {
    await new Promise((r) => setTimeout(r, 20));
    worst = 0;
    last = performance.now();
    const t0 = performance.now();
    const r = await app.inject({
      method: 'POST',
      url: '/api/script',
      payload,
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 5));
    console.log(n, r.statusCode, 'request', ms.toFixed(0), 'ms; longest event-loop block', worst.toFixed(0), 'ms');
  }
}
clearInterval(tick);
await app.close();
await engine.close();
store.close();
