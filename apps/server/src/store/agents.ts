// The agent registry and the lab placements (tables `agents` and `lab_placements`), in SQLite or
// PostgreSQL: kept in the database so that every coordinator replica sees the same agents and
// sends a lab's operations to the same agent. Whether an agent is lost is not stored: it is read
// from its last heartbeat's time against the clock, so every replica agrees without a timer.
// One implementation over both databases: the statements are in the SQL both accept, with `?`
// placeholders (numbered for PostgreSQL by `numbered`).
import type { AgentHeadroom, AgentHeartbeat } from '@patchbay/protocol';

export interface AgentRecord {
  name: string;
  address: string;
  state: 'ready' | 'draining';
  prefix: string;
  labs: string[];
  namespaces: number;
  headroom: AgentHeadroom;
  registeredAt: string;
  lastSeenAt: string;
}

/** The agents (lab hosts) and which of them holds each lab. */
export interface AgentStore {
  /** Records a heartbeat (the first registers the agent); `at`: when it arrived. */
  beat(h: AgentHeartbeat, at?: string): Promise<void>;
  list(): Promise<AgentRecord[]>;
  get(name: string): Promise<AgentRecord | undefined>;
  /**
   * Places `lab` on `agent` unless it is placed already (a second coordinator placing it at the
   * same moment loses): the agent that holds it now.
   */
  place(lab: string, agent: string): Promise<string>;
  /** Moves `lab` to `agent` whatever held it. */
  move(lab: string, agent: string): Promise<void>;
  /**
   * Moves `lab` from `from` to `to` only if `from` still holds it: true for the one coordinator
   * replica that moved it (the others, failing over the same lab at once, get false).
   */
  moveFrom(lab: string, from: string, to: string): Promise<boolean>;
  agentOf(lab: string): Promise<string | undefined>;
  unplace(lab: string): Promise<void>;
  /** The labs placed on `agent`. */
  labsOn(agent: string): Promise<string[]>;
}

/** Runs one statement with `?` placeholders; the rows it answers. */
export type RunSql = (sql: string, params: unknown[]) => Promise<Record<string, unknown>[]>;

/** `?` placeholders as PostgreSQL's `$1`, `$2`, … (no statement here has a `?` in a literal). */
export const numbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

interface AgentRow {
  name: string;
  address: string;
  state: string;
  prefix: string;
  labs: string;
  namespaces: number | string;
  headroom: string;
  registered_at: string;
  last_seen_at: string;
}

const recordOf = (r: AgentRow): AgentRecord => ({
  name: r.name,
  address: r.address,
  state: r.state === 'draining' ? 'draining' : 'ready',
  prefix: r.prefix,
  labs: JSON.parse(r.labs) as string[],
  namespaces: Number(r.namespaces),
  headroom: JSON.parse(r.headroom) as AgentHeadroom,
  registeredAt: r.registered_at,
  lastSeenAt: r.last_seen_at,
});

const COLUMNS = 'name, address, state, prefix, labs, namespaces, headroom, registered_at, last_seen_at';

export class SqlAgentStore implements AgentStore {
  constructor(private readonly run: RunSql) {}

  async beat(h: AgentHeartbeat, at = new Date().toISOString()): Promise<void> {
    await this.run(
      `INSERT INTO agents (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET address = excluded.address, state = excluded.state,
         prefix = excluded.prefix, labs = excluded.labs, namespaces = excluded.namespaces,
         headroom = excluded.headroom, last_seen_at = excluded.last_seen_at`,
      [h.name, h.address, h.state, h.prefix, JSON.stringify(h.labs), h.namespaces, JSON.stringify(h.headroom), at, at],
    );
  }

  async list(): Promise<AgentRecord[]> {
    return ((await this.run(`SELECT ${COLUMNS} FROM agents ORDER BY name`, [])) as unknown as AgentRow[]).map(recordOf);
  }

  async get(name: string): Promise<AgentRecord | undefined> {
    const [row] = (await this.run(`SELECT ${COLUMNS} FROM agents WHERE name = ?`, [name])) as unknown as AgentRow[];
    return row && recordOf(row);
  }

  async place(lab: string, agent: string): Promise<string> {
    await this.run('INSERT INTO lab_placements (lab, agent, placed_at) VALUES (?, ?, ?) ON CONFLICT (lab) DO NOTHING', [
      lab,
      agent,
      new Date().toISOString(),
    ]);
    return (await this.agentOf(lab)) ?? agent;
  }

  async move(lab: string, agent: string): Promise<void> {
    await this.run(
      `INSERT INTO lab_placements (lab, agent, placed_at) VALUES (?, ?, ?)
       ON CONFLICT (lab) DO UPDATE SET agent = excluded.agent, placed_at = excluded.placed_at`,
      [lab, agent, new Date().toISOString()],
    );
  }

  async moveFrom(lab: string, from: string, to: string): Promise<boolean> {
    const rows = await this.run(
      'UPDATE lab_placements SET agent = ?, placed_at = ? WHERE lab = ? AND agent = ? RETURNING lab',
      [to, new Date().toISOString(), lab, from],
    );
    return rows.length === 1;
  }

  async agentOf(lab: string): Promise<string | undefined> {
    const [row] = await this.run('SELECT agent FROM lab_placements WHERE lab = ?', [lab]);
    return row ? String(row['agent']) : undefined;
  }

  async unplace(lab: string): Promise<void> {
    await this.run('DELETE FROM lab_placements WHERE lab = ?', [lab]);
  }

  async labsOn(agent: string): Promise<string[]> {
    return (await this.run('SELECT lab FROM lab_placements WHERE agent = ? ORDER BY lab', [agent])).map((r) =>
      String(r['lab']),
    );
  }
}
