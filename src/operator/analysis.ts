// Judgements over host status that need the whole cluster: errant transactions, duplicate keys.
import type { ClusterDescription } from '../constructs/description';
import { HostKind } from '../model/plan';
import { WriteMode } from '../model/topology';
import { parseGtidPosition } from './gtid';
import { HostAccess } from '../backends/host-access';
import { HostStatus } from './replication-status';

/**
 * Transactions a host logged that no writer should have produced there: in a GTID domain no writer
 * owns (a write on a replica), or in a writer's domain but from another server.
 */
export function errantTransactions(description: ClusterDescription, host: HostStatus): string[] {
  // A Galera cluster's nodes share one domain and server id.
  const owners = new Map(description.hosts.filter((h) => h.kind === HostKind.MASTER || h.kind === HostKind.GALERA_NODE).map((h) => [h.gtidDomainId, h]));
  const errant: string[] = [];
  for (const e of parseGtidPosition(host.gtidBinlogPos).values()) {
    const gtid = `${e.domain}-${e.serverId}-${e.seqNo}`;
    const owner = owners.get(e.domain);
    if (!owner) errant.push(`${gtid} (domain ${e.domain} belongs to no writer)`);
    else if (owner.serverId !== e.serverId) errant.push(`${gtid} (domain ${e.domain} belongs to ${owner.name}, server ${owner.serverId})`);
  }
  return errant;
}

/** One writer at a time: masters start read-only and only the endpoint's switchover or monitor makes one writable. */
export function oneWriter(description: ClusterDescription): boolean {
  return description.galera === undefined && description.writeMode === WriteMode.ONE_WRITER;
}

/**
 * What is wrong with a Galera cluster as its nodes see it: a node outside the primary component,
 * not synced, in a cluster of another history, or a cluster with fewer members than planned.
 */
export function galeraProblems(description: ClusterDescription, status: HostStatus[]): { problems: string[]; warnings: string[] } {
  const g = description.galera;
  if (!g) return { problems: [], warnings: [] };
  const problems: string[] = [];
  const warnings: string[] = [];
  const nodes = status.filter((s) => g.nodes.includes(s.name) && s.reachable && s.galera);
  for (const s of nodes) {
    const state = s.galera!;
    if (state.clusterStatus !== 'Primary') problems.push(`${s.name}: not in the primary component (${state.clusterStatus}); it refuses queries until it rejoins`);
    else if (state.localState === 'Donor/Desynced') warnings.push(`${s.name} is a donor (a state transfer to a joining node)`);
    else if (state.localState !== 'Synced') problems.push(`${s.name}: ${state.localState}, not synced yet`);
    if (state.clusterStatus === 'Primary' && state.clusterSize < g.voters) problems.push(`${s.name}: the cluster has ${state.clusterSize} of ${g.voters} members`);
  }
  const histories = [...new Set(nodes.filter((s) => s.galera!.clusterStatus === 'Primary').map((s) => s.galera!.stateUuid))];
  if (histories.length > 1) problems.push(`the nodes are in ${histories.length} different clusters (${histories.join(', ')}): never write to both; keep the one with the data and rebuild the others`);
  if (nodes.every((s) => s.galera!.clusterStatus !== 'Primary')) {
    problems.push(`no node is in a primary component: if every node was lost, the monitor restarts the cluster from the most advanced node once the nodes are back (its log says what it waits for); if it refuses, is off, or a node is gone for good, 'mariadb-ha recover --cluster ${description.cluster}' does`);
  }
  return { problems, warnings };
}

/** Masters that take writes now (read_only OFF), by the servers' own word. */
export function writableMasters(description: ClusterDescription, status: HostStatus[]): string[] {
  return status.filter((s) => description.writers.includes(s.name) && s.reachable && s.readOnly === false).map((s) => s.name);
}

/** MariaDB's error for a duplicate key (ER_DUP_ENTRY). */
export const DUPLICATE_KEY_ERRNO = 1062;

/** Replication connections currently stopped by a duplicate key. */
export function duplicateKeyChannels(host: HostStatus): string[] {
  return host.channels.filter((c) => c.lastSqlErrno === DUPLICATE_KEY_ERRNO).map((c) => `${c.connectionName}: ${c.lastSqlError}`);
}

/**
 * Duplicate-key errors the server has logged since its container started (replication and
 * bootstrap errors reach the error log; MariaDB keeps no counter of them). Undefined when the
 * container's log cannot be read.
 */
export async function duplicateKeyErrorsLogged(access: HostAccess, container: string): Promise<number | undefined> {
  try {
    const logs = await access.logs(container);
    return logs.split('\n').filter((l) => /Error_code: 1062|Duplicate entry .* for key/.test(l)).length;
  } catch {
    return undefined;
  }
}
