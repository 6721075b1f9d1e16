// The decisions of a full-cluster recovery of Galera, pure: where each node stands (parsed from
// grastate.dat or InnoDB's own recovery) and which node may restart the cluster, if any.

/** Where one node stands: the cluster history it belongs to and the last transaction it committed. */
export interface NodePosition {
  readonly node: string;
  readonly uuid: string;
  /** -1 when the node holds no position (an empty or never-synced node). */
  readonly seqno: number;
  readonly safeToBootstrap: boolean;
  /** Where it was read: grastate.dat (a clean shutdown), InnoDB recovery (a crash), or a waiting node. */
  readonly source: string;
}

/** The history of a node that never held data. */
export const NO_HISTORY = '00000000-0000-0000-0000-000000000000';

/** Parses grastate.dat: `uuid: <uuid>`, `seqno: <n>`, `safe_to_bootstrap: 0|1`. */
export function parseGrastate(text: string): { uuid: string; seqno: number; safeToBootstrap: boolean } {
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(text)?.[1];
  return { uuid: field('uuid') ?? NO_HISTORY, seqno: Number(field('seqno') ?? -1), safeToBootstrap: field('safe_to_bootstrap') === '1' };
}

/** Parses `WSREP: Recovered position: <uuid>:<seqno>[,<gtid>]` from `mariadbd --wsrep-recover`'s log (the last one). */
export function parseRecoveredPosition(log: string): { uuid: string; seqno: number } | undefined {
  const matches = [...log.matchAll(/WSREP: Recovered position:\s*([0-9a-f-]{36}):(-?\d+)/g)];
  const last = matches[matches.length - 1];
  return last ? { uuid: last[1], seqno: Number(last[2]) } : undefined;
}

export interface BootstrapChoice {
  /** The node to restart the cluster from. */
  readonly node?: string;
  /** Why no node may: nothing is done. */
  readonly refusal?: string;
}

const shown = (p: NodePosition) => `${p.node}: ${p.uuid}:${p.seqno}`;

/**
 * The node to restart the cluster from. Every node's position must be known, except nodes the
 * operator declared gone (their data lost); every node holding a position must share one history;
 * the most advanced wins (a node marked safe to bootstrap, then declaration order, break a tie).
 */
export function chooseBootstrapNode(positions: NodePosition[], nodes: string[], gone: string[] = []): BootstrapChoice {
  const unknownGone = gone.filter((n) => !nodes.includes(n));
  if (unknownGone.length) return { refusal: `${unknownGone.join(', ')} ${unknownGone.length > 1 ? 'are not nodes' : 'is not a node'} of this cluster (nodes: ${nodes.join(', ')})` };
  const missing = nodes.filter((n) => !gone.includes(n) && !positions.some((p) => p.node === n));
  if (missing.length) {
    return { refusal: `the position of ${missing.join(', ')} is unknown, and ${missing.length > 1 ? 'they' : 'it'} may hold the last committed transactions; bring ${missing.length > 1 ? 'them' : 'it'} back, or declare ${missing.length > 1 ? 'them' : 'it'} gone (--gone) if ${missing.length > 1 ? 'their' : 'its'} data is lost` };
  }
  const present = positions.filter((p) => !gone.includes(p.node));
  const known = present.filter((p) => p.uuid !== NO_HISTORY && p.seqno >= 0);
  if (known.length === 0) return { refusal: `no node holds a position (${present.map(shown).join(', ')}); nothing to recover from` };
  const histories = [...new Set(known.map((p) => p.uuid))];
  if (histories.length > 1) {
    return { refusal: `the nodes hold ${histories.length} different cluster histories (${known.map(shown).join(', ')}); decide which data to keep by hand, then empty the other nodes' volumes` };
  }
  const best = [...known].sort((a, b) => b.seqno - a.seqno || Number(b.safeToBootstrap) - Number(a.safeToBootstrap) || nodes.indexOf(a.node) - nodes.indexOf(b.node))[0];
  return { node: best.node };
}

/** How one node looks to the monitor while no node is in a primary component. */
export interface WaitingNode {
  readonly node: string;
  /** Its last committed position (uuid:seqno[,gtid]) while it waits for a cluster; undefined when it does not wait (down, starting). */
  readonly waitingAt?: string;
}

export interface RestartDecision {
  /** The node to restart the cluster from, and the position it showed. */
  readonly node?: string;
  readonly position?: string;
  /** Why nothing is done yet (waiting for nodes) or ever (a refusal: `recover` decides by hand). */
  readonly waiting?: string;
}

/** A waiting node's position, as `chooseBootstrapNode` takes it. */
export function waitingPositionOf(w: WaitingNode): NodePosition | undefined {
  const match = /^([0-9a-f-]{36}):(-?\d+)/.exec(w.waitingAt ?? '');
  return match ? { node: w.node, uuid: match[1], seqno: Number(match[2]), safeToBootstrap: false, source: 'waiting' } : undefined;
}

/**
 * The monitor's restart of a Galera cluster whose every node was lost. Every member of the last
 * primary component it saw must wait with its position (a node that left the component before
 * them cannot hold a commit they lack, so it is not waited for); not knowing that component, it
 * waits for every node. Then the most advanced waiting node restarts the cluster, under the same
 * rules as `recover`.
 */
export function decideRestart(nodes: string[], waiting: WaitingNode[], lastPrimary: readonly string[] | undefined): RestartDecision {
  const required = lastPrimary && lastPrimary.length > 0 ? lastPrimary.filter((n) => nodes.includes(n)) : nodes;
  const positions = waiting.map(waitingPositionOf).filter((p): p is NodePosition => p !== undefined);
  const missing = required.filter((n) => !positions.some((p) => p.node === n));
  const basis = lastPrimary && lastPrimary.length > 0 ? `the last primary component: ${required.join(', ')}` : 'the last primary component is not known, so every node';
  if (missing.length) {
    return { waiting: `no node is in a primary component; waiting for ${missing.join(', ')} to come back with ${missing.length > 1 ? 'their positions' : 'its position'} (${basis})` };
  }
  const gone = nodes.filter((n) => !positions.some((p) => p.node === n));
  const choice = chooseBootstrapNode(positions, nodes, gone);
  if (!choice.node) return { waiting: `no node is in a primary component, and the monitor will not restart the cluster: ${choice.refusal}; 'mariadb-ha recover' decides by hand` };
  return { node: choice.node, position: waiting.find((w) => w.node === choice.node)!.waitingAt };
}
