// Replication connections of a running replica, changed in place: `mariadb-ha repoint` makes a
// replica follow exactly its planned sources (and delay) by GTID, as `terraform apply` asks when a
// replica's `source` or `delaySeconds` changes; rejoin uses it to put replicas back after a failover.
import type { ClusterDescription, HostDescription } from '../constructs/description';
import { HostKind } from '../model/plan';
import { SecretName } from '../model/accounts';
import { changeMaster, clearSkipCounter, resetChannel, START_ALL_CHANNELS, STOP_ALL_CHANNELS } from '../render/statements';
import { channelTo } from '../operator/channels';
import { endpointsOf, hostAccessOf } from '../operator/cluster-ref';
import { hasReached } from '../operator/gtid';
import { MonitorState } from '../operator/monitor-state';
import { Login, rootSql } from '../operator/sql-client';
import { ChannelStatus, readHostStatus } from '../operator/replication-status';
import { waitForBinlogGtid, waitForGtid } from '../operator/server-ops';

export interface FollowOptions {
  readonly monitor: Login;
  readonly operator: Login;
  /** Asked for only when a connection has to be made. */
  readonly replicationPassword: () => string;
  readonly catchUpTimeoutSeconds: number;
}

/** Whether a reachable replica follows exactly its planned sources, with its planned delay. */
function followsPlan(info: HostDescription, channels: ChannelStatus[]): boolean {
  const delay = info.delaySeconds ?? 0;
  return channels.length === info.sources.length && info.sources.every((s) => channels.some((c) => c.connectionName === s && c.sqlDelay === delay));
}

/**
 * Makes a replica follow exactly its planned sources with its planned delay. Its replication stops,
 * the planned sources catch up with what it has, then it continues from them by GTID; connections
 * to other hosts are removed. False when it already follows its plan (nothing is touched).
 */
export async function followPlannedSources(description: ClusterDescription, replica: string, options: FollowOptions): Promise<boolean> {
  const info = description.hosts.find((h) => h.name === replica)!;
  const planned = info.sources;
  const delay = info.delaySeconds ?? 0;
  const endpoint = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  const before = await readHostStatus(endpoint(replica), options.monitor);
  if (!before.reachable) throw new Error(`${replica} is unreachable (${before.error})`);
  if (followsPlan(info, before.channels)) return false;
  const asPlanned = (name: string) => before.channels.some((c) => c.connectionName === name && c.sqlDelay === delay);
  const password = options.replicationPassword();
  const access = hostAccessOf(description);
  await rootSql(access, info.backendName, [STOP_ALL_CHANNELS]);
  const stopped = await readHostStatus(endpoint(replica), options.monitor);
  for (const source of planned) {
    // A Galera node applies the cluster's writes by Galera, not as a replica: its binary log shows them.
    const wait = description.hosts.find((h) => h.name === source)?.kind === HostKind.GALERA_NODE ? waitForBinlogGtid : waitForGtid;
    if (!(await wait(endpoint(source), options.operator, stopped.gtidCurrentPos ?? '', options.catchUpTimeoutSeconds))) {
      await rootSql(access, info.backendName, [...stopped.channels.map((c) => clearSkipCounter(c.connectionName)), START_ALL_CHANNELS]);
      throw new Error(`${source} did not reach ${replica}'s position ${stopped.gtidCurrentPos} within ${options.catchUpTimeoutSeconds} s;`
        + ` ${replica} keeps following ${before.channels.map((c) => c.connectionName).join(', ') || 'nothing'}`);
    }
  }
  // A connection whose delay changes is made again: the new one starts where the old one stopped (GTID).
  const keep = before.channels.filter((c) => asPlanned(c.connectionName) && planned.includes(c.connectionName)).map((c) => c.connectionName);
  await rootSql(access, info.backendName, [
    ...before.channels.map((c) => c.connectionName).filter((n) => !keep.includes(n)).map(resetChannel),
    ...planned.filter((p) => !keep.includes(p)).map((p) => changeMaster(channelTo(description, p, { delaySeconds: delay }))),
    ...keep.map(clearSkipCounter),
    START_ALL_CHANNELS,
  ], { [SecretName.REPLICATION]: password });
  return true;
}

export interface RepointOptions extends FollowOptions {
  readonly description: ClusterDescription;
  readonly host: string;
  readonly progress: (line: string) => void;
}

/**
 * `mariadb-ha repoint --host <replica>`: the replica follows its planned sources, under the failover
 * monitor's lock (no failover re-points it meanwhile), and is caught up with them before it returns.
 */
export async function repoint(options: RepointOptions): Promise<string> {
  const { description, host } = options;
  const info = description.hosts.find((h) => h.name === host);
  if (!info || info.kind !== HostKind.REPLICA) {
    const replicas = description.hosts.filter((h) => h.kind === HostKind.REPLICA).map((h) => h.name);
    throw new Error(`refused: ${host} is not a replica of ${description.cluster} (replicas: ${replicas.join(', ') || 'none'}); a master's connections follow from rejoin`);
  }
  const endpoint = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  const sources = info.sources.join(', ');
  // Checked before the lock too: when the cluster is created, the monitor may not run yet.
  const now = await readHostStatus(endpoint(host), options.monitor);
  if (!now.reachable) throw new Error(`${host} is unreachable (${now.error}); start it, then run repoint again`);
  if (followsPlan(info, now.channels)) return `${host} already replicates from ${sources} as planned`;
  const monitorContainer = description.endpoint?.haproxy?.monitorContainer;
  const lock = monitorContainer ? await new MonitorState(hostAccessOf(description), monitorContainer).lock(`repoint ${host}`, 30_000) : undefined;
  let changed: boolean;
  try {
    changed = await followPlannedSources(description, host, options);
  } finally {
    await lock?.release();
  }
  if (!changed) return `${host} already replicates from ${sources} as planned`;
  if (info.delaySeconds) return `${host} now replicates from ${sources}, ${info.delaySeconds} s behind`;
  // Caught up: it holds everything its sources had logged when it was moved.
  const targets = await Promise.all(info.sources.map(async (s) => (await readHostStatus(endpoint(s), options.monitor)).gtidBinlogPos ?? ''));
  const deadline = Date.now() + options.catchUpTimeoutSeconds * 1000;
  for (;;) {
    const current = await readHostStatus(endpoint(host), options.monitor);
    if (current.reachable && targets.every((t) => hasReached(current.gtidCurrentPos ?? '', t))) break;
    if (Date.now() > deadline) {
      const channels = current.channels.map((c) => `${c.connectionName}: IO ${c.ioRunning}, SQL ${c.sqlRunning}${c.lastIoError || c.lastSqlError ? `, ${c.lastIoError || c.lastSqlError}` : ''}`).join('; ');
      throw new Error(`${host} follows ${sources} but did not catch up within ${options.catchUpTimeoutSeconds} s (${channels}); see 'mariadb-ha status'`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  options.progress(`  ${host} has caught up with ${sources}`);
  return `${host} now replicates from ${sources}`;
}
