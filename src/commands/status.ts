// Cluster status: gathered from every host and the endpoint, judged, and rendered as a table.
import type { ClusterDescription } from '../constructs/description';
import { duplicateKeyChannels, duplicateKeyErrorsLogged, errantTransactions, galeraProblems, oneWriter, writableMasters } from '../operator/analysis';
import { endpointsOf, hostAccessOf } from '../operator/cluster-ref';
import { HOST_ACCESS_NONE } from '../constructs/description';
import { parseGtidPosition, transactionsAhead, transactionsBehind } from '../operator/gtid';
import { ServerState } from '../routes/haproxy-runtime';
import { fencedServers, pinnedWriter } from '../routes/haproxy-route';
import { Login } from '../operator/sql-client';
import { HostKind } from '../model/plan';
import { channelHealthy, HostStatus, readClusterStatus } from '../operator/replication-status';

export interface StatusVerdict {
  readonly healthy: boolean;
  readonly problems: string[];
  /** Legal states a person should know about (e.g. the endpoint failed over). */
  readonly warnings: string[];
}

export interface InstanceStatus {
  readonly name: string;
  /** The master this instance sends new connections to. */
  readonly serving?: string;
  readonly servers: ServerState[];
  readonly error?: string;
}

export interface EndpointStatus {
  /** The master new connections go to; undefined when no instance can be read, or they disagree. */
  readonly serving?: string;
  readonly instances: InstanceStatus[];
  /** Masters fenced after they were lost as the writer; a switchover re-admits them. */
  readonly fenced: string[];
  readonly error?: string;
}

/** Transactions a replica still lacks of a source: above this, status calls it unhealthy. */
export const DEFAULT_MAX_BEHIND = 100;
/** How far past its delay a delayed replica may be and still be healthy, in seconds. */
export const DELAYED_REPLICA_SLACK_SECONDS = 60;

export interface StatusReport {
  readonly hosts: HostStatus[];
  /** With one writer at a time: the one writable master (undefined when none or several are). */
  readonly writer?: string;
  /** Per master: transactions it has that the writer lacks (a returning old master's extra commits). */
  readonly extra: { [host: string]: { ranges: string[]; count: string } };
  /** Per host, per replication connection: transactions the host still lacks of that source (by GTID). */
  readonly behind: { [host: string]: { [source: string]: string } };
  /** Errant transactions per host. */
  readonly errant: { [host: string]: string[] };
  /** Duplicate-key errors per host: channels stopped by one now, and how many the log holds. */
  readonly duplicateKeys: { [host: string]: { stoppedChannels: string[]; logged?: number } };
  readonly endpoint?: EndpointStatus;
  readonly verdict: StatusVerdict;
}

/**
 * The sources a host replicates from now: as planned, or for a replica the monitor re-pointed
 * (its planned source was lost), the masters it follows instead.
 */
function sourcesNow(host: ClusterDescription['hosts'][number], s: HostStatus | undefined): string[] {
  const names = s?.channels.map((c) => c.connectionName) ?? [];
  if (host.kind !== HostKind.REPLICA || host.sources.some((x) => names.includes(x)) || names.length === 0) return host.sources;
  return names;
}

/** Per host and source, transactions the host lacks of the source's binary log (unknown when either is unreachable). */
export function distances(description: ClusterDescription, status: HostStatus[]): StatusReport['behind'] {
  const byName = new Map(status.map((s) => [s.name, s]));
  const behind: StatusReport['behind'] = {};
  for (const host of description.hosts) {
    const s = byName.get(host.name);
    behind[host.name] = {};
    for (const source of sourcesNow(host, s)) {
      const from = byName.get(source);
      if (s?.reachable && from?.reachable) behind[host.name][source] = String(transactionsBehind(from.gtidBinlogPos ?? '', s.gtidCurrentPos ?? ''));
    }
  }
  return behind;
}

/** The one writable master, when exactly one is. */
export function writerOf(description: ClusterDescription, status: HostStatus[]): string | undefined {
  const writable = writableMasters(description, status);
  return writable.length === 1 ? writable[0] : undefined;
}

/** Per master other than the writer: transactions the writer lacks (by GTID). */
export function extraTransactions(description: ClusterDescription, status: HostStatus[], writer: string | undefined): StatusReport['extra'] {
  const w = status.find((s) => s.name === writer);
  const extra: StatusReport['extra'] = {};
  if (!w?.reachable) return extra;
  for (const s of status.filter((x) => x.reachable && x.name !== writer && description.writers.includes(x.name))) {
    const ahead = transactionsAhead(s.gtidBinlogPos ?? '', w.gtidCurrentPos ?? '');
    if (ahead.count > 0n) extra[s.name] = { ranges: ahead.ranges, count: String(ahead.count) };
  }
  return extra;
}

export function judgeStatus(description: ClusterDescription, status: HostStatus[], endpoint?: EndpointStatus, maxBehind = DEFAULT_MAX_BEHIND): StatusVerdict {
  const behind = distances(description, status);
  const problems: string[] = [];
  const warnings: string[] = [];
  if (oneWriter(description)) {
    const writable = writableMasters(description, status);
    if (writable.length === 0) problems.push(`no master is writable; 'mariadb-ha switchover --to <master>' makes one the writer`);
    if (writable.length > 1) problems.push(`${writable.join(' and ')} are all writable; the failover monitor fences all but the writer`);
    const writer = writerOf(description, status);
    for (const [name, e] of Object.entries(extraTransactions(description, status, writer))) {
      problems.push(`${name}: ${e.count} transactions the writer ${writer} lacks (${e.ranges.join(', ')}); 'mariadb-ha rejoin --host ${name}' discards them (rebuilds ${name} from ${writer}), '--apply-extra' applies them on ${writer}`);
    }
  }
  for (const host of description.hosts) {
    const s = status.find((x) => x.name === host.name);
    if (!s || !s.reachable) {
      problems.push(`${host.name}: unreachable (${s?.error ?? 'no status'})`);
      continue;
    }
    const sources = sourcesNow(host, s);
    if (sources !== host.sources) warnings.push(`${host.name} replicates from ${sources.join(', ')} instead of ${host.sources.join(', ')} (re-pointed by the failover monitor when its source was lost)`);
    for (const source of sources) {
      const channel = s.channels.find((c) => c.connectionName === source);
      if (!channel) problems.push(`${host.name}: no replication connection from ${source}${oneWriter(description) && description.writers.includes(source) ? ` (detached when ${source} was lost; 'mariadb-ha rejoin --host ${source}' reattaches it)` : ''}`);
      else if (!channelHealthy(channel)) {
        const error = channel.lastSqlError || channel.lastIoError || 'thread not running';
        problems.push(`${host.name} <- ${source}: IO ${channel.ioRunning}, SQL ${channel.sqlRunning}: ${error}`);
      }
      const lacking = behind[host.name]?.[source];
      if (channel && channel.sqlDelay > 0) {
        // Behind by design: judged by time against its delay, not by the transactions it holds back.
        if (channel.secondsBehind !== null && channel.secondsBehind > channel.sqlDelay + DELAYED_REPLICA_SLACK_SECONDS) {
          problems.push(`${host.name} <- ${source}: ${channel.secondsBehind} s behind, more than its delay of ${channel.sqlDelay} s (+${DELAYED_REPLICA_SLACK_SECONDS} s)`);
        }
      } else if (lacking !== undefined && BigInt(lacking) > BigInt(maxBehind)) {
        // Running threads are not enough: a cut link shows IO Yes and lag 0 until the timeout.
        problems.push(`${host.name} <- ${source}: ${lacking} transactions behind (by GTID; more than ${maxBehind})`);
      }
    }
    const errant = errantTransactions(description, s);
    if (errant.length > 0) problems.push(`${host.name}: errant transactions ${errant.join(', ')}`);
  }
  const galera = galeraProblems(description, status);
  problems.push(...galera.problems);
  warnings.push(...galera.warnings);
  if (endpoint?.error) problems.push(`endpoint: ${endpoint.error}`);
  for (const name of endpoint?.fenced ?? []) {
    warnings.push(`${name} is fenced: it was the writer when the endpoint lost it, and gets no writes until 'mariadb-ha switchover --to ${name}' (after it has caught up)`);
  }
  if (endpoint?.serving && endpoint.serving !== description.activeMaster && !description.galera) {
    warnings.push(`the endpoint writes to ${endpoint.serving} but the stack declares ${description.activeMaster} active (a failover or a direct switchover happened); make it permanent with activeMaster: '${endpoint.serving}'`);
  }
  return { healthy: problems.length === 0, problems, warnings };
}

async function readEndpoint(description: ClusterDescription): Promise<EndpointStatus | undefined> {
  // A Route 53 record pair is read by Terraform (its records are state), not by this tool.
  const e = description.endpoint?.haproxy;
  if (!e) return undefined;
  const instances: InstanceStatus[] = await Promise.all(e.instances.map(async (i) => {
    try {
      const { pinned, servers } = await pinnedWriter(description, i);
      // Unpinned, the first server up in config order takes the next connection.
      return { name: i.backendName, serving: pinned ?? servers.find((s) => s.status.startsWith('UP'))?.name, servers };
    } catch (error) {
      return { name: i.backendName, servers: [], error: (error as Error).message };
    }
  }));
  const fenced = [...new Set((await Promise.all(e.instances.map((i) => fencedServers(description, i).catch(() => [])))).flat())];
  const answers = [...new Set(instances.filter((i) => !i.error).map((i) => i.serving))];
  const error = answers.length === 0 ? 'no endpoint instance answers'
    : answers.length > 1 ? `the endpoint instances disagree: ${instances.map((i) => `${i.name} -> ${i.serving}`).join(', ')}` : undefined;
  return { serving: answers.length === 1 ? answers[0] : undefined, instances, fenced, error };
}

export async function collectStatus(description: ClusterDescription, login: Login, maxBehind = DEFAULT_MAX_BEHIND): Promise<StatusReport> {
  const [hosts, endpoint] = await Promise.all([readClusterStatus(endpointsOf(description), login), readEndpoint(description)]);
  const errant: StatusReport['errant'] = {};
  const duplicateKeys: StatusReport['duplicateKeys'] = {};
  // Server logs are read through the host access, where the backend gives one.
  const access = description.hostAccess === HOST_ACCESS_NONE ? undefined : hostAccessOf(description);
  await Promise.all(hosts.map(async (h) => {
    const backendName = description.hosts.find((d) => d.name === h.name)!.backendName;
    errant[h.name] = h.reachable ? errantTransactions(description, h) : [];
    duplicateKeys[h.name] = { stoppedChannels: duplicateKeyChannels(h), logged: access ? await duplicateKeyErrorsLogged(access, backendName) : undefined };
  }));
  const writer = writerOf(description, hosts);
  return {
    hosts, writer, extra: extraTransactions(description, hosts, writer), behind: distances(description, hosts), errant, duplicateKeys, endpoint,
    verdict: judgeStatus(description, hosts, endpoint, maxBehind),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd()).join('\n');
}

/** `d1: 1-1-100  d2: 2-2-50`, one entry per GTID domain. */
function perDomain(position?: string): string {
  const entries = [...parseGtidPosition(position).values()].sort((a, b) => a.domain - b.domain);
  return entries.length === 0 ? '(empty)' : entries.map((e) => `d${e.domain}:${e.domain}-${e.serverId}-${e.seqNo}`).join(' ');
}

export function renderStatus(description: ClusterDescription, report: StatusReport): string {
  const rows = [['HOST', 'ROLE', 'SERVER_ID', 'READ_ONLY', 'SOURCE', 'IO', 'SQL', 'LAG', 'BEHIND', 'LAST_ERROR', 'ERRANT', 'EXTRA', 'DUP_KEYS', 'GTID_CURRENT_POS (per domain)']];
  for (const host of description.hosts) {
    const s = report.hosts.find((x) => x.name === host.name);
    const writes = (description.galera?.writeMode === 'all-nodes' ? description.galera.nodes.includes(host.name) : report.endpoint?.serving === host.name)
      || (!report.endpoint && report.writer === host.name) ? ' <- writes' : '';
    const role = `${host.role}${host.name === description.activeMaster && !description.galera ? ' (active)' : ''}${writes}`;
    const dup = report.duplicateKeys[host.name];
    const dupText = `${dup?.stoppedChannels.length ?? 0}/${dup?.logged ?? '?'}`;
    if (!s?.reachable) {
      rows.push([host.name, role, String(host.serverId), '?', '-', '-', '-', '-', '-', `unreachable: ${s?.error ?? ''}`.slice(0, 50), '-', '-', dupText, '-']);
      continue;
    }
    const channels = s.channels.length > 0 ? s.channels : [undefined];
    channels.forEach((c, i) => rows.push([
      i === 0 ? host.name : '',
      i === 0 ? role : '',
      i === 0 ? String(s.serverId) : '',
      i === 0 ? (s.readOnly ? 'ON' : 'OFF') : '',
      c?.connectionName ?? '-',
      c?.ioRunning ?? '-',
      c?.sqlRunning ?? '-',
      c ? String(c.secondsBehind ?? 'NULL') : '-',
      c ? report.behind[host.name]?.[c.connectionName] ?? '?' : '-',
      c ? (c.lastSqlError || c.lastIoError || '-').slice(0, 50) : '-',
      i === 0 ? String(report.errant[host.name]?.length ?? 0) : '',
      i === 0 ? report.extra[host.name]?.count ?? '0' : '',
      i === 0 ? dupText : '',
      i === 0 ? perDomain(s.gtidCurrentPos) : '',
    ]));
  }
  const lines = [
    description.galera
      ? `cluster ${description.cluster}: ${description.galera.nodes.length} Galera nodes and ${description.hosts.length - description.galera.nodes.length} replicas, writes to ${description.galera.writeMode === 'all-nodes' ? 'every synced node' : 'one node at a time'}, database ${description.databaseName}`
      : `cluster ${description.cluster}: ${description.hosts.length} hosts, declared active master ${description.activeMaster}, database ${description.databaseName}${description.semiSync ? ', semi-sync between masters' : ''}`,
    table(rows),
    'LAG: Seconds_Behind_Master; BEHIND: transactions the host lacks of that source, by GTID; EXTRA: transactions the writer lacks',
    'DUP_KEYS: replication connections stopped by a duplicate key now / duplicate-key errors in the server log',
  ];
  if (description.galera) {
    lines.push(`Galera cluster ${description.galera.clusterName} (${description.galera.voters} voters${description.galera.arbitrator ? `, arbitrator ${description.galera.arbitrator}` : ''}):`);
    for (const s of report.hosts.filter((h) => h.galera)) {
      const g = s.galera!;
      lines.push(`  ${s.name.padEnd(16)} ${g.clusterStatus} ${g.localState}, ${g.clusterSize} members, ready ${g.ready ? 'ON' : 'OFF'}, state ${g.stateUuid}`);
    }
  }
  const records = description.endpoint?.route53;
  if (records) lines.push(`endpoint ${records.recordName}:${description.endpoint!.port}: Route 53 failover records; PRIMARY is declared on ${description.activeMaster} (worst-case failover ${records.worstCaseFailoverSeconds} s)`);
  if (report.endpoint) {
    const allNodes = description.galera?.writeMode === 'all-nodes';
    lines.push(`endpoint ${description.endpoint!.address}:${description.endpoint!.port}: writes to ${allNodes ? 'every synced node' : report.endpoint.serving ?? '(unknown)'}`);
    for (const i of report.endpoint.instances) {
      const servers = i.servers.map((s) => `${s.name} ${s.status}${s.backup ? ' backup' : ''} (${s.currentSessions} sessions)`).join(', ');
      lines.push(`  ${i.name}: ${i.error ? `unreachable: ${i.error}` : servers}`);
    }
  }
  const v = report.verdict;
  lines.push(...v.warnings.map((w) => `warning: ${w}`));
  lines.push(v.healthy ? `healthy: ${description.galera ? 'every node is a synced member of the cluster, and ' : ''}every replication connection is running without errors and caught up` : `UNHEALTHY:\n${v.problems.map((p) => `  - ${p}`).join('\n')}`);
  return lines.join('\n');
}
