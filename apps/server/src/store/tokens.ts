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

export class TokenStore {
  constructor(private readonly db: Database.Database) {}

  /** Records a token (by its hash); an existing one is left as it is. */
  add(token: string, role: Role, lab: string | null = null): void {
    this.db
      .prepare('INSERT OR IGNORE INTO tokens (token_hash, role, lab, created_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(token), role, lab, new Date().toISOString());
  }

  find(token: string): TokenRow | undefined {
    return this.db.prepare('SELECT role, lab FROM tokens WHERE token_hash = ?').get(hashToken(token)) as
      | TokenRow
      | undefined;
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
