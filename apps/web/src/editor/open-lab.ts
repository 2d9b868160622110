// What the Open dialog's choice becomes: a lab and where its nodes are, or (for a scenario file)
// the authoring page. A lab file with problems still opens, so they can be fixed on the canvas.
import { parseLabText, type Lab } from '@patchbay/topology';
import { parse as parseYaml } from 'yaml';
import { client } from '../api/client';
import { handOver, looksLikeScenario } from '../author/handoff';
import type { OpenChoice } from '../components/OpenDialog';
import { emptyLab } from '../model/lab-edit';
import type { XY } from '../store/editor';

export type Opened = { lab: Lab; positions?: Record<string, XY> } | { handedOverToAuthor: true };

/** Reads the chosen lab (from the server, an example or a file); throws with the reason when it is not a lab. */
export async function openChoice(c: OpenChoice): Promise<Opened> {
  if (c.from === 'new') return { lab: emptyLab(c.name) };
  if (c.from === 'draft')
    return {
      lab: c.draft.document as Lab,
      ...(c.draft.layout?.positions ? { positions: c.draft.layout.positions } : {}),
    };
  if (c.from === 'lab') {
    const lab = await client.call('getLab', { params: { name: c.name } });
    const positions = await client.call('getDraft', { params: { name: c.name } }).then(
      (d) => d.layout?.positions,
      () => undefined,
    );
    return { lab, ...(positions ? { positions } : {}) };
  }
  // A scenario file opens in the authoring page, not as a lab.
  if (c.from === 'file' && looksLikeScenario(c.text)) {
    handOver(sessionStorage, { kind: 'scenario', name: c.name, text: c.text });
    return { handedOverToAuthor: true };
  }
  const text = c.from === 'example' ? c.example.text : c.text;
  const parsed = parseLabText(text);
  if (parsed.lab) return { lab: parsed.lab };
  const raw: unknown = c.from === 'file' && c.name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  if (!raw || typeof raw !== 'object' || !('nodes' in raw))
    throw new Error(`not a lab file: ${parsed.problems[0]?.message ?? 'no nodes'}`);
  return { lab: { ...(raw as Lab), links: (raw as Lab).links ?? [] } };
}
