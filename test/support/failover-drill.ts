// Failure drills shared by the live tests and the benchmarks: kill the active master under a
// bounded load, and measure what clients saw and what the survivor holds.
import { EndpointLoadOptions, runEndpointLoad, summarize, LoadSummary, Workload, WriteOutcome, WriteRecord } from './load/endpoint-load';
import { hasReached } from '../../src/operator/gtid';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { run } from '../../src/process';
import { readHostStatus } from '../../src/operator/replication-status';
import { missingTokens } from './cluster-checks';
import { HaDeployment } from './ha-deployment';
import { waitFor } from './live-stack';

export const DRILL_TABLE = 'orders';

export function drillLoad(ha: HaDeployment, durationMs: number, overrides: Partial<EndpointLoadOptions> = {}): Promise<WriteRecord[]> {
  return runEndpointLoad({
    endpoint: ha.endpoint, login: ha.app, table: DRILL_TABLE, heldConnections: 4, recycledConnections: 4, recycleEvery: 20,
    durationMs, maxWritesPerWorker: 20_000, pauseMs: 5, ...overrides,
  });
}

/** The counter workload (held and new connections incrementing one row) beside the insert load, both through the endpoint. */
export function hardLoad(ha: HaDeployment, counterTable: string, durationMs: number, stopWhen?: () => boolean): Promise<[WriteRecord[], WriteRecord[]]> {
  return Promise.all([
    drillLoad(ha, durationMs, { table: counterTable, workload: Workload.COUNTER, heldConnections: 2, recycledConnections: 2, recycleEvery: 1, pauseMs: 20, stopWhen }),
    drillLoad(ha, durationMs, { stopWhen }),
  ]);
}

export const acked = (records: WriteRecord[]) => records.filter((r) => r.outcome === WriteOutcome.OK);

/** Committed increments on a host (or on the writer, through the endpoint): the baseline of the next load's audit. */
export function incrementsOn(ha: HaDeployment, host: string | undefined, counterTable: string): Promise<number> {
  return withConnection(host ? ha.host(host) : ha.endpoint, ha.app, async (c) => Number((await queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${counterTable}`))[0].n));
}

/** Applies the saved plan `tfplan` under the counter and insert workloads through the endpoint, which outlast the apply. */
export async function applyUnderHardLoad(ha: HaDeployment, counterTable: string, maxMs = 180_000): Promise<{ counts: WriteRecord[]; inserts: WriteRecord[]; before: number }> {
  const before = await incrementsOn(ha, undefined, counterTable);
  const [counts, inserts] = await ha.live.applyUnderLoad((stopWhen) => hardLoad(ha, counterTable, maxMs, stopWhen), maxMs);
  return { counts, inserts, before };
}

/** No insert failed on a duplicate key, and every acknowledged insert is on every host. */
export async function expectNoDuplicateKeys(ha: HaDeployment, inserts: WriteRecord[]): Promise<void> {
  expect(inserts.filter((r) => r.errno === 1062 || /Duplicate entry/.test(r.error ?? '')).map((r) => r.error)).toEqual([]);
  const acknowledged = acked(inserts).map((r) => r.token);
  expect(acknowledged.length).toBeGreaterThan(100);
  for (const h of ha.hosts) expect(await missingTokens(h, ha.app, DRILL_TABLE, acknowledged)).toEqual([]);
}

export interface KillResult {
  readonly records: WriteRecord[];
  readonly summary: LoadSummary;
  /** When `docker kill` started. */
  readonly killedAt: number;
  /** When `docker kill` returned: the victim is dead, nothing started later can commit on it. */
  readonly deadAt: number;
  /** Acknowledged writes that started before the kill (they went to the victim). */
  readonly ackedBeforeKill: string[];
}

/** Runs the load, kills `victim`'s container `killAfterMs` into it, and waits for the load to end. */
export async function killUnderLoad(ha: HaDeployment, victim: string, durationMs: number, killAfterMs: number): Promise<KillResult> {
  const loading = drillLoad(ha, durationMs);
  await new Promise((r) => setTimeout(r, killAfterMs));
  const killStarted = Date.now();
  await run('docker', ['kill', `${ha.live.dockerPrefix}-${victim}`], { timeoutMs: 30_000 });
  const deadAt = Date.now();
  const records = await loading;
  return {
    records,
    summary: summarize(records),
    killedAt: killStarted,
    deadAt,
    ackedBeforeKill: acked(records).filter((r) => r.endedAt < killStarted).map((r) => r.token),
  };
}

/**
 * Milliseconds from `since` to the first write committed on `host` itself (by its server clock,
 * which containers share with the client): when writes really resumed on the survivor.
 */
export async function firstWriteOn(ha: HaDeployment, host: string, serverId: number, since: number): Promise<number | undefined> {
  const [row] = await withConnection(ha.host(host), ha.app, (c) => queryRows<any>(c,
    `SELECT UNIX_TIMESTAMP(MIN(created_at)) * 1000 AS first FROM ${DRILL_TABLE} WHERE written_on = ? AND created_at >= FROM_UNIXTIME(?)`,
    [serverId, since / 1000]));
  return row.first === null ? undefined : Math.round(Number(row.first) - since);
}

/** Waits until the host has applied everything its replication threads received. */
export async function waitRelayApplied(ha: HaDeployment, name: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(`${name} to apply its relay log`, timeoutMs, async () => {
    const s = await readHostStatus(ha.host(name), ha.monitor);
    return s.reachable && s.channels.every((c) => hasReached(s.gtidCurrentPos ?? '', c.gtidIoPos)) ? true : undefined;
  });
}

/** Acknowledged writes (tokens) the survivor does not hold once it has applied all it received. */
export async function lostAcknowledged(ha: HaDeployment, survivor: string, tokens: string[]): Promise<string[]> {
  await waitRelayApplied(ha, survivor);
  return missingTokens(ha.host(survivor), ha.app, DRILL_TABLE, tokens);
}
