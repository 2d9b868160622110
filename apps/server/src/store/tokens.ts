// Access tokens (table `tokens`), kept as hashes only: an instructor's covers everything, a
// student's one lab.
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';

export type Role = 'instructor' | 'student';

export interface TokenRow {
  role: Role;
  lab: string | null;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * What a token looks like: base64url characters, 16 to 128 of them (generated tokens are 32 and 43).
 * Anything else is refused before it is hashed or looked up, so no string reaches the database.
 */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,128}$/;
export const TOKEN_RULE = '16 to 128 characters among A-Z a-z 0-9 - _';

export const isWellFormedToken = (token: string): boolean => TOKEN_PATTERN.test(token);

export class TokenStore {
  constructor(private readonly db: Database.Database) {}

  /** Records a token (by its hash); an existing one is left as it is. Throws for a malformed token. */
  add(token: string, role: Role, lab: string | null = null): void {
    if (!isWellFormedToken(token)) throw new Error(`a token must be ${TOKEN_RULE}`);
    this.db
      .prepare('INSERT OR IGNORE INTO tokens (token_hash, role, lab, created_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(token), role, lab, new Date().toISOString());
  }

  /** The token's role, or undefined for an unknown or malformed one (never looked up). */
  find(token: string): TokenRow | undefined {
    if (!isWellFormedToken(token)) return undefined;
    return this.db.prepare('SELECT role, lab FROM tokens WHERE token_hash = ?').get(hashToken(token)) as
      | TokenRow
      | undefined;
  }

  /**
   * Makes `token` the one instructor token: every other instructor token is revoked (a server
   * started with a new PATCHBAY_ADMIN_TOKEN no longer accepts the old one). The number revoked.
   */
  setInstructor(token: string): number {
    this.add(token, 'instructor');
    return this.db.prepare("DELETE FROM tokens WHERE role = 'instructor' AND token_hash != ?").run(hashToken(token))
      .changes;
  }

  /** The labs student tokens cover. */
  studentLabs(): string[] {
    return (
      this.db.prepare("SELECT DISTINCT lab FROM tokens WHERE role = 'student' AND lab IS NOT NULL").all() as {
        lab: string;
      }[]
    ).map((r) => r.lab);
  }

  /** Revokes every student token of `lab` (the end of a class session): they answer 401 afterwards. */
  revokeStudentTokens(lab: string): void {
    this.db.prepare("DELETE FROM tokens WHERE role = 'student' AND lab = ?").run(lab);
  }
}
