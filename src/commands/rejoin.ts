// Rejoin: a master that was lost as the writer and came back (read-only, detached by the monitor)
// becomes a standby again. Its extra transactions (committed but never sent before it was lost)
// are discarded by rebuilding it from the writer with mariabackup, or, when asked, applied on the
// writer. Then replication is reattached both ways by GTID.
import type { ClusterDescription } from '../constructs/description';
import { HostKind } from '../model/plan';
import { RESET_ALL_CHANNELS, restartHistoryAt, STOP_ALL_CHANNELS } from '../render/statements';
import { reconnect } from '../operator/channels';
import { endpointsOf, hostAccessOf } from '../operator/cluster-ref';
import { hasReached, resumeAfterRebuild, transactionsAhead } from '../operator/gtid';
import { MonitorState } from '../operator/monitor-state';
import { Login, rootSql } from '../operator/sql-client';
import { HostStatus, readClusterStatus, readHostStatus } from '../operator/replication-status';
import { waitForGtid } from '../operator/server-ops';
import { DATA_DIR } from '../render/entrypoint';
import { followPlannedSources } from './repoint';
import { writerOf } from './status';

export enum RejoinOutcome {
  DONE = 'done',
  REFUSED = 'refused',
  FAILED = 'failed',
}

export interface RejoinOptions {
  readonly description: ClusterDescription;
  readonly host: string;
  readonly monitor: Login;
  readonly operator: Login;
  /** The replication account's password: reattached connections log in with it. */
  readonly replicationPassword: string;
  /** Apply the host's extra transactions on the writer instead of discarding them. */
  readonly applyExtra: boolean;
  /** Seconds to wait for the writer or the host to apply what the other has. */
  readonly catchUpTimeoutSeconds: number;
  readonly progress: (line: string) => void;
}

export interface RejoinResult {
  readonly outcome: RejoinOutcome;
  readonly message: string;
  /** GTID ranges the host had that the writer lacked, when it started. */
  readonly extra: string[];
}

/**
 * Starts `master`'s connections from `sources`, making those that are missing. A source whose
 * oldest binary log lists a GTID of the master's own domain serves it only if the master asks for
 * that domain, so its own domain resumes from the oldest of what its sources logged of it (a
 * rebuilt host's log starts at its backup).
 */
async function startChannels(description: ClusterDescription, master: string, sources: string[], login: Login, password: string): Promise<void> {
  const own = description.hosts.find((h) => h.name === master)!.gtidDomainId;
  const endpoint = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  await reconnect(hostAccessOf(description), description, master, login, password, {
    add: sources,
    resumeFrom: async (stopped) => resumeAfterRebuild(stopped.gtidSlavePos, (await Promise.all(sources.map((source) => readHostStatus(endpoint(source), login)))).map((s) => s.gtidBinlogPos), own),
  });
}

async function waitReachable(description: ClusterDescription, name: string, login: Login, timeoutMs: number): Promise<HostStatus> {
  const endpoint = endpointsOf(description).find((h) => h.name === name)!;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await readHostStatus(endpoint, login);
    if (s.reachable) return s;
    if (Date.now() > deadline) throw new Error(`${name} did not come back within ${timeoutMs / 1000} s: ${s.error}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function rejoin(options: RejoinOptions): Promise<RejoinResult> {
  const { description, host, monitor, operator, progress } = options;
  const hosts = endpointsOf(description);
  const info = (name: string) => description.hosts.find((h) => h.name === name)!;
  const status = await readClusterStatus(hosts, monitor);
  const writer = writerOf(description, status);
  const me = status.find((s) => s.name === host);
  const refuse = (why: string): RejoinResult => ({ outcome: RejoinOutcome.REFUSED, message: `refused, nothing was changed: ${why}`, extra: [] });
  if (!description.writers.includes(host)) return refuse(`${host} is not a master of ${description.cluster} (masters: ${description.writers.join(', ')})`);
  if (!writer) return refuse('there is no single writable master to rejoin; see \'mariadb-ha status\'');
  if (writer === host) return refuse(`${host} is the writer`);
  if (!me?.reachable) return refuse(`${host} is unreachable (${me?.error}); start it first (it comes back read-only)`);
  if (me.readOnly === false) return refuse(`${host} is writable; the failover monitor fences it within a probe interval, retry then`);

  const access = hostAccessOf(description);
  const monitorContainer = description.endpoint?.haproxy?.monitorContainer;
  const monitorState = monitorContainer ? new MonitorState(access, monitorContainer) : undefined;
  const writerStatus = status.find((s) => s.name === writer)!;
  const extra = transactionsAhead(me.gtidBinlogPos ?? '', writerStatus.gtidCurrentPos ?? '');
  progress(`rejoin ${host} to ${writer}: ${extra.count === 0n ? 'no extra transactions' : `${extra.count} extra transactions (${extra.ranges.join(', ')}), which will be ${options.applyExtra ? `applied on ${writer}` : 'discarded'}`}`);
  let rebuiltAt: string | undefined;
  try {
    if (extra.count > 0n && !options.applyExtra) {
      progress(`  rebuild ${host} from ${writer} with mariabackup`);
      // The entrypoint starts a datadir it bootstrapped; this one is the writer's, meant for this host.
      const position = rebuiltAt = await access.rebuildFrom(info(writer).backendName, info(host).backendName, [`touch ${DATA_DIR}/.mariadb-ha-bootstrapped`], progress);
      await waitReachable(description, host, monitor, 180_000);
      progress(`  ${host} restarted from the backup at ${position}; replication restarts there`);
      // The copy has no binary log: its GTID state starts at the backup's position, for both directions.
      await rootSql(access, info(host).backendName, [STOP_ALL_CHANNELS, RESET_ALL_CHANNELS, ...restartHistoryAt(position)]);
    }
    // The host follows its sources again, and every master it feeds follows it (the monitor detached
    // the writer). Under the monitor's lock: a failover finishes detaching first, and none starts
    // while connections are made.
    const lock = monitorState ? await monitorState.lock('rejoin', 30_000) : undefined;
    try {
      await startChannels(description, host, info(host).sources, monitor, options.replicationPassword);
      for (const peer of description.hosts.filter((h) => h.kind === HostKind.MASTER && h.sources.includes(host))) {
        if (!status.find((s) => s.name === peer.name)?.reachable) continue;
        await startChannels(description, peer.name, [host], monitor, options.replicationPassword);
        progress(`  ${peer.name} replicates from ${host} again`);
      }
      // Attached again: from here the monitor treats it as any standby (it keeps replicas off a detached master).
      await monitorState?.clearDetached(host);
    } finally {
      await lock?.release();
    }
    if (options.applyExtra && extra.count > 0n) {
      if (!(await waitForGtid(hosts.find((h) => h.name === writer)!, operator, me.gtidBinlogPos ?? '', options.catchUpTimeoutSeconds))) {
        throw new Error(`${writer} did not apply ${host}'s extra transactions within ${options.catchUpTimeoutSeconds} s`);
      }
      progress(`  ${writer} applied ${extra.ranges.join(', ')}`);
    }
    // Done when the host holds everything the writer has logged, and the writer everything the host has.
    const writerPos = (await readHostStatus(hosts.find((h) => h.name === writer)!, monitor)).gtidBinlogPos ?? '';
    const deadline = Date.now() + options.catchUpTimeoutSeconds * 1000;
    for (;;) {
      const now = await readHostStatus(hosts.find((h) => h.name === host)!, monitor);
      const lacking = transactionsAhead(now.gtidBinlogPos ?? '', writerPos);
      if (now.reachable && hasReached(now.gtidCurrentPos ?? '', writerPos) && (options.applyExtra || lacking.count === 0n)) break;
      if (Date.now() > deadline) {
        const channels = now.channels.map((c) => `${c.connectionName}: IO ${c.ioRunning}, SQL ${c.sqlRunning}${c.lastIoError || c.lastSqlError ? `, ${c.lastIoError || c.lastSqlError}` : ''}`).join('; ');
        throw new Error(`${host} did not reach ${writer}'s position ${writerPos} within ${options.catchUpTimeoutSeconds} s (it is at ${now.gtidCurrentPos}, binary log ${now.gtidBinlogPos}; ${channels || 'no replication connection'})`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    // Replicas planned to follow the host, which the monitor moved to the writer, come back to it;
    // not one still behind where a rebuilt host's binary log starts (a delayed replica): it could not serve it.
    for (const replica of description.hosts.filter((h) => h.kind === HostKind.REPLICA && h.sources.includes(host))) {
      const at = (await readHostStatus(hosts.find((h) => h.name === replica.name)!, monitor)).gtidCurrentPos ?? '';
      if (rebuiltAt !== undefined && !hasReached(at, rebuiltAt)) {
        progress(`  ${replica.name} stays where it is: it is at ${at || '(empty)'}, behind where ${host}'s rebuilt binary log starts (${rebuiltAt})`);
        continue;
      }
      const follow = { monitor, operator, replicationPassword: () => options.replicationPassword, catchUpTimeoutSeconds: options.catchUpTimeoutSeconds };
      if (await followPlannedSources(description, replica.name, follow)) progress(`  ${replica.name} replicates from ${replica.sources.join(', ')} again, as planned`);
    }
  } catch (error) {
    return {
      outcome: RejoinOutcome.FAILED,
      message: `${(error as Error).message}. ${host} stays read-only and ${writer} keeps the writes; see 'mariadb-ha status' and 'docker logs ${info(host).backendName}', then run rejoin again.`,
      extra: extra.ranges,
    };
  }
  const what = extra.count === 0n ? '' : options.applyExtra ? `; its ${extra.count} extra transactions were applied on ${writer}` : `; its ${extra.count} extra transactions were discarded (rebuilt from ${writer})`;
  return { outcome: RejoinOutcome.DONE, message: `${host} is a standby of ${writer} again${what}`, extra: extra.ranges };
}
