// Access tokens, kept as hashes only: an instructor's covers everything, a student's one lab.
// What a token looks like and how it is hashed, whatever the database.
import { createHash } from 'node:crypto';

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

/** Throws for a malformed token (the store never records one). */
export function assertWellFormedToken(token: string): void {
  if (!isWellFormedToken(token)) throw new Error(`a token must be ${TOKEN_RULE}`);
}
