// What the canvas's context menus offer for a node and for a link, from the actions the page gives
// (an action left out is not offered: a student's exercise page has no capture). Pure, so the
// canvas's handlers stay stable functions (bench:web: a handler recreated at each render made React
// Flow render every node wrapper again on each mouse move of a drag).
import type { LinkSpec } from '@patchbay/topology';
import type { MenuItem } from './ContextMenu';

/** What the context menus offer; an action left out is not offered (a student's exercise page has no capture). */
export interface CanvasActions {
  onCapture?: (node: string, iface?: string) => void;
  onPing?: (node: string) => void;
  /** Opens a shell in a netns or router node (hosts and bridges get none). */
  onTerminal?: (node: string) => void;
  /** Asks Why? from a node (given only while the lab runs and Why? is allowed). */
  onWhy?: (node: string) => void;
}

/** A lab node's menu: capture on it, ping and Why? from it (not a bridge), a terminal (netns, router). */
export function nodeMenuItems(actions: CanvasActions, node: string, kind: string): MenuItem[] {
  const { onCapture, onPing, onTerminal, onWhy } = actions;
  return [
    ...(onCapture
      ? [{ label: `Capture on ${node} (any interface)`, run: () => onCapture(node, kind === 'bridge' ? node : 'any') }]
      : []),
    ...(onPing && kind !== 'bridge' ? [{ label: `Ping from ${node}`, run: () => onPing(node) }] : []),
    ...(onTerminal && ['netns', 'router'].includes(kind)
      ? [{ label: `Open a terminal in ${node}`, run: () => onTerminal(node) }]
      : []),
    ...(onWhy && kind !== 'bridge' ? [{ label: `Why? From ${node} to…`, run: () => onWhy(node) }] : []),
  ];
}

/** A link's menu: a capture on either end (nothing without the capture action). */
export function linkMenuItems(actions: CanvasActions, link: LinkSpec): MenuItem[] {
  const onCapture = actions.onCapture;
  if (!onCapture) return [];
  return [
    { label: `Capture on ${link.a.node} ${link.a.interface}`, run: () => onCapture(link.a.node, link.a.interface) },
    { label: `Capture on ${link.b.node} ${link.b.interface}`, run: () => onCapture(link.b.node, link.b.interface) },
  ];
}
