// Pure parts of joining a class: session codes, student lab names, and the names students give.
import { randomInt } from 'node:crypto';
import type { Problem } from '@patchbay/protocol';
import { NAME_RE } from '@patchbay/topology';

/** No 0/O, 1/I/L: a code read aloud or from a projector is typed right the first time. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const CODE_LENGTH = 6;

export function newSessionCode(): string {
  let code = '';
  for (let i = 0; i < CODE_LENGTH; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return code;
}

/** What students type, in any case, with stray spaces: the stored (upper-case) form. */
export const normalizeCode = (code: string): string => code.trim().toUpperCase();

/**
 * A student's lab: `s<code>-<nn>` (e.g. `sk7pq2m-03`), a valid lab name of at most 24 characters
 * for any code the join schema accepts (≤ 16 characters) and any sequence number below 10^5.
 */
export function studentLabName(code: string, seq: number): string {
  const name = `s${code.toLowerCase()}-${String(seq).padStart(2, '0')}`;
  if (!NAME_RE.test(name)) throw new Error(`not a valid lab name: ${name}`);
  return name;
}

export const MAX_STUDENT_NAME = 40;
// Control characters would corrupt the dashboard or a log line; bidirectional overrides and
// zero-width characters would let one name pose as another; a lone surrogate is not text. (With
// the u flag a surrogate pair is one code point, so only lone surrogates match the last range.)
const FORBIDDEN_IN_NAMES = /[\p{Cc}\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]/u;

/** The name trimmed (inner runs of spaces made one), or the problem with it. */
export function cleanStudentName(raw: string): { name: string } | { problem: Problem } {
  const name = raw.trim().replace(/\s+/g, ' ');
  const bad = (message: string) => ({ problem: { path: 'name', code: 'name.invalid', message } });
  if (name.length === 0) return bad('the name is empty');
  if (name.length > MAX_STUDENT_NAME) return bad(`the name is longer than ${MAX_STUDENT_NAME} characters`);
  if (FORBIDDEN_IN_NAMES.test(name)) return bad('the name contains control or invisible characters');
  return { name };
}

/**
 * What two names must not share in one session: "Ana", "ana" and "ＡＮＡ" (full-width) would be three
 * rows the instructor cannot tell apart. Compatibility forms folded (NFKC), then case.
 */
export const studentNameKey = (name: string): string => name.normalize('NFKC').toLowerCase();
