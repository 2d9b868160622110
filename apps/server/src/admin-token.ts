// The instructor token: PATCHBAY_ADMIN_TOKEN when set; otherwise generated once at first start and
// kept in PATCHBAY_DATA/admin-token (mode 0600) so that every start can print the address with it.
// The database holds only its hash, and only this one instructor token: a start with a new token
// revokes the old ones. A token too weak to withstand guessing stops the start.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from './store/store.js';
import { isWellFormedToken, TOKEN_RULE } from './store/tokens.js';

/** The least an instructor token may carry. */
export const MIN_TOKEN_BITS = 128;

/**
 * An upper bound of a token's entropy: its length × log2 of the alphabet its characters are drawn
 * from, the alphabet being the union of the classes it uses (a-z 26, A-Z 26, 0-9 10, `-` `_` 2).
 * 22 random base64url characters give 132 bits; `classroom-2024` gives 14 × log2(38) ≈ 73. It cannot
 * tell a chosen phrase from a random one of the same length and classes: generate tokens (the default
 * does, 43 characters from 32 random bytes), and this check catches the short and the simple.
 */
export function tokenBits(token: string): number {
  let alphabet = 0;
  if (/[a-z]/.test(token)) alphabet += 26;
  if (/[A-Z]/.test(token)) alphabet += 26;
  if (/[0-9]/.test(token)) alphabet += 10;
  if (/[-_]/.test(token)) alphabet += 2;
  return alphabet ? token.length * Math.log2(alphabet) : 0;
}

/** Why `token` may not be the instructor token, or undefined. */
export function instructorTokenProblem(token: string, source = 'PATCHBAY_ADMIN_TOKEN'): string | undefined {
  if (!isWellFormedToken(token)) return `${source} must be ${TOKEN_RULE}`;
  const bits = tokenBits(token);
  if (bits < MIN_TOKEN_BITS)
    return `${source} is too weak: about ${Math.floor(bits)} bits, at least ${MIN_TOKEN_BITS} are needed (e.g. 22 random characters among A-Z a-z 0-9 - _; \`openssl rand -base64 32 | tr +/ -_ | tr -d =\` makes one), or leave it unset to have one generated`;
  return undefined;
}

/**
 * The instructor token of this start (checked; the old ones revoked). Throws with the reason for a
 * token that is malformed or too weak.
 */
export async function adminToken(store: Store, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  let token = env['PATCHBAY_ADMIN_TOKEN']?.trim();
  let source = 'PATCHBAY_ADMIN_TOKEN';
  if (!token) {
    const file = join(dataDir, 'admin-token');
    source = `the instructor token in ${file}`;
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
  const problem = instructorTokenProblem(token, source);
  if (problem) throw new Error(problem);
  await store.tokens.setInstructor(token);
  return token;
}
