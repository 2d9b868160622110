// An exercise scenario as instructors write it (SCENARIO-FORMAT.md, version 1). These types are
// what `parseScenarioText` returns after structural validation. Optional fields stay optional:
// defaults (ping count 2, expect pass) are applied where they are used (`pingCount`).

import type { Lab } from '@patchbay/topology';

export type Level = 'beginner' | 'intermediate' | 'advanced';

/** Fields every check has. `id` is unique in the scenario; `title` is what the student reads. */
export interface CheckBase {
  id: string;
  title: string;
}

/** `from` gets echo replies from `to` (or, with expect: fail, does not). */
export interface PingCheck extends CheckBase {
  type: 'ping';
  from: string;
  to: string; // IPv4
  count?: number; // 1..10, default 2
  size?: number; // payload bytes (ping -s)
  dontFragment?: boolean; // ping -M do
  expect?: 'pass' | 'fail'; // default pass
}

/** A TCP connection from `from` to `to:port` succeeds (the checker provides the listener). */
export interface TcpCheck extends CheckBase {
  type: 'tcp';
  from: string;
  to: string; // IPv4
  port: number;
  /**
   * Where the checker's listener runs (a Patchbay extension): by default the node whose live
   * interfaces carry `to`; name another node (and port) when `to:port` is forwarded, e.g. by DNAT.
   */
  listen?: { node: string; port?: number };
}

/** In `node`, `interface` exists and matches every field given. */
export interface InterfaceCheck extends CheckBase {
  type: 'interface';
  node: string;
  interface: string;
  up?: boolean;
  mtu?: number;
  addresses?: string[]; // IPv4 CIDR, compared as a set
  master?: string; // bridge node name
}

/** In `node`, a route to `to` exists (optionally through `via`, out of `dev`). */
export interface RouteCheck extends CheckBase {
  type: 'route';
  node: string;
  to: string; // CIDR or "default"
  via?: string; // IPv4
  dev?: string;
}

/** An interface of a lab node, named by the lab (its MAC is read from the live kernel). */
export interface InterfaceRef {
  node: string;
  interface: string;
}

/** Bridge `bridge` has learned the MAC of `mac` (optionally on port `port`). */
export interface FdbCheck extends CheckBase {
  type: 'fdb';
  bridge: string;
  mac: InterfaceRef;
  port?: string;
}

/** In `node`, the neighbour table maps `ip` to the MAC of `mac`. */
export interface NeighborCheck extends CheckBase {
  type: 'neighbor';
  node: string;
  ip: string; // IPv4
  mac: InterfaceRef;
}

/** In `node`, sysctl `key` equals `value`. */
export interface SysctlCheck extends CheckBase {
  type: 'sysctl';
  node: string;
  key: string; // e.g. net.ipv4.ip_forward
  value: string | number;
}

/** `run` in `node` exits 0 (and its standard output matches the regular expression `match`). */
export interface CommandCheck extends CheckBase {
  type: 'command';
  node: string;
  run: string;
  match?: string;
}

export type Check =
  | PingCheck
  | TcpCheck
  | InterfaceCheck
  | RouteCheck
  | FdbCheck
  | NeighborCheck
  | SysctlCheck
  | CommandCheck;
export type CheckType = Check['type'];

/** One step of the reference solution: a shell command run in `node` (a bridge's in its host). */
export interface SolutionStep {
  node: string;
  run: string;
}

/** A scenario file as written: `lab` is a whole lab document or a path such as `./lab.yaml`. */
export interface ScenarioDocument {
  id: string;
  title: string;
  level: Level;
  summary: string;
  instructions: string; // Markdown
  tags?: string[];
  lab: Lab | string;
  checks: Check[];
  hints?: string[];
  /**
   * Whether students may ask Why? (`patchbay why`, the browser's Why? view, `POST
   * /api/labs/:name/why`) about their lab: absent means allowed. An instructor may always ask.
   */
  why?: boolean;
  /**
   * Commands run after the lab is realized, at start and at every reset (a Patchbay extension): for
   * breakage a lab file cannot express (a deleted namespace's leftovers, a DROP policy added by hand).
   */
  setup?: SolutionStep[];
  solution: SolutionStep[];
}

/** A parsed scenario: the lab is resolved to a document; `labPath` keeps the path it came from. */
export interface Scenario extends Omit<ScenarioDocument, 'lab'> {
  lab: Lab;
  labPath?: string;
}

export const DEFAULT_PING_COUNT = 2;
export const pingCount = (c: PingCheck): number => c.count ?? DEFAULT_PING_COUNT;
