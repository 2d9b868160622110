// After `vite build`: a gzip and a Brotli copy of every text asset over 1 kB (name.js.gz,
// name.js.br), which the server sends to browsers that accept them (@fastify/static's
// `preCompressed`) instead of compressing on every request. Node's zlib only: no dependency.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const DIST = new URL('../dist/', import.meta.url).pathname;
const TEXT = /\.(js|css|html|svg|json|map)$/;
let files = 0;
let raw = 0;
let br = 0;

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (TEXT.test(name) && statSync(path).size > 1024) {
      const body = readFileSync(path);
      const brotli = brotliCompressSync(body, {
        params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
      });
      writeFileSync(`${path}.gz`, gzipSync(body, { level: 9 }));
      writeFileSync(`${path}.br`, brotli);
      files++;
      raw += body.length;
      br += brotli.length;
    }
  }
}

walk(DIST);
console.log(`compressed ${files} files: ${(raw / 1024).toFixed(0)} kB → ${(br / 1024).toFixed(0)} kB with Brotli`);
