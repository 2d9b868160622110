// The scenario being authored, as a plain immutable document, and every edit the page makes to it.
// A draft is a scenario file in the making: a check may still miss its `to`, a title may be empty.
// It is never validated by hand here: it is written with the package's own `scenarioToYaml` and
// read back by `parseScenarioText`, whose problems (by path, e.g. `checks[2].from`) the page shows
// next to the fields, exactly as `patchbay scenario validate` and the server would report them.
import {
  parseScenarioText,
  scenarioToYaml,
  SCENARIO_ID_RE,
  type CheckType,
  type Level,
  type Problem,
  type Scenario,
} from '@patchbay/scenarios';
import { isBridge, type Lab } from '@patchbay/topology';
import { parse as parseYaml } from 'yaml';
import { fieldsOf, type FieldKind } from './check-fields';
import { labFacts } from './lab-facts';

/** A check being written: its type, id and title, and whatever fields its form has set so far. */
export interface DraftCheck {
  type: CheckType;
  id: string;
  title: string;
  [field: string]: unknown;
}

export interface DraftStep {
  node: string;
  run: string;
}

export type StepList = 'setup' | 'solution';

export interface ScenarioDraft {
  id: string;
  title: string;
  level: Level;
  summary: string;
  instructions: string;
  tags?: string[];
  lab: Lab;
  checks: DraftCheck[];
  hints?: string[];
  setup?: DraftStep[];
  solution: DraftStep[];
}

export const LEVELS: Level[] = ['beginner', 'intermediate', 'advanced'];

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A scenario id from a lab name: lower case, dashes, starting with a letter. */
export function idFromName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 48);
  return SCENARIO_ID_RE.test(slug) ? slug : 'exercise';
}

/** A new exercise around a lab: everything but the lab still to be written. */
export function draftFromLab(lab: Lab): ScenarioDraft {
  return {
    id: idFromName(lab.name),
    title: '',
    level: 'beginner',
    summary: '',
    instructions: '',
    lab,
    checks: [],
    solution: [],
  };
}

/** The draft as a scenario file; empty optional lists are left out so the file stays clean. */
export function draftToYaml(d: ScenarioDraft): string {
  const { tags, hints, setup, ...rest } = d;
  const clean = {
    ...rest,
    ...(tags?.length ? { tags } : {}),
    ...(hints?.length ? { hints } : {}),
    ...(setup?.length ? { setup } : {}),
  };
  // scenarioToYaml only orders the fields (SCENARIO-FORMAT.md order); an incomplete check is
  // written as it is, so that the parser, not this page, says what is missing.
  return scenarioToYaml(clean as unknown as Scenario);
}

/** Every problem of the draft, as the parser (and so the server) reports it. */
export function draftProblems(d: ScenarioDraft): Problem[] {
  return parseScenarioText(draftToYaml(d)).problems;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');
const texts = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(text) : undefined);
const steps = (v: unknown): DraftStep[] | undefined =>
  Array.isArray(v)
    ? v.map((s) => (isMap(s) ? { node: text(s.node), run: text(s.run) } : { node: '', run: '' }))
    : undefined;

/**
 * A scenario file → a draft, even when the file has problems (they are returned, and shown once it
 * is open, so they can be fixed here). No draft only when there is nothing to open: not YAML, not a
 * map, or a lab that is neither inline nor parseable.
 */
export function draftFromText(source: string): { draft?: ScenarioDraft; problems: Problem[] } {
  const parsed = parseScenarioText(source);
  let raw: unknown;
  try {
    raw = parseYaml(source);
  } catch {
    return { problems: parsed.problems };
  }
  if (!isMap(raw)) return { problems: parsed.problems };
  const lab =
    parsed.scenario?.lab ??
    (isMap(raw.lab) && isMap(raw.lab.nodes) ? ({ links: [], ...raw.lab } as unknown as Lab) : undefined);
  if (!lab) {
    const why =
      typeof raw.lab === 'string'
        ? `the lab is a path (${raw.lab}): open a scenario file with its lab inline`
        : 'the file has no lab';
    return { problems: [{ path: 'lab', code: 'author.no-lab', message: why }, ...parsed.problems] };
  }
  const level = LEVELS.find((l) => l === raw.level) ?? 'beginner';
  const checks = (Array.isArray(raw.checks) ? raw.checks : [])
    .filter(isMap)
    .map((c) => ({ ...c, type: c.type as CheckType, id: text(c.id), title: text(c.title) }));
  const draft: ScenarioDraft = {
    id: text(raw.id),
    title: text(raw.title),
    level,
    summary: text(raw.summary),
    instructions: text(raw.instructions),
    lab,
    checks,
    solution: steps(raw.solution) ?? [],
  };
  const tags = texts(raw.tags);
  const hints = texts(raw.hints);
  const setup = steps(raw.setup);
  return {
    draft: { ...draft, ...(tags ? { tags } : {}), ...(hints ? { hints } : {}), ...(setup ? { setup } : {}) },
    problems: parsed.problems,
  };
}

// ---------------------------------------------------------------------------------------------
// Paths inside a check (`mac.node`)

export function getAt(obj: Record<string, unknown>, path: string): unknown {
  let at: unknown = obj;
  for (const key of path.split('.')) at = isMap(at) ? at[key] : undefined;
  return at;
}

/** Sets `path`; `undefined` removes it, and a parent map left empty (tcp `listen`) goes too. */
export function setAt<T extends Record<string, unknown>>(obj: T, path: string, value: unknown): T {
  const [key, ...rest] = path.split('.');
  const out: Record<string, unknown> = { ...obj };
  const next = rest.length
    ? setAt(isMap(obj[key!]) ? (obj[key!] as Record<string, unknown>) : {}, rest.join('.'), value)
    : value;
  if (next === undefined || (rest.length && isMap(next) && Object.keys(next).length === 0)) delete out[key!];
  else out[key!] = next;
  return out as T;
}

// ---------------------------------------------------------------------------------------------
// Checks

/** `base`, or `base-2`, `base-3`… whichever no other check uses. */
export function uniqueCheckId(d: ScenarioDraft, base: string, except?: number): string {
  const used = new Set(d.checks.filter((_, i) => i !== except).map((c) => c.id));
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) if (!used.has(`${base}-${n}`)) return `${base}-${n}`;
}

/** A title from what the check's fields say, until the author writes their own. */
export function suggestedTitle(c: DraftCheck): string {
  const s = (path: string) => text(getAt(c, path));
  switch (c.type) {
    case 'ping':
      return s('from') && s('to')
        ? `${s('from')} ${s('expect') === 'fail' ? 'cannot reach' : 'reaches'} ${s('to')}`
        : '';
    case 'tcp':
      return s('from') && s('to') && s('port') ? `${s('from')} connects to ${s('to')} port ${s('port')}` : '';
    case 'interface': {
      if (!s('node') || !s('interface')) return '';
      const up = c.up === true ? ' is up' : c.up === false ? ' is down' : ' is configured';
      return `${s('node')}'s ${s('interface')}${up}`;
    }
    case 'route':
      return s('node') && s('to')
        ? `${s('node')} has a ${s('to') === 'default' ? 'default route' : `route to ${s('to')}`}${s('via') ? ` via ${s('via')}` : ''}`
        : '';
    case 'fdb':
      return s('bridge') && s('mac.node')
        ? `${s('bridge')} has learned ${s('mac.node')}'s MAC${s('port') ? ` on ${s('port')}` : ''}`
        : '';
    case 'neighbor':
      return s('node') && s('ip') ? `${s('node')} knows the MAC of ${s('ip')}` : '';
    case 'sysctl':
      return s('node') && s('key') ? `${s('key')} is ${s('value')} in ${s('node')}` : '';
    case 'command':
      return s('node') && s('run') ? `\`${s('run').split('\n')[0]}\` succeeds in ${s('node')}` : '';
  }
}

export function addCheck(d: ScenarioDraft, type: CheckType): { draft: ScenarioDraft; index: number } {
  const check: DraftCheck = { id: uniqueCheckId(d, type), title: '', type };
  return { draft: { ...d, checks: [...d.checks, check] }, index: d.checks.length };
}

export function removeAt<T>(xs: readonly T[], i: number): T[] {
  return xs.filter((_, j) => j !== i);
}

/** The list with item `from` moved to `to` (clamped); the same list when nothing moves. */
export function moveItem<T>(xs: readonly T[], from: number, to: number): T[] {
  const t = Math.max(0, Math.min(xs.length - 1, to));
  if (from === t || from < 0 || from >= xs.length) return [...xs];
  const out = [...xs];
  const [item] = out.splice(from, 1);
  out.splice(t, 0, item!);
  return out;
}

/**
 * Sets one field of check `index`. A title that was empty or still the suggestion follows the new
 * suggestion; an interface that the newly chosen node does not have is cleared.
 */
export function setCheckField(d: ScenarioDraft, index: number, path: string, value: unknown): ScenarioDraft {
  const before = d.checks[index];
  if (!before) return d;
  // An empty id or title stays (the parser says it must not be empty); other empty fields go.
  let check = setAt(before, path, value === '' && path !== 'id' && path !== 'title' ? undefined : value);
  const facts = labFacts(d.lab);
  for (const f of fieldsOf(before.type)) {
    if (f.nodeField !== path) continue;
    const current = text(getAt(check, f.path));
    const node = text(getAt(check, path));
    const offered = f.kind === 'port' ? facts.ports(node) : facts.interfaces(node);
    if (current && !offered.includes(current)) check = setAt(check, f.path, undefined);
  }
  const oldSuggestion = suggestedTitle(before);
  if (path !== 'title' && (before.title === '' || before.title === oldSuggestion))
    check = { ...check, title: suggestedTitle(check) };
  return { ...d, checks: d.checks.map((c, i) => (i === index ? check : c)) };
}

// ---------------------------------------------------------------------------------------------
// Filling a field from a click on the canvas

/** The field a canvas click fills: a check's field, or a setup/solution step's node. */
export type PickTarget =
  | { list: 'checks'; index: number; path: string; kind: FieldKind }
  | { list: StepList; index: number; path: 'node'; kind: 'node' };

export function pickTargetPath(t: PickTarget): string {
  return `${t.list}[${t.index}].${t.path}`;
}

/** Fills `target` from a click on `node`: its name, or for an address field its first address. */
export function fillFromCanvas(
  d: ScenarioDraft,
  target: PickTarget,
  node: string,
): { draft: ScenarioDraft; note?: string } {
  const spec = d.lab.nodes[node];
  if (!spec) return { draft: d };
  let value = node;
  if (target.kind === 'ipv4') {
    const first = labFacts(d.lab).addressesOf(node)[0];
    if (!first) return { draft: d, note: `${node} has no address in the lab: type the address` };
    value = first.ip;
  } else if (target.kind === 'bridge' && !isBridge(spec)) return { draft: d, note: `${node} is not a bridge` };
  else if (target.kind === 'sender' && isBridge(spec))
    return { draft: d, note: `${node} is a bridge, which sends nothing of its own: pick a host, netns or router` };
  if (target.list === 'checks') return { draft: setCheckField(d, target.index, target.path, value) };
  return { draft: setStep(d, target.list, target.index, 'node', value) };
}

// ---------------------------------------------------------------------------------------------
// Steps, hints, the rest

export function addStep(d: ScenarioDraft, list: StepList, node = ''): ScenarioDraft {
  return { ...d, [list]: [...(d[list] ?? []), { node, run: '' }] };
}

export function setStep(
  d: ScenarioDraft,
  list: StepList,
  index: number,
  field: keyof DraftStep,
  value: string,
): ScenarioDraft {
  return { ...d, [list]: (d[list] ?? []).map((s, i) => (i === index ? { ...s, [field]: value } : s)) };
}

/** "veth, bridge ,mtu" → ["veth", "bridge", "mtu"]. */
export function parseTags(input: string): string[] {
  return input
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** Problems at `path` or inside it (`checks[2]` covers `checks[2].mac.node`). */
export function problemsUnder(problems: readonly Problem[], path: string): Problem[] {
  return problems.filter((p) => p.path === path || p.path.startsWith(`${path}.`) || p.path.startsWith(`${path}[`));
}
