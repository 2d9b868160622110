import { CHECK_TYPES } from '@patchbay/scenarios';
import { describe, expect, it } from 'vitest';
import { CHECK_TYPE_HELP, fieldsOf, schemaLeafPaths } from './check-fields';

describe('check fields', () => {
  it('has a form field for every field of every check type in the schema, and no other', () => {
    for (const type of CHECK_TYPES) {
      expect(
        fieldsOf(type)
          .map((f) => f.path)
          .sort(),
        type,
      ).toEqual(schemaLeafPaths(type).sort());
      expect(CHECK_TYPE_HELP[type]).not.toBe('');
    }
  });

  it('takes required-ness and help from the schema', () => {
    const ping = Object.fromEntries(fieldsOf('ping').map((f) => [f.path, f]));
    expect(ping.from?.required).toBe(true);
    expect(ping.count?.required).toBe(false);
    expect(ping.count?.help).toMatch(/1 to 10/);
    const tcp = Object.fromEntries(fieldsOf('tcp').map((f) => [f.path, f]));
    // listen is optional as a whole, so its node is not required of every tcp check.
    expect(tcp['listen.node']?.required).toBe(false);
    expect(Object.fromEntries(fieldsOf('fdb').map((f) => [f.path, f.required]))).toEqual({
      bridge: true,
      'mac.node': true,
      'mac.interface': true,
      port: false,
    });
  });

  it('names the node field of every interface field', () => {
    for (const type of CHECK_TYPES) {
      const paths = new Set(fieldsOf(type).map((f) => f.path));
      for (const f of fieldsOf(type))
        if (f.kind === 'interface' || f.kind === 'port') expect(paths.has(f.nodeField ?? '')).toBe(true);
    }
  });
});
