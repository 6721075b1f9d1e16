// Assertions-in-waiting shared by the live tests: convergence and identical data on every host.
import { counterTable, WriteOutcome, WriteRecord } from './load/endpoint-load';
import { hasReached } from '../../src/operator/gtid';
import { Login, queryRows, withConnection } from '../../src/operator/sql-client';
import { channelHealthy, HostStatus, NamedEndpoint, readClusterStatus } from '../../src/operator/replication-status';
import { waitFor } from './live-stack';

/** Waits until every host is reachable and every one of its replication connections runs without errors. */
export function waitForHealthyReplication(hosts: NamedEndpoint[], monitor: Login, timeoutMs: number, intervalMs = 250): Promise<HostStatus[]> {
  return waitFor('every replication connection running without errors', timeoutMs, async () => {
    const status = await readClusterStatus(hosts, monitor);
    return status.every((h) => h.reachable && h.channels.length > 0 && h.channels.every(channelHealthy)) ? status : undefined;
  }, intervalMs);
}

/** Waits until every reachable host has applied everything the given writers have logged. */
export async function waitForConvergence(hosts: NamedEndpoint[], writers: string[], monitor: Login, timeoutMs = 60_000): Promise<void> {
  const targets = await Promise.all(writers.map((name) => withConnection(hosts.find((h) => h.name === name)!, monitor, async (c) =>
    (await queryRows<any>(c, 'SELECT @@gtid_binlog_pos AS pos'))[0].pos as string)));
  await waitFor(`every host to apply ${targets.join(' and ')}`, timeoutMs, async () => {
    const status = await readClusterStatus(hosts, monitor);
    return status.every((h) => h.reachable && targets.every((t) => hasReached(h.gtidCurrentPos ?? '', t))) ? true : undefined;
  });
}

/** Replication healthy and caught up with the writers, then every table has one checksum on every host. */
export async function expectAllHostsEqual(hosts: NamedEndpoint[], writers: string[], monitor: Login, login: Login, tables: string[]): Promise<void> {
  await waitForHealthyReplication(hosts, monitor, 90_000);
  await waitForConvergence(hosts, writers, monitor, 90_000);
  for (const table of tables) {
    const digests = await tableDigests(hosts, login, table);
    const checksums = new Set(digests.map((d) => d.checksum)).size;
    // Which host differs, and by how many rows, when they differ.
    expect({ table, checksums, ...(checksums > 1 ? { digests } : {}) }).toEqual({ table, checksums: 1 });
  }
}

export interface TableDigest {
  readonly host: string;
  readonly rows: number;
  readonly checksum: string;
}

/** Row count and CHECKSUM TABLE of one table on every host. */
export function tableDigests(hosts: NamedEndpoint[], login: Login, table: string): Promise<TableDigest[]> {
  return Promise.all(hosts.map((h) => withConnection(h, login, async (c) => {
    const [sum] = await queryRows<any>(c, `CHECKSUM TABLE \`${table}\``);
    const [count] = await queryRows<any>(c, `SELECT COUNT(*) AS n FROM \`${table}\``);
    return { host: h.name, rows: Number(count.n), checksum: String(sum.Checksum) };
  })));
}

/** Tokens from `tokens` that the host does not hold. */
export async function missingTokens(host: NamedEndpoint, login: Login, table: string, tokens: string[]): Promise<string[]> {
  if (tokens.length === 0) return [];
  return withConnection(host, login, async (c) => {
    const present = new Set<string>();
    for (let i = 0; i < tokens.length; i += 500) {
      const batch = tokens.slice(i, i + 500);
      const rows = await queryRows<any>(c, `SELECT token FROM \`${table}\` WHERE token IN (?)`, [batch]);
      rows.forEach((r) => present.add(r.token));
    }
    return tokens.filter((t) => !present.has(t));
  });
}

export interface CounterAudit {
  readonly host: string;
  /** The counter's value. */
  readonly counter: number;
  /** Committed increments (one token row each). */
  readonly increments: number;
}

/** The COUNTER workload's state on every host: with one writer at a time, counter equals increments. */
export function counterAudit(hosts: NamedEndpoint[], login: Login, table: string): Promise<CounterAudit[]> {
  return Promise.all(hosts.map((h) => withConnection(h, login, async (c) => {
    const [counter] = await queryRows<any>(c, `SELECT n FROM \`${counterTable(table)}\` WHERE id = 1`);
    const [count] = await queryRows<any>(c, `SELECT COUNT(*) AS n FROM \`${table}\``);
    return { host: h.name, counter: Number(counter.n), increments: Number(count.n) };
  })));
}

/** Workers that saw more than `limit` writes fail or end unknown, with what they saw. */
export function workersWithMoreErrorsThan(records: WriteRecord[], limit: number): string[] {
  const byWorker = new Map<string, WriteRecord[]>();
  for (const r of records.filter((x) => x.outcome !== WriteOutcome.OK)) byWorker.set(r.worker, [...(byWorker.get(r.worker) ?? []), r]);
  return [...byWorker.entries()].filter(([, rs]) => rs.length > limit).map(([w, rs]) => `${w}: ${rs.map((r) => `${r.outcome} ${r.error}`).join(', ')}`);
}

/**
 * The counter workload lost no update: on every host the counter equals the committed increments
 * (two writers would lose some silently), and the committed increments since `incrementsBefore`
 * are the acknowledged ones plus at most the writes whose outcome the client could not know
 * (counted from the servers' state, not guessed). With `acknowledgedDurable` (semi-sync, or no
 * crash) every acknowledged increment must be there; without it (asynchronous replication and a
 * writer that died) those that never left it are counted and returned instead.
 */
export async function expectNoLostUpdate(hosts: NamedEndpoint[], login: Login, table: string, counts: WriteRecord[], incrementsBefore = 0, acknowledgedDurable = true): Promise<{ audit: CounterAudit[]; lostWithWriter: number }> {
  const audit = await counterAudit(hosts, login, table);
  const acknowledged = counts.filter((r) => r.outcome === WriteOutcome.OK);
  const unknown = counts.filter((r) => r.outcome === WriteOutcome.UNKNOWN).length;
  let lostWithWriter = 0;
  for (const [i, a] of audit.entries()) {
    expect(a).toEqual({ host: a.host, counter: a.increments, increments: a.increments });
    const missing = (await missingTokens(hosts[i], login, table, acknowledged.map((r) => r.token))).length;
    if (acknowledgedDurable) expect(missing).toBe(0);
    lostWithWriter = Math.max(lostWithWriter, missing);
    expect(a.increments - incrementsBefore - (acknowledged.length - missing)).toBeGreaterThanOrEqual(0);
    expect(a.increments - incrementsBefore - (acknowledged.length - missing)).toBeLessThanOrEqual(unknown);
  }
  return { audit, lostWithWriter };
}
