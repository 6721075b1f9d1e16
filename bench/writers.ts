// Growing and shrinking the writers of a live N-writer cluster (WriteMode.EVERY_MASTER), with inserts
// on both masters throughout: each round adds a replica (the baseline: a seeded host, no writer
// changes), adds a master, removes it, removes the replica; each a `terraform apply`. Reports medians
// of the apply, of the `writers` step and of `leave`, the longest pause in acknowledged inserts, and
// the ratio of adding a master to adding a replica (same run).
import { runEndpointLoad, summarize, trackedWritesTableDdl } from '../test/support/load/endpoint-load';
import { withConnection } from '../src/operator/sql-client';
import { waitForConvergence } from '../test/support/cluster-checks';
import { haDeployment } from '../test/support/ha-deployment';
import { fmt, median } from './stats';
import { LIVE_SLOTS } from '../test/support/live-slots';

const ROUNDS = Number(process.env.WRITERS_ROUNDS ?? 3);
const ha = haDeployment({ ...LIVE_SLOTS.benchWriters, withEndpoint: false });

interface Step {
  readonly applySeconds: number;
  /** The `writers` step (create) or a master's `leave` (destroy), from Terraform's own timing. */
  readonly toolSeconds?: number;
  readonly longestGapMs: number;
  readonly failed: number;
}

/** Applies `change` while db-a and db-b take inserts (the load stops 2 s after the apply); `tool` finds its step's timing. */
async function step(change: () => void, tool: RegExp): Promise<Step> {
  change();
  await ha.live.terraform(['plan', '-input=false', '-out=tfplan']);
  const records = await ha.live.applyUnderLoad((stopWhen) => Promise.all(['db-a', 'db-b'].map((m) => runEndpointLoad({
    endpoint: ha.host(m), login: ha.app, table: 'orders', heldConnections: 2, recycledConnections: 2, recycleEvery: 10,
    durationMs: 300_000, maxWritesPerWorker: 100_000, pauseMs: 5, stopWhen,
  }))), 300_000);
  const summaries = records.map((r) => summarize(r));
  const timing = tool.exec(ha.live.lastApply!.stdout);
  return {
    applySeconds: ha.live.lastApplyMs / 1000,
    toolSeconds: timing ? Number(timing[1]) : undefined,
    longestGapMs: Math.max(...summaries.map((s) => s.longestGapMs)),
    failed: summaries.reduce((n, s) => n + s.failed, 0),
  };
}

function report(label: string, steps: Step[]): number {
  const apply = median(steps.map((s) => s.applySeconds));
  const tools = steps.map((s) => s.toolSeconds).filter((t): t is number => t !== undefined);
  console.log(`  ${label.padEnd(16)} apply ${fmt(apply)} s${tools.length ? `, its step ${fmt(median(tools))} s` : ''}; longest pause in acknowledged inserts ${fmt(median(steps.map((s) => s.longestGapMs)), 0)} ms; failed inserts ${steps.map((s) => s.failed).join('/')}`);
  return apply;
}

async function main(): Promise<void> {
  try {
    await ha.live.deploy();
    await withConnection(ha.host('db-a'), ha.app, (c) => c.query(trackedWritesTableDdl('orders')));
    await waitForConvergence(ha.hosts, ha.masters, ha.monitor);
    const steps: Record<string, Step[]> = { 'add replica': [], 'add master': [], 'remove master': [], 'remove replica': [] };
    const writersStep = /_writers_\w+: Creation complete after (\d+)s/;
    for (let round = 0; round < ROUNDS; round++) {
      steps['add replica'].push(await step(() => ha.addReplica('reports', 'db-a'), /_reports-seed_\w+: Creation complete after (\d+)s/));
      steps['add master'].push(await step(() => ha.addMaster('db-c'), writersStep));
      steps['remove master'].push(await step(() => ha.removeMaster('db-c'), /_membership_\w+\["db-c"\]: Destruction complete after (\d+)s/));
      steps['remove replica'].push(await step(() => ha.removeReplica('reports'), /_reports_\w+: Destruction complete after (\d+)s/));
    }
    console.log(`writers benchmark: ${ROUNDS} rounds, inserts on db-a and db-b throughout (medians; "its step": seed, writers or leave, Terraform's own timing)`);
    const addReplica = report('add replica', steps['add replica']);
    const addMaster = report('add master', steps['add master']);
    report('remove master', steps['remove master']);
    report('remove replica', steps['remove replica']);
    console.log(`ratio add master / add replica: ${fmt(addMaster / addReplica, 2)}x`);
  } finally {
    await ha.live.destroy().catch(() => undefined);
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
