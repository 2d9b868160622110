// The first steps of reading any of our YAML/JSON files (labs, scenarios): the size limit, YAML
// syntax (with positions), alias expansion bounded, and the top level must be a map. Each file
// type then checks its own structure and meaning.
import { LineCounter, parseDocument } from 'yaml';
import type { Problem } from './model.js';

const MAX_SYNTAX_PROBLEMS = 20;

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${n} bytes`;
}

export interface ReadDocumentOptions {
  /** Largest accepted file, in UTF-8 bytes. */
  maxBytes: number;
  /** Names the file in messages: "lab", "scenario". */
  what: string;
  /** Problem code and what the map must hold, for a top level that is not a map. */
  notAMap: { code: string; expected: string };
}

/** The file's top-level map, or the problems that stop reading it. */
export function readYamlMap(
  text: string,
  o: ReadDocumentOptions,
): { value: Record<string, unknown> } | { problems: Problem[] } {
  // Only encode when the length could exceed the limit: UTF-8 takes at most 3 bytes per UTF-16 unit.
  const bytes = text.length * 3 > o.maxBytes ? new TextEncoder().encode(text).length : text.length;
  if (bytes > o.maxBytes) {
    return {
      problems: [
        {
          path: '',
          code: 'file.too-large',
          message: `the ${o.what} file is ${formatBytes(bytes)}; the limit is ${formatBytes(o.maxBytes)}`,
        },
      ],
    };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter });
  if (doc.errors.length > 0) {
    const seen = new Set<string>();
    const problems: Problem[] = [];
    for (const e of doc.errors) {
      const pos = e.linePos?.[0] ?? lineCounter.linePos(e.pos[0]);
      const where = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
      const message = `YAML syntax error at ${where}: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
      if (seen.has(message) || problems.length >= MAX_SYNTAX_PROBLEMS) continue;
      seen.add(message);
      problems.push({ path: '', code: 'yaml.syntax', message });
    }
    return { problems };
  }
  let value: unknown;
  try {
    // maxAliasCount bounds alias expansion ("billion laughs") in a file a student may have pasted.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return {
      problems: [
        { path: '', code: 'yaml.syntax', message: `YAML error: ${err instanceof Error ? err.message : String(err)}` },
      ],
    };
  }
  return asTopLevelMap(value, o);
}

/** The value as a file's top-level map, or the problem saying what it is instead. */
export function asTopLevelMap(
  value: unknown,
  o: Pick<ReadDocumentOptions, 'what' | 'notAMap'>,
): { value: Record<string, unknown> } | { problems: Problem[] } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null || value === undefined ? 'empty' : Array.isArray(value) ? 'a list' : 'a single value';
    return {
      problems: [
        {
          path: '',
          code: o.notAMap.code,
          message: `the ${o.what} file is ${kind}; it must be a map with ${o.notAMap.expected}`,
        },
      ],
    };
  }
  return { value: value as Record<string, unknown> };
}
