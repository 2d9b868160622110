// What the check form shows for each check type: its fields, in order, and what kind of value each
// takes (a node picked on the canvas, one of that node's interfaces, an IPv4 address…). Labels are
// ours; which fields exist, which are required and their help text come from the scenario schema
// itself (`CHECK_SCHEMAS`), so the form cannot drift from what the parser accepts (a test checks
// that every schema field has a form field).
import { CHECK_SCHEMAS, type CheckType } from '@patchbay/scenarios';

export type FieldKind =
  | 'node' // any lab node
  | 'sender' // a node that sends (not a bridge): ping/tcp `from`, tcp `listen.node`
  | 'bridge' // a bridge node
  | 'interface' // an interface of the node named by `nodeField`
  | 'port' // a port of the bridge named by `nodeField`
  | 'ipv4' // an address; a canvas click fills the node's first address
  | 'route-to' // CIDR or "default"
  | 'text'
  | 'multiline'
  | 'int'
  | 'flag' // a boolean whose absence means false (a checkbox)
  | 'tristate' // a boolean whose absence means "not checked" (any / true / false)
  | 'expect' // pass | fail
  | 'addresses'; // a list of CIDRs, written comma-separated

export interface FieldSpec {
  /** Dotted path inside the check, e.g. `from`, `mac.interface`, `listen.port`. */
  path: string;
  label: string;
  kind: FieldKind;
  /** For `interface` and `port`: the field naming the node whose interfaces are offered. */
  nodeField?: string;
  /** Labels of a tristate's true/false values. */
  states?: [string, string];
  required: boolean;
  help: string;
}

type Draft = Omit<FieldSpec, 'required' | 'help'>;

const FIELDS: Record<CheckType, Draft[]> = {
  ping: [
    { path: 'from', label: 'From', kind: 'sender' },
    { path: 'to', label: 'To address', kind: 'ipv4' },
    { path: 'count', label: 'Count', kind: 'int' },
    { path: 'size', label: 'Size (bytes)', kind: 'int' },
    { path: 'dontFragment', label: "Don't fragment", kind: 'flag' },
    { path: 'expect', label: 'Expect', kind: 'expect' },
  ],
  tcp: [
    { path: 'from', label: 'From', kind: 'sender' },
    { path: 'to', label: 'To address', kind: 'ipv4' },
    { path: 'port', label: 'Port', kind: 'int' },
    { path: 'listen.node', label: 'Listen in', kind: 'sender' },
    { path: 'listen.port', label: 'Listen port', kind: 'int' },
  ],
  interface: [
    { path: 'node', label: 'Node', kind: 'node' },
    { path: 'interface', label: 'Interface', kind: 'interface', nodeField: 'node' },
    { path: 'up', label: 'State', kind: 'tristate', states: ['up', 'down'] },
    { path: 'mtu', label: 'MTU', kind: 'int' },
    { path: 'addresses', label: 'Addresses', kind: 'addresses' },
    { path: 'master', label: 'Port of bridge', kind: 'bridge' },
  ],
  route: [
    { path: 'node', label: 'Node', kind: 'node' },
    { path: 'to', label: 'To', kind: 'route-to' },
    { path: 'via', label: 'Via', kind: 'ipv4' },
    { path: 'dev', label: 'Out of', kind: 'interface', nodeField: 'node' },
  ],
  fdb: [
    { path: 'bridge', label: 'Bridge', kind: 'bridge' },
    { path: 'mac.node', label: 'MAC of node', kind: 'node' },
    { path: 'mac.interface', label: 'MAC of interface', kind: 'interface', nodeField: 'mac.node' },
    { path: 'port', label: 'On port', kind: 'port', nodeField: 'bridge' },
  ],
  neighbor: [
    { path: 'node', label: 'Node', kind: 'node' },
    { path: 'ip', label: 'Neighbour address', kind: 'ipv4' },
    { path: 'mac.node', label: 'MAC of node', kind: 'node' },
    { path: 'mac.interface', label: 'MAC of interface', kind: 'interface', nodeField: 'mac.node' },
  ],
  sysctl: [
    { path: 'node', label: 'Node', kind: 'node' },
    { path: 'key', label: 'Key', kind: 'text' },
    { path: 'value', label: 'Value', kind: 'text' },
  ],
  command: [
    { path: 'node', label: 'Node', kind: 'node' },
    { path: 'run', label: 'Command', kind: 'multiline' },
    { path: 'match', label: 'Output matches (regex)', kind: 'text' },
  ],
};

interface SchemaLike {
  description?: string;
  properties?: Record<string, SchemaLike>;
  required?: string[];
}

/** The schema of `path` inside `schema`, and whether it is required where it sits. */
function schemaAt(schema: SchemaLike, path: string): { schema?: SchemaLike; required: boolean } {
  let at: SchemaLike | undefined = schema;
  let required = true;
  for (const key of path.split('.')) {
    // An optional parent (tcp `listen`) makes its required children optional as a whole.
    required = required && (at?.required ?? []).includes(key);
    at = at?.properties?.[key];
  }
  return { ...(at ? { schema: at } : {}), required };
}

export const CHECK_TYPE_HELP: Record<CheckType, string> = Object.fromEntries(
  (Object.keys(FIELDS) as CheckType[]).map((t) => [t, (CHECK_SCHEMAS[t] as SchemaLike).description ?? '']),
) as Record<CheckType, string>;

/** The form fields of a check type, with required-ness and help from the schema. */
export function fieldsOf(type: CheckType): FieldSpec[] {
  const schema = CHECK_SCHEMAS[type] as SchemaLike;
  return FIELDS[type].map((f) => {
    const at = schemaAt(schema, f.path);
    return { ...f, required: at.required, help: at.schema?.description ?? '' };
  });
}

/** Field kinds a canvas click can fill (with the node's name, or for `ipv4` its first address). */
export const CANVAS_KINDS: ReadonlySet<FieldKind> = new Set(['node', 'sender', 'bridge', 'ipv4']);

/** Every leaf path of a check schema (for the coverage test): `mac.node`, `listen.port`… */
export function schemaLeafPaths(type: CheckType): string[] {
  const out: string[] = [];
  const walk = (s: SchemaLike, prefix: string) => {
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      const p = prefix ? `${prefix}.${k}` : k;
      if (v.properties) walk(v, p);
      else out.push(p);
    }
  };
  walk(CHECK_SCHEMAS[type], '');
  return out.filter((p) => p !== 'id' && p !== 'title' && p !== 'type');
}
