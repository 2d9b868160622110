// Counted nouns in messages ("1 entry", "3 entries"): one helper, so no message says "1 entries"
// or "Apply 1 operations". English only; irregular plurals are passed in.

/** `n` and the noun in the number it needs: `plural(1, 'entry', 'entries')` is "1 entry". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
