// The Galera cluster on local Docker, measured: commit throughput and latency of the 3-node cluster
// (through its endpoint, one writer node) against one MariaDB server with the same settings and no
// synchronous step (the writer of a two-master asynchronous cluster: its commit waits for its own
// binary log and fsync only), same load, alternating rounds in one process; time from `terraform
// apply` to every node synced; time for a killed node to rejoin once the others wrote meanwhile;
// the write gap when the endpoint's pinned node is killed under the counter workload; and the time
// from the last node started to every node synced after every node was killed (the monitor restarts
// the cluster by itself).
import { counterDdl, runEndpointLoad, summarize, trackedWritesTableDdl, WriteOutcome, WriteRecord, Workload } from '../test/support/load/endpoint-load';
import { Endpoint, queryRows, withConnection } from '../src/operator/sql-client';
import { readGaleraState } from '../src/operator/replication-status';
import { runChecked } from '../src/process';
import { galeraDeployment } from '../test/support/galera-deployment';
import { haDeployment } from '../test/support/ha-deployment';
import { waitFor } from '../test/support/live-stack';
import { fmt, median } from './stats';
import { LIVE_SLOTS, slotAddress } from '../test/support/live-slots';

const ROUNDS = Number(process.env.GALERA_ROUNDS ?? 3);
const LOAD_MS = Number(process.env.GALERA_LOAD_MS ?? 10_000);
const CONNECTIONS = 8;
const TABLE = 'bench_commits';
const COUNTER = 'bench_counter';
/** What the issue measured before this work, on the same kind of machine (see the closing note). */
const BEFORE = { gapMs: 6400, recoverySeconds: 194 };

interface LoadFigures {
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failed: number;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CONNECTIONS held connections committing single-row inserts as fast as they can for LOAD_MS. */
async function commitLoad(endpoint: Endpoint, login: Parameters<typeof runEndpointLoad>[0]['login']): Promise<LoadFigures> {
  const records: WriteRecord[] = await runEndpointLoad({
    endpoint, login, table: TABLE, heldConnections: CONNECTIONS, recycledConnections: 0, recycleEvery: 1,
    durationMs: LOAD_MS, maxWritesPerWorker: 1_000_000, pauseMs: 0,
  });
  const ok = records.filter((r) => r.outcome === WriteOutcome.OK);
  const latencies = ok.map((r) => r.endedAt - r.startedAt);
  return { commitsPerSecond: ok.length / (LOAD_MS / 1000), p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), failed: records.length - ok.length };
}

async function main(): Promise<void> {
  const galera = galeraDeployment({ ...LIVE_SLOTS.benchGalera, withReplica: false });
  const single = haDeployment({ ...LIVE_SLOTS.benchSingleServer, withEndpoint: false });
  try {
    await galera.live.terraform(['init', '-input=false']);
    const applyStarted = Date.now();
    const deploying = galera.live.terraform(['apply', '-input=false', '-auto-approve']);
    // Synced: each node, as it is created, until all three are members.
    await waitFor('every node synced', 600_000, async () => {
      const states = await Promise.all(galera.nodes.map((n) => withConnection(galera.host(n), galera.monitor, readGaleraState).catch(() => undefined)));
      return states.every((s) => s?.localState === 'Synced' && s.clusterSize === galera.nodes.length) ? true : undefined;
    }, 100);
    const syncedSeconds = (Date.now() - applyStarted) / 1000;
    await deploying;
    const applySeconds = (Date.now() - applyStarted) / 1000;
    await single.live.deploy();
    for (const [endpoint, login] of [[galera.endpoint, galera.app], [single.host('db-a'), single.app]] as const) {
      await withConnection(endpoint, login, (c) => c.query(trackedWritesTableDdl(TABLE)));
    }

    const rounds: Array<{ galera: LoadFigures; single: LoadFigures }> = [];
    for (let i = 0; i < ROUNDS; i++) {
      const g = await commitLoad(galera.endpoint, galera.app);
      // The single server is reached at its address on the project's network, as the endpoint is.
      const s = await commitLoad({ host: slotAddress(LIVE_SLOTS.benchSingleServer, 10), port: 3306 }, single.app);
      rounds.push({ galera: g, single: s });
    }

    const rejoins: number[] = [];
    const victim = galera.nodes[2];
    for (let i = 0; i < ROUNDS; i++) {
      await runChecked('docker', ['kill', galera.container(victim)], { timeoutMs: 30_000 });
      await waitFor('the survivors to see two members', 60_000, async () => (await withConnection(galera.host(galera.nodes[0]), galera.monitor, readGaleraState)).clusterSize === 2 ? true : undefined, 100);
      // The others commit meanwhile: the returning node has something to catch up with.
      await commitLoad(galera.endpoint, galera.app);
      const started = Date.now();
      await runChecked('docker', ['start', galera.container(victim)], { timeoutMs: 30_000 });
      await waitFor(`${victim} synced again`, 300_000, async () => {
        const s = await withConnection(galera.host(victim), galera.monitor, readGaleraState).catch(() => undefined);
        return s?.localState === 'Synced' && s.clusterSize === galera.nodes.length ? true : undefined;
      }, 100);
      rejoins.push((Date.now() - started) / 1000);
    }

    // The endpoint's pinned node killed under the counter workload: the longest wait between two acknowledged writes.
    await withConnection(galera.endpoint, galera.app, async (c) => { for (const ddl of counterDdl(COUNTER)) await c.query(ddl); });
    const synced = (size: number) => waitFor(`every node synced in one cluster of ${size}`, 300_000, async () => {
      const states = await Promise.all(galera.nodes.map((n) => withConnection(galera.host(n), galera.monitor, readGaleraState).catch(() => undefined)));
      return states.filter((s) => s?.localState === 'Synced' && s.clusterSize === size).length === size ? true : undefined;
    }, 100);
    const counting = (ms: number) => runEndpointLoad({
      endpoint: galera.endpoint, login: galera.app, table: COUNTER, workload: Workload.COUNTER, heldConnections: 2, recycledConnections: 2, recycleEvery: 1,
      durationMs: ms, maxWritesPerWorker: 100_000, pauseMs: 5,
    });
    const gaps: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const pinned = await withConnection(galera.endpoint, galera.app, async (c) => String((await queryRows<any>(c, 'SELECT @@wsrep_node_name AS n'))[0].n));
      const load = counting(8_000);
      await new Promise((r) => setTimeout(r, 3_000));
      await runChecked('docker', ['kill', galera.container(pinned)], { timeoutMs: 30_000 });
      const summary = summarize(await load);
      gaps.push(summary.longestGapMs);
      await runChecked('docker', ['start', galera.container(pinned)], { timeoutMs: 30_000 });
      await synced(galera.nodes.length);
    }

    // Every node killed (one first, under load, then the others) and started again: nobody runs recover.
    const recoveries: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const load = counting(5_000);
      await new Promise((r) => setTimeout(r, 2_000));
      const firstLost = galera.nodes[i % galera.nodes.length];
      await runChecked('docker', ['kill', galera.container(firstLost)], { timeoutMs: 30_000 });
      await load;
      await runChecked('docker', ['kill', ...galera.nodes.filter((n) => n !== firstLost).map((n) => galera.container(n))], { timeoutMs: 30_000 });
      await runChecked('docker', ['start', ...galera.nodes.map((n) => galera.container(n))], { timeoutMs: 60_000 });
      const started = Date.now();
      await synced(galera.nodes.length);
      recoveries.push((Date.now() - started) / 1000);
    }

    const med = (pick: (f: LoadFigures) => number, side: 'galera' | 'single') => median(rounds.map((r) => pick(r[side])));
    console.log(`galera benchmark: 3 Galera nodes (one writer node, through the endpoint) against one server with the same settings and no synchronous step;`);
    console.log(`  ${CONNECTIONS} connections committing single-row inserts for ${LOAD_MS / 1000} s, ${ROUNDS} alternating rounds (medians)`);
    rounds.forEach((r, i) => console.log(`  round ${i + 1}: galera ${fmt(r.galera.commitsPerSecond, 0)} commits/s (p50 ${r.galera.p50Ms} ms, p99 ${r.galera.p99Ms} ms, ${r.galera.failed} failed); single ${fmt(r.single.commitsPerSecond, 0)} commits/s (p50 ${r.single.p50Ms} ms, p99 ${r.single.p99Ms} ms, ${r.single.failed} failed)`));
    console.log(`  throughput: galera ${fmt(med((f) => f.commitsPerSecond, 'galera'), 0)} commits/s, single ${fmt(med((f) => f.commitsPerSecond, 'single'), 0)} commits/s, ratio ${fmt(med((f) => f.commitsPerSecond, 'galera') / med((f) => f.commitsPerSecond, 'single'), 2)}x`);
    console.log(`  latency p50: galera ${med((f) => f.p50Ms, 'galera')} ms, single ${med((f) => f.p50Ms, 'single')} ms; p99: galera ${med((f) => f.p99Ms, 'galera')} ms, single ${med((f) => f.p99Ms, 'single')} ms`);
    console.log(`  deploy: terraform apply to every node synced ${fmt(syncedSeconds)} s (the apply itself ${fmt(applySeconds)} s)`);
    console.log(`  rejoin: a killed node, restarted after ${LOAD_MS / 1000} s of commits on the others, synced again in ${rejoins.map((s) => fmt(s)).join(', ')} s (median ${fmt(median(rejoins))} s)`);
    console.log(`  node loss: the pinned node killed under the counter workload, longest wait between acknowledged writes ${gaps.map((g) => fmt(g / 1000)).join(', ')} s (median ${fmt(median(gaps) / 1000)} s; before: ${fmt(BEFORE.gapMs / 1000)} s, ratio ${fmt(median(gaps) / BEFORE.gapMs, 2)}x)`);
    console.log(`  full loss: every node killed and started, every node synced ${recoveries.map((s) => fmt(s)).join(', ')} s after the last start, with no command (median ${fmt(median(recoveries))} s; before: ${BEFORE.recoverySeconds} s with 'recover' run by hand, ratio ${fmt(median(recoveries) / BEFORE.recoverySeconds, 2)}x)`);
  } finally {
    await galera.live.destroy().catch(() => undefined);
    await single.live.destroy().catch(() => undefined);
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
