// `ip -j -batch -` and `bridge -j -batch -` print one JSON value per command, back to back
// (`[...][...]`, sometimes with newlines between). This splits such a stream into its values.

/**
 * Parses concatenated JSON values (arrays, objects, or scalars separated by whitespace).
 * Tracks nesting depth and string state to find each value's end, then JSON.parse()s it.
 * Throws on malformed input, naming the offset.
 */
export function parseConcatenatedJson(text: string): unknown[] {
  const values: unknown[] = [];
  const n = text.length;
  let i = 0;
  const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t';
  while (i < n) {
    while (i < n && isSpace(text[i]!)) i++;
    if (i >= n) break;
    const start = i;
    const first = text[i]!;
    if (first === '[' || first === '{') {
      let depth = 0;
      let inString = false;
      for (; i < n; i++) {
        const c = text[i]!;
        if (inString) {
          if (c === '\\') i++;
          else if (c === '"') inString = false;
        } else if (c === '"') inString = true;
        else if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') {
          depth--;
          if (depth === 0) {
            i++;
            break;
          }
          if (depth < 0) throw new SyntaxError(`unbalanced JSON at offset ${i}`);
        }
      }
      if (depth !== 0) throw new SyntaxError(`truncated JSON value starting at offset ${start}`);
    } else if (first === '"') {
      i++;
      for (; i < n; i++) {
        const c = text[i]!;
        if (c === '\\') i++;
        else if (c === '"') {
          i++;
          break;
        }
      }
    } else {
      // A scalar (number, true, false, null): runs until whitespace or the start of a next value.
      while (i < n && !isSpace(text[i]!) && text[i] !== '[' && text[i] !== '{' && text[i] !== '"') i++;
    }
    const chunk = text.slice(start, i);
    try {
      values.push(JSON.parse(chunk));
    } catch (err) {
      throw new SyntaxError(`invalid JSON value at offset ${start}: ${(err as Error).message}`, { cause: err });
    }
  }
  return values;
}
