// The instructor token: PATCHBAY_ADMIN_TOKEN when set; otherwise generated once at first start and
// kept in PATCHBAY_DATA/admin-token (mode 0600) so that every start can print the address with it.
// The database holds only its hash.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from './store/store.js';

export function adminToken(store: Store, dataDir: string, env: NodeJS.ProcessEnv = process.env): string {
  let token = env['PATCHBAY_ADMIN_TOKEN']?.trim();
  if (!token) {
    const file = join(dataDir, 'admin-token');
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (!token) {
      token = randomBytes(32).toString('base64url');
      writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'w' });
    }
  }
  store.tokens.add(token, 'instructor');
  return token;
}
