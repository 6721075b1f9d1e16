// Switchover and failover as clients see them, through the writer endpoint under a bounded load of
// 4 held connections (reconnect only after an error) and 4 recycled ones (new connection every 20
// writes), one write each every ~5 ms.
//  - planned switchover: this library's (one writer at a time, with a write window it reports)
//    against the seed's checklist run in the same process (old master read-only first, then the
//    endpoint moves); beside the insert load, 2 held and 2 new-per-write connections increment one
//    counter row, and lost updates are counted;
//  - unplanned failover by the monitor (docker kill of the active master, the counter workload
//    beside the inserts), asynchronous against semi-sync; the killed master is rejoined after;
//  - the monitor's cost: write throughput with the monitor running against it paused, same run.

import { counterDdl, summarize, trackedWritesTableDdl, Workload, WriteOutcome, WriteRecord } from '../test/support/load/endpoint-load';
import { withConnection } from '../src/operator/sql-client';
import { run } from '../src/process';
import { switchover } from '../src/commands/switchover';
import { endpointServing } from '../src/routes/haproxy-route';
import { rejoin } from '../src/commands/rejoin';
import { readHostStatus } from '../src/operator/replication-status';
import { counterAudit, missingTokens, waitForConvergence, waitForHealthyReplication } from '../test/support/cluster-checks';
import { DRILL_TABLE, drillLoad, firstWriteOn, killUnderLoad, lostAcknowledged } from '../test/support/failover-drill';
import { HaDeployment, haDeployment } from '../test/support/ha-deployment';
import { waitFor } from '../test/support/live-stack';
import { fmt, median } from './stats';
import { LIVE_SLOTS } from '../test/support/live-slots';

const ROUNDS = Number(process.env.FAILOVER_ROUNDS ?? 3);
/** Kills of the writer: the headline figure, so more rounds. */
const KILL_ROUNDS = Number(process.env.KILL_ROUNDS ?? 5);
/** Short freezes of the writer that must not fail over. */
const PAUSE_ROUNDS = Number(process.env.PAUSE_ROUNDS ?? 10);
const SHORT_PAUSE_MS = 1_500;
const LOAD_MS = 8_000;
/** A failover takes the detection budget and more: the load runs long enough for writes to resume. */
const FAILOVER_LOAD_MS = 15_000;
const EVENT_AT_MS = 3_000;

interface Row {
  gapMs: number; failed: number; unknown: number; unknownCommitted: number; resumedMs?: number; lost?: number; acked: number;
  /** Counter workload: increments committed but missing from the counter (silently lost updates). */
  lostUpdates?: number;
  /** Most failed or unknown writes one connection saw. */
  worstWorker?: number;
  /** How long the switchover held new connections. */
  windowMs?: number;
  /** From the kill of a replica's source until the replica replicates from the writer. */
  repointedMs?: number;
}

const COUNTER_TABLE = 'increments';

async function prepare(ha: HaDeployment): Promise<any> {
  await ha.live.deploy();
  await withConnection(ha.endpoint, ha.app, async (c) => {
    for (const ddl of [trackedWritesTableDdl(DRILL_TABLE), ...counterDdl(COUNTER_TABLE)]) await c.query(ddl);
  });
  await waitForConvergence(ha.hosts, ['db-a', 'db-b'], ha.monitor);
  return ha.live.output(`${ha.live.dockerPrefix}_cluster`);
}

/** Unknown outcomes that committed, by the state of `writer` once every reachable host caught up with it. */
async function resolveUnknown(ha: HaDeployment, records: WriteRecord[], writer = 'db-b'): Promise<number> {
  const unknown = records.filter((r) => r.outcome === WriteOutcome.UNKNOWN).map((r) => r.token);
  await waitForConvergence(ha.hosts.filter((h) => h.name === writer || h.name === 'analytics'), [writer], ha.monitor, 90_000);
  return unknown.length - (await missingTokens(ha.host(writer), ha.app, DRILL_TABLE, unknown)).length;
}

/** Increments committed but missing from the counter, on the host that took the writes (once `hosts` caught up with it). */
async function missingIncrements(ha: HaDeployment, host: string, hosts = ['db-a', 'db-b', 'analytics']): Promise<number> {
  await waitForConvergence(ha.hosts.filter((h) => hosts.includes(h.name)), [host], ha.monitor, 90_000);
  const [audit] = await counterAudit([ha.host(host)], ha.app, COUNTER_TABLE);
  return audit.increments - audit.counter;
}

function worstWorker(records: WriteRecord[]): number {
  const counts = new Map<string, number>();
  for (const r of records.filter((x) => x.outcome !== WriteOutcome.OK)) counts.set(r.worker, (counts.get(r.worker) ?? 0) + 1);
  return Math.max(0, ...counts.values());
}

function quietSwitchover(ha: HaDeployment, description: any, target: string) {
  return switchover({ description, target, monitor: ha.monitor, operator: ha.operator, maxLagSeconds: 5, catchUpTimeoutSeconds: 10, waitHealthySeconds: 60, progress: () => undefined });
}

async function setReadOnly(ha: HaDeployment, host: string, on: boolean): Promise<void> {
  await run('docker', ['exec', `${ha.live.dockerPrefix}-${host}`, 'mariadb', '-e', `SET GLOBAL read_only = ${on ? 'ON' : 'OFF'}`], { timeoutMs: 20_000 });
}

async function plannedRound(ha: HaDeployment, description: any, checklist: boolean): Promise<Row> {
  const from = await endpointServing(description, ha.monitor);
  const to = from === 'db-a' ? 'db-b' : 'db-a';
  const lostBefore = await missingIncrements(ha, from);
  const loading = drillLoad(ha, LOAD_MS);
  // The hard workload beside it: held and new connections incrementing one row.
  const counting = drillLoad(ha, LOAD_MS, { table: COUNTER_TABLE, workload: Workload.COUNTER, heldConnections: 2, recycledConnections: 2, recycleEvery: 1, pauseMs: 20 });
  await new Promise((r) => setTimeout(r, EVENT_AT_MS));
  if (checklist) await setReadOnly(ha, from, true); // the seed's step: stop writes on the old master first
  const result = await quietSwitchover(ha, description, to);
  if (result.outcome !== 'done') throw new Error(`switchover ${from} -> ${to}: ${result.message}`);
  const [records, counts] = await Promise.all([loading, counting]);
  const s = summarize([...records, ...counts]);
  return {
    gapMs: s.longestGapMs, failed: s.failed, unknown: s.unknown, unknownCommitted: await resolveUnknown(ha, records), acked: s.ok,
    lostUpdates: (await missingIncrements(ha, to)) - lostBefore, worstWorker: worstWorker([...records, ...counts]), windowMs: result.windowMs,
  };
}

/** Waits for a restarted master to answer, then rejoins it (rebuilt from the writer if it has extra transactions). */
async function rejoinWhenBack(ha: HaDeployment, description: any, host: string): Promise<void> {
  await waitFor(`${host} to answer`, 120_000, async () => ((await readHostStatus(ha.host(host), ha.monitor)).reachable ? true : undefined));
  const rejoined = await rejoin({
    description, host, monitor: ha.monitor, operator: ha.operator, replicationPassword: ha.passwords.replication,
    applyExtra: false, catchUpTimeoutSeconds: 120, progress: () => undefined,
  });
  if (rejoined.outcome !== 'done') throw new Error(`rejoin ${host}: ${rejoined.message}`);
}

async function failoverRound(ha: HaDeployment, description: any): Promise<Row> {
  const victim = await endpointServing(description, ha.monitor);
  const survivor = victim === 'db-a' ? 'db-b' : 'db-a';
  const lostBefore = await missingIncrements(ha, victim);
  const counting = drillLoad(ha, FAILOVER_LOAD_MS, { table: COUNTER_TABLE, workload: Workload.COUNTER, heldConnections: 2, recycledConnections: 2, recycleEvery: 1, pauseMs: 20 });
  const kill = await killUnderLoad(ha, victim, FAILOVER_LOAD_MS, EVENT_AT_MS);
  const counts = await counting;
  const lost = (await lostAcknowledged(ha, survivor, kill.ackedBeforeKill)).length;
  const resumedMs = await firstWriteOn(ha, survivor, survivor === 'db-a' ? 1 : 2, kill.killedAt);
  const lostUpdates = (await missingIncrements(ha, survivor, [survivor, 'analytics'])) - lostBefore;
  const unknownCommitted = await resolveUnknown(ha, kill.records, survivor);
  // The killed master returns read-only; rejoin makes it a standby again (rebuilt if it has extra
  // transactions), then a switchover moves writes back for the next round.
  await run('docker', ['start', `${ha.live.dockerPrefix}-${victim}`], { timeoutMs: 60_000 });
  await rejoinWhenBack(ha, description, victim);
  await waitForHealthyReplication(ha.hosts, ha.monitor, 120_000);
  const back = await quietSwitchover(ha, description, victim);
  if (back.outcome !== 'done') throw new Error(`switching back to ${victim}: ${back.message}`);
  return {
    gapMs: kill.summary.longestGapMs, failed: kill.summary.failed, unknown: kill.summary.unknown, unknownCommitted, resumedMs, lost,
    acked: kill.ackedBeforeKill.length, lostUpdates, worstWorker: worstWorker([...kill.records, ...counts]),
  };
}

/**
 * The analytics replica's source (the standby) killed under the insert load: milliseconds until the
 * replica replicates from the writer, and whether it then holds every acknowledged write.
 */
async function repointRound(ha: HaDeployment, description: any): Promise<Row> {
  const writer = await endpointServing(description, ha.monitor);
  const source = writer === 'db-a' ? 'db-b' : 'db-a';
  const loading = drillLoad(ha, LOAD_MS);
  await new Promise((r) => setTimeout(r, EVENT_AT_MS));
  const killedAt = Date.now();
  await run('docker', ['kill', `${ha.live.dockerPrefix}-${source}`], { timeoutMs: 30_000 });
  const followsAt = await waitFor('analytics to replicate from the writer', 60_000, async () => {
    const s = await readHostStatus(ha.host('analytics'), ha.monitor);
    return s.channels.some((c) => c.connectionName === writer && c.ioRunning === 'Yes' && c.sqlRunning === 'Yes') ? Date.now() : undefined;
  }, 50);
  const records = await loading;
  await waitForConvergence(ha.hosts.filter((h) => h.name !== source), [writer], ha.monitor, 90_000);
  const lost = (await missingTokens(ha.host('analytics'), ha.app, DRILL_TABLE, records.filter((r) => r.outcome === WriteOutcome.OK).map((r) => r.token))).length;
  await run('docker', ['start', `${ha.live.dockerPrefix}-${source}`], { timeoutMs: 60_000 });
  // Rejoin puts the replica back on its planned source.
  await rejoinWhenBack(ha, description, source);
  await waitForHealthyReplication(ha.hosts, ha.monitor, 120_000);
  const s = summarize(records);
  return { gapMs: s.longestGapMs, failed: s.failed, unknown: s.unknown, unknownCommitted: 0, lost, acked: s.ok, repointedMs: followsAt - killedAt };
}

/**
 * The writer frozen for SHORT_PAUSE_MS under the insert load: whether the monitor failed over
 * (it must not: a freeze shorter than the detection budget is not a loss).
 */
async function pauseRound(ha: HaDeployment, description: any): Promise<boolean> {
  const writer = await endpointServing(description, ha.monitor);
  const failoversBefore = (await monitorLog(ha)).split('failover done').length;
  const loading = drillLoad(ha, 6_000);
  await new Promise((r) => setTimeout(r, 2_000));
  await run('docker', ['pause', `${ha.live.dockerPrefix}-${writer}`], { timeoutMs: 20_000 });
  await new Promise((r) => setTimeout(r, SHORT_PAUSE_MS));
  await run('docker', ['unpause', `${ha.live.dockerPrefix}-${writer}`], { timeoutMs: 20_000 });
  await loading;
  // Past the detection budget: a failover the freeze set off would be done by now.
  await new Promise((r) => setTimeout(r, 4_000));
  const failedOver = (await monitorLog(ha)).split('failover done').length > failoversBefore;
  if (failedOver) {
    const other = writer === 'db-a' ? 'db-b' : 'db-a';
    await rejoinWhenBack(ha, description, writer);
    await waitForHealthyReplication(ha.hosts, ha.monitor, 120_000);
    const back = await quietSwitchover(ha, description, writer);
    if (back.outcome !== 'done') throw new Error(`switching back from ${other} to ${writer}: ${back.message}`);
  }
  return failedOver;
}

async function monitorLog(ha: HaDeployment): Promise<string> {
  return (await run('docker', ['logs', `${ha.live.dockerPrefix}-monitor`], { timeoutMs: 20_000 })).stdout;
}

/** Acknowledged writes per second over one bounded load, with the monitor running or paused. */
async function throughput(ha: HaDeployment, monitorRunning: boolean): Promise<number> {
  const monitor = `${ha.live.dockerPrefix}-monitor`;
  if (!monitorRunning) await run('docker', ['pause', monitor], { timeoutMs: 20_000 });
  try {
    const records = await drillLoad(ha, 6_000, { pauseMs: 0 });
    return summarize(records).ok / 6;
  } finally {
    if (!monitorRunning) await run('docker', ['unpause', monitor], { timeoutMs: 20_000 });
  }
}

function report(label: string, rows: Row[]): void {
  const col = (f: (r: Row) => number | undefined) => rows.map(f).filter((v): v is number => v !== undefined);
  const stat = (f: (r: Row) => number | undefined) => {
    const v = col(f);
    return v.length ? `${fmt(median(v), 0)} (max ${fmt(Math.max(...v), 0)})` : '-';
  };
  console.log(`${label.padEnd(34)} gap ms ${stat((r) => r.gapMs).padEnd(16)} failed ${stat((r) => r.failed).padEnd(12)} unknown ${stat((r) => r.unknown).padEnd(10)}`
    + ` kill->first commit on survivor ms ${stat((r) => r.resumedMs).padEnd(14)} acked lost ${stat((r) => r.lost).padEnd(10)}`
    + ` lost updates ${stat((r) => r.lostUpdates).padEnd(10)} worst connection ${stat((r) => r.worstWorker).padEnd(10)} write window ms ${stat((r) => r.windowMs).padEnd(10)}`
    + ` replica re-pointed ms ${stat((r) => r.repointedMs)}`);
  rows.forEach((r, i) => console.log(`    round ${i + 1}: ${JSON.stringify(r)}`));
}

async function main(): Promise<void> {
  const asyncHa = haDeployment({ ...LIVE_SLOTS.benchFailoverAsync });
  const results: Array<[string, Row[]]> = [];
  const withMonitor: number[] = [];
  const pauses: boolean[] = [];
  const withoutMonitor: number[] = [];
  try {
    const description = await prepare(asyncHa);
    const ours: Row[] = [];
    const checklist: Row[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      ours.push(await plannedRound(asyncHa, description, false));
      checklist.push(await plannedRound(asyncHa, description, true));
    }
    results.push(['planned: mariadb-ha switchover', ours], ['planned: seed checklist (baseline)', checklist]);
    const failovers: Row[] = [];
    for (let i = 0; i < KILL_ROUNDS; i++) failovers.push(await failoverRound(asyncHa, description));
    results.push(['unplanned: async replication', failovers]);
    for (let i = 0; i < PAUSE_ROUNDS; i++) pauses.push(await pauseRound(asyncHa, description));
    const repoints: Row[] = [];
    for (let i = 0; i < ROUNDS; i++) repoints.push(await repointRound(asyncHa, description));
    results.push(['replica\'s source lost (standby)', repoints]);
    // Alternating, so drift in the machine's load hits both sides alike.
    for (let i = 0; i < ROUNDS; i++) {
      withMonitor.push(await throughput(asyncHa, true));
      withoutMonitor.push(await throughput(asyncHa, false));
    }
  } finally {
    // BENCH_KEEP=1 leaves the stack for a look after a failure.
    if (!process.env.BENCH_KEEP) await asyncHa.live.destroy();
  }
  const semiHa = haDeployment({ ...LIVE_SLOTS.benchFailoverSemiSync, semiSyncTimeoutMs: 1000 });
  try {
    const description = await prepare(semiHa);
    const failovers: Row[] = [];
    for (let i = 0; i < ROUNDS; i++) failovers.push(await failoverRound(semiHa, description));
    results.push(['unplanned: semi-sync replication', failovers]);
  } finally {
    await semiHa.live.destroy();
  }
  console.log(`\nwriter endpoint benchmark: ${ROUNDS} rounds each, ${LOAD_MS / 1000} s of load (${FAILOVER_LOAD_MS / 1000} s for a kill of the writer), event at ${EVENT_AT_MS / 1000} s; medians (max)`);
  console.log('gap: longest time between two acknowledged writes; failed: refused or never sent; unknown: sent, answer lost');
  for (const [label, rows] of results) report(label, rows);
  const kills = results.find(([label]) => label === 'unplanned: async replication')![1].map((r) => r.resumedMs).filter((v): v is number => v !== undefined);
  console.log(`\nkill of the writer -> first write committed on the new writer: median ${fmt(median(kills), 0)} ms over ${kills.length} rounds (${kills.map((k) => fmt(k, 0)).join(', ')} ms)`);
  console.log(`writer frozen ${SHORT_PAUSE_MS / 1000} s (detection budget 3 s): failed over in ${pauses.filter(Boolean).length} of ${pauses.length} rounds`);
  const cost = 1 - median(withMonitor) / median(withoutMonitor);
  console.log(`\nmonitor cost: ${fmt(median(withMonitor), 0)} acknowledged writes/s with the monitor running, ${fmt(median(withoutMonitor), 0)} with it paused`
    + ` (medians of ${ROUNDS} alternating 6 s runs, 8 connections without pauses): ${fmt(cost * 100, 1)} % throughput cost`);
}

main().catch((error) => { console.error(error); process.exit(1); });
