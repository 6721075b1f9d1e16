// Replication connections as the operator core makes them: every one by GTID to a host's address
// on the cluster's network, logging in as the replication account.
import type { ClusterDescription } from '../constructs/description';
import { HostAccess } from '../backends/host-access';
import { SecretName } from '../model/accounts';
import { MARIADB_PORT } from '../render/server-config';
import { changeMaster, ChannelSpec, clearSkipCounter, resetChannel, setReplicaPosition, START_ALL_CHANNELS, STOP_ALL_CHANNELS } from '../render/statements';
import { endpointsOf } from './cluster-ref';
import { HostStatus, readHostStatus } from './replication-status';
import { Login, rootSql } from './sql-client';

export interface ChannelOptions {
  /** MASTER_DELAY. */
  readonly delaySeconds?: number;
  /** The replica's own GTID domain, never applied back from a peer (masters). */
  readonly ignoreDomain?: number;
}

/** The connection a host makes to `source` of this cluster. */
export function channelTo(description: ClusterDescription, source: string, options: ChannelOptions = {}): ChannelSpec {
  const host = description.hosts.find((h) => h.name === source);
  if (!host) throw new Error(`no host named '${source}' in ${description.cluster}`);
  // A description written before addresses were recorded names the host instead.
  return { name: source, address: host.replicationAddress ?? host.name, port: MARIADB_PORT, delaySeconds: options.delaySeconds, ignoreDomain: options.ignoreDomain };
}

/** What `reconnect` changes on a master: connections to make and to drop, and where its own domain resumes. */
export interface Reconnection {
  /** Sources to connect to (by GTID, ignoring the master's own domain), unless it has a connection from them. */
  readonly add: string[];
  readonly drop?: string[];
  /**
   * The position its connections resume from, given its state once stopped; undefined keeps its
   * replica position as it is. Its replica position in its own domain is refreshed only now and
   * then (it never applies its own transactions back), and a source whose binary log starts later
   * refuses an older one (error 1236): see masterStartPosition.
   */
  readonly resumeFrom?: (stopped: HostStatus) => Promise<string | undefined>;
}

/**
 * Stops all of a master's replication (a running applier would move its position between reading
 * and setting it), sets where it resumes, drops and makes connections, and starts all again, even
 * when a step fails. Asking a source past what it has logged is accepted: every master runs
 * gtid_ignore_duplicates.
 */
export async function reconnect(access: HostAccess, description: ClusterDescription, master: string, statusLogin: Login, password: string, change: Reconnection): Promise<void> {
  const host = description.hosts.find((h) => h.name === master)!;
  const endpoint = endpointsOf(description).find((e) => e.name === master)!;
  await rootSql(access, host.backendName, [STOP_ALL_CHANNELS]);
  try {
    const stopped = await readHostStatus(endpoint, statusLogin);
    const resume = change.resumeFrom ? await change.resumeFrom(stopped) : undefined;
    await rootSql(access, host.backendName, [
      ...stopped.channels.map((c) => clearSkipCounter(c.connectionName)),
      ...(resume !== undefined ? [setReplicaPosition(resume)] : []),
      ...(change.drop ?? []).map(resetChannel),
      ...change.add.filter((s) => !stopped.channels.some((c) => c.connectionName === s)).map((s) => changeMaster(channelTo(description, s, { ignoreDomain: host.gtidDomainId }))),
    ], { [SecretName.REPLICATION]: password });
  } finally {
    await rootSql(access, host.backendName, [START_ALL_CHANNELS]);
  }
}
