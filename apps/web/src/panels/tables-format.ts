// Text of the live tables that is worth a test of its own.
import type { BridgeView } from '@patchbay/topology';

export interface FdbCapText {
  text: string;
  /** The bridge learns no more: new source MACs are flooded, not learned. */
  full: boolean;
}

/**
 * The bridge's learned-entry count against its cap (the kernel's fdb_max_learned), e.g.
 * "learned 64 of 64 (full: new MACs are flooded)"; undefined when the kernel reports neither.
 */
export function fdbCapText(bridge: Pick<BridgeView, 'fdbMaxLearned' | 'fdbLearned'>): FdbCapText | undefined {
  const { fdbMaxLearned: cap, fdbLearned: learned } = bridge;
  if (cap === undefined && learned === undefined) return undefined;
  if (!cap) return { text: `learned ${learned ?? '?'} (no cap)`, full: false };
  const full = learned !== undefined && learned >= cap;
  return { text: `learned ${learned ?? '?'} of ${cap}${full ? ' (full: new MACs are flooded)' : ''}`, full };
}
