// How deep a parsed payload nests. JSON.parse takes any depth, but JSON.stringify, TypeBox's
// Value.Clone/Check and the lab parser recurse: a few KiB of `[[[[…` (thousands of levels)
// overflow the stack. Request bodies and socket payloads are checked with this first (iterative).

/** Whether `value` has objects or arrays nested more than `max` levels. */
export function nestedDeeper(value: unknown, max: number): boolean {
  let level: unknown[] = [value];
  for (let depth = 0; level.length > 0; depth++) {
    if (depth > max) return true;
    const next: unknown[] = [];
    for (const v of level)
      if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer))
        next.push(...Object.values(v as Record<string, unknown>));
    level = next;
  }
  return false;
}
