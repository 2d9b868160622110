// Access tokens in SQLite (table `tokens`), kept as hashes only.
/* eslint-disable @typescript-eslint/require-await -- SQLite answers at once; the store's interface is asynchronous for PostgreSQL */
import type Database from 'better-sqlite3';
import type { TokenStore } from './store-api.js';
import { assertWellFormedToken, hashToken, isWellFormedToken, type Role, type TokenRow } from './tokens.js';

export class SqliteTokenStore implements TokenStore {
  /** Every request looks its token up (an agent: every request its coordinators forward): prepared once. */
  private findStatement: Database.Statement | undefined;

  constructor(private readonly db: Database.Database) {}

  /** The synchronous add, for the student store's join transaction. */
  addNow(token: string, role: Role, lab: string | null = null): void {
    assertWellFormedToken(token);
    this.db
      .prepare('INSERT OR IGNORE INTO tokens (token_hash, role, lab, created_at) VALUES (?, ?, ?, ?)')
      .run(hashToken(token), role, lab, new Date().toISOString());
  }

  /** The synchronous revocation, for the student store's delete transaction. */
  revokeNow(lab: string): void {
    this.db.prepare("DELETE FROM tokens WHERE role = 'student' AND lab = ?").run(lab);
  }

  async add(token: string, role: Role, lab: string | null = null): Promise<void> {
    this.addNow(token, role, lab);
  }

  async find(token: string): Promise<TokenRow | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    this.findStatement ??= this.db.prepare('SELECT role, lab FROM tokens WHERE token_hash = ?');
    return this.findStatement.get(hashToken(token)) as TokenRow | undefined;
  }

  async setInstructor(token: string): Promise<number> {
    return this.db.transaction(() => {
      this.addNow(token, 'instructor');
      return this.db.prepare("DELETE FROM tokens WHERE role = 'instructor' AND token_hash != ?").run(hashToken(token))
        .changes;
    })();
  }

  async studentLabs(): Promise<string[]> {
    return (
      this.db.prepare("SELECT DISTINCT lab FROM tokens WHERE role = 'student' AND lab IS NOT NULL").all() as {
        lab: string;
      }[]
    ).map((r) => r.lab);
  }

  async revokeStudentTokens(lab: string): Promise<void> {
    this.revokeNow(lab);
  }
}
