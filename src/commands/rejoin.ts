// Rejoin: a master that was lost as the writer and came back (read-only, detached by the monitor)
// becomes a standby again. Its extra transactions (committed but never sent before it was lost)
// are discarded by rebuilding it from the writer with mariabackup, or, when asked, applied on the
// writer. Then replication is reattached both ways by GTID.
import type { ClusterDescription } from '../constructs/replication-cluster';
import { DATA_DIR } from '../render/entrypoint';
import { HostKind } from '../model/plan';
import { MONITOR_STATE_DIR } from '../render/monitor-script';
import { sqlString } from '../render/sql';
import { endpointsOf } from '../operator/cluster-ref';
import { formatGtidPosition, GtidEntry, hasReached, parseGtidPosition, transactionsAhead } from '../operator/gtid';
import { Login } from '../operator/sql-client';
import { runChecked } from '../operator/process';
import { HostStatus, readClusterStatus, readHostStatus } from '../operator/replication-status';
import { waitForGtid } from '../operator/server-ops';
import { takeMonitorLock } from '../operator/lock';
import { changeMaster, followPlannedSources, rootSql } from './repoint';
import { inspectContainer, streamBackup } from '../operator/backup-stream';
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
 * Starts `replica`'s connections from `sources`, creating those that are missing. A source whose
 * oldest binary log lists a GTID of the replica's own domain serves it only if the replica asks
 * for that domain, so the replica's position in its own domain is set to what the source logged
 * of it (it never applies its own transactions back; a rebuilt host's log starts at its backup).
 */
async function startChannels(description: ClusterDescription, replica: string, sources: string[], login: Login, password: string): Promise<void> {
  const info = (name: string) => description.hosts.find((h) => h.name === name)!;
  const endpoint = (name: string) => endpointsOf(description).find((h) => h.name === name)!;
  // Stopped first: a running SQL thread would move the position between reading and setting it.
  await rootSql(info(replica).backendName, ['STOP ALL SLAVES']);
  const me = await readHostStatus(endpoint(replica), login);
  const own = info(replica).gtidDomainId;
  const logged = (await Promise.all(sources.map((source) => readHostStatus(endpoint(source), login))))
    .map((s) => parseGtidPosition(s.gtidBinlogPos).get(own))
    .filter((e): e is GtidEntry => e !== undefined)
    .sort((a, b) => (a.seqNo < b.seqNo ? -1 : 1));
  const statements: string[] = [];
  if (logged.length > 0) {
    const position = parseGtidPosition(me.gtidSlavePos);
    position.set(own, logged[0]);
    statements.push(`SET GLOBAL gtid_slave_pos = ${sqlString(formatGtidPosition(position))}`);
  }
  statements.push(...sources.filter((source) => !me.channels.some((c) => c.connectionName === source)).map((source) => changeMaster(source, password, { ignoreDomain: own })));
  statements.push('START ALL SLAVES');
  await rootSql(info(replica).backendName, statements);
}

/** Streams a mariabackup of the writer into the host's (stopped) data volume and prepares it; returns the backup's GTID position. */
async function restoreFromWriter(writerContainer: string, hostContainer: string, progress: (line: string) => void): Promise<string> {
  const image = await inspectContainer(hostContainer, '{{.Config.Image}}');
  const volume = await inspectContainer(hostContainer, `{{range .Mounts}}{{if eq .Destination "${DATA_DIR}"}}{{.Name}}{{end}}{{end}}`);
  if (!volume) throw new Error(`${hostContainer} has no data volume at ${DATA_DIR}`);
  await runChecked('docker', ['stop', '--time', '60', hostContainer], { timeoutMs: 90_000 });
  progress(`      ${hostContainer} stopped; streaming a backup of ${writerContainer} into ${volume}`);
  // The entrypoint starts a datadir it bootstrapped; this one is the writer's, meant for this host.
  const position = await streamBackup({ donorContainer: writerContainer, volume, image, finish: [`touch ${DATA_DIR}/.mariadb-ha-bootstrapped`] });
  await runChecked('docker', ['start', hostContainer], { timeoutMs: 60_000 });
  return position;
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

  const monitorContainer = description.endpoint?.haproxy?.monitorContainer;
  const writerStatus = status.find((s) => s.name === writer)!;
  const extra = transactionsAhead(me.gtidBinlogPos ?? '', writerStatus.gtidCurrentPos ?? '');
  progress(`rejoin ${host} to ${writer}: ${extra.count === 0n ? 'no extra transactions' : `${extra.count} extra transactions (${extra.ranges.join(', ')}), which will be ${options.applyExtra ? `applied on ${writer}` : 'discarded'}`}`);
  try {
    if (extra.count > 0n && !options.applyExtra) {
      progress(`  rebuild ${host} from ${writer} with mariabackup`);
      const position = await restoreFromWriter(info(writer).backendName, info(host).backendName, progress);
      await waitReachable(description, host, monitor, 180_000);
      progress(`  ${host} restarted from the backup at ${position}; replication restarts there`);
      // The copy has no binary log: its GTID state starts at the backup's position, for both directions.
      await rootSql(info(host).backendName, [
        'STOP ALL SLAVES', 'RESET SLAVE ALL', 'RESET MASTER',
        `SET GLOBAL gtid_binlog_state = ${sqlString(position)}`,
        // A new binary log file opens with this state in its GTID list, where peers look it up.
        'FLUSH BINARY LOGS',
        `SET GLOBAL gtid_slave_pos = ${sqlString(position)}`,
      ]);
    }
    // The host follows its sources again, and every master it feeds follows it (the monitor detached
    // the writer). Under the monitor's lock: a failover finishes detaching first, and none starts
    // while connections are made.
    const lock = monitorContainer ? await takeMonitorLock(monitorContainer, 'rejoin', 30_000) : undefined;
    try {
      await startChannels(description, host, info(host).sources, monitor, options.replicationPassword);
      for (const peer of description.hosts.filter((h) => h.kind === HostKind.MASTER && h.sources.includes(host))) {
        if (!status.find((s) => s.name === peer.name)?.reachable) continue;
        await startChannels(description, peer.name, [host], monitor, options.replicationPassword);
        progress(`  ${peer.name} replicates from ${host} again`);
      }
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
    // Replicas planned to follow the host, which the monitor moved to the writer, come back to it.
    for (const replica of description.hosts.filter((h) => h.kind === HostKind.REPLICA && h.sources.includes(host))) {
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
  // The monitor keeps replicas off a master lost as the writer until it has rejoined.
  if (monitorContainer) await runChecked('docker', ['exec', monitorContainer, 'rm', '-f', `${MONITOR_STATE_DIR}/detached.${host}`], { timeoutMs: 20_000 });
  const what = extra.count === 0n ? '' : options.applyExtra ? `; its ${extra.count} extra transactions were applied on ${writer}` : `; its ${extra.count} extra transactions were discarded (rebuilt from ${writer})`;
  return { outcome: RejoinOutcome.DONE, message: `${host} is a standby of ${writer} again${what}`, extra: extra.ranges };
}
