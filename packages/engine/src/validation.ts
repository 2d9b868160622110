// Validation of a lab before anything runs: the document (the pure core's parser and validator),
// then what this kernel and this engine can realize. Every refusal lists every problem and changes
// nothing.
import { type KernelFeature, type Lab, type Problem, checkFeatures, checkLab, parseLabText } from '@patchbay/topology';
import { EngineError } from './errors.js';
import type { EngineSettings } from './settings.js';

type Limits = Pick<EngineSettings, 'maxNodes' | 'maxLabBytes'>;

/** A valid lab, and what in it applies but is probably not meant (`severity: 'warning'`). */
export interface CheckedLab {
  lab: Lab;
  warnings: Problem[];
}

/** Parses and validates a lab file's text; throws `invalid` with every problem. */
export function parseValidLab(text: string, limits: Limits): CheckedLab {
  const { lab, problems, warnings } = parseLabText(text, { maxBytes: limits.maxLabBytes, maxNodes: limits.maxNodes });
  if (!lab || problems.length)
    throw new EngineError('invalid', 'the lab file has problems; nothing was changed', problems);
  return { lab, warnings: warnings ?? [] };
}

/** Validates a lab given as an object; throws `invalid` with every problem. */
export function assertValidLab(lab: Lab, limits: Pick<Limits, 'maxNodes'>): CheckedLab {
  const { problems, warnings } = checkLab(lab, { maxNodes: limits.maxNodes });
  if (problems.length) throw new EngineError('invalid', 'the lab has problems; nothing was changed', problems);
  return { lab, warnings };
}

/** Refuses, up front, a valid lab this kernel (`features`) or this engine cannot realize. */
export function assertRunnable(lab: Lab, features: Set<KernelFeature>): Lab {
  const unsupported = [...checkFeatures(lab, features), ...notYetImplemented(lab)];
  if (unsupported.length)
    throw new EngineError('unsupported', 'this kernel cannot run the lab; nothing was changed', unsupported);
  return lab;
}

/** Parts of the format the engine cannot realize yet: refused up front rather than ignored. */
export function notYetImplemented(lab: Lab): Problem[] {
  const problems: Problem[] = [];
  lab.links.forEach((link, i) =>
    (['a', 'b'] as const).forEach((side) => {
      if (link[side].vlan) {
        problems.push({
          path: `links[${i}].${side}.vlan`,
          code: 'engine.unsupported',
          message:
            'VLANs on bridge ports are not implemented yet (this needs bridge VLAN filtering, which Patchbay cannot apply yet); remove `vlan` to run this lab',
        });
      }
    }),
  );
  return problems;
}
