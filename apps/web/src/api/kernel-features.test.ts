import { describe, expect, it } from 'vitest';
import { unavailableNote } from './kernel-features';

describe('unavailableNote', () => {
  const features = {
    available: ['veth' as const, 'bridge' as const],
    missing: [
      { feature: 'bridge-vlan-filtering' as const, description: 'bridge VLAN filtering (bridge vlan_filtering)' },
    ],
  };

  it('says why a feature the kernel lacks cannot be used', () => {
    expect(unavailableNote(features, 'bridge-vlan-filtering')).toBe(
      "this server's kernel lacks bridge VLAN filtering (bridge vlan_filtering): a lab using it cannot be applied here",
    );
  });

  it('says nothing for an available feature, or while the kernel is not known', () => {
    expect(unavailableNote(features, 'bridge')).toBeUndefined();
    expect(unavailableNote(undefined, 'bridge-vlan-filtering')).toBeUndefined();
  });
});
