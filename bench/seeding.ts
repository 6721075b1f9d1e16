// Adding a replica to a cluster that holds SEED_GB (default 1) GB: seeded with mariabackup from a
// running host (this library's default) against replaying every binary log from the first
// (`seedNewHosts: false`), same data, same run. Each time runs from `terraform apply` until the new
// replica holds everything its source had logged when the apply started.
import { hasReached } from '../src/operator/gtid';
import { queryRows, withConnection } from '../src/operator/sql-client';
import { runChecked } from '../src/process';
import { readHostStatus } from '../src/operator/replication-status';
import { waitForConvergence } from '../test/support/cluster-checks';
import { haDeployment } from '../test/support/ha-deployment';
import { waitFor } from '../test/support/live-stack';
import { fmt } from './stats';
import { LIVE_SLOTS } from '../test/support/live-slots';

const GB = Number(process.env.SEED_GB ?? 1);
const PREFIX = LIVE_SLOTS.benchSeeding.prefix;
const ROWS_PER_BATCH = 100_000;
const ROW_BYTES = 1000;

const ha = haDeployment({ ...LIVE_SLOTS.benchSeeding, withEndpoint: false });
const root = (host: string, sql: string, timeoutMs = 30 * 60_000) =>
  runChecked('docker', ['exec', '-i', `${PREFIX}-${host}`, 'mariadb', '--user=root', '--batch', '--skip-column-names', 'shop'], { timeoutMs, input: `${sql}\n` });

/** Incompressible rows on db-a, in batches of ROWS_PER_BATCH, until the table holds GB gigabytes. */
async function load(): Promise<{ tableGb: number; binlogGb: number; seconds: number }> {
  const started = Date.now();
  await root('db-a', 'CREATE TABLE bulk (id BIGINT AUTO_INCREMENT PRIMARY KEY, payload VARBINARY(1024) NOT NULL) ENGINE=InnoDB;');
  const batches = Math.ceil((GB * 1024 ** 3) / (ROWS_PER_BATCH * ROW_BYTES));
  for (let i = 0; i < batches; i++) {
    await root('db-a', `INSERT INTO bulk (payload) SELECT RANDOM_BYTES(${ROW_BYTES}) FROM seq_1_to_${ROWS_PER_BATCH};`);
  }
  await waitForConvergence(ha.hosts, ['db-a', 'db-b'], ha.monitor, 30 * 60_000);
  const size = await root('db-a', "SELECT data_length + index_length FROM information_schema.tables WHERE table_schema = 'shop' AND table_name = 'bulk';");
  const logs = await root('db-a', 'SHOW BINARY LOGS;');
  const binlogBytes = logs.stdout.trim().split('\n').reduce((sum, line) => sum + Number(line.split('\t')[1] ?? 0), 0);
  return { tableGb: Number(size.stdout.trim()) / 1024 ** 3, binlogGb: binlogBytes / 1024 ** 3, seconds: (Date.now() - started) / 1000 };
}

/** Adds a replica of db-a and times it from the apply until it holds what db-a had logged then (and the copy step alone, when seeded). */
async function addReplica(name: string, seed: boolean): Promise<{ seconds: number; copySeconds?: number }> {
  ha.addReplica(name, 'db-a', seed);
  const target = await withConnection(ha.host('db-a'), ha.monitor, async (c) => (await queryRows<any>(c, 'SELECT @@gtid_binlog_pos AS pos'))[0].pos as string);
  const started = Date.now();
  const apply = await ha.live.terraform(['apply', '-input=false', '-auto-approve'], 60 * 60_000);
  const copy = /seeded \S+ from \S+ at GTID \S+ in ([\d.]+) s/.exec(apply.stdout);
  await waitFor(`${name} to catch up with db-a`, 60 * 60_000, async () => {
    const status = await readHostStatus(ha.host(name), ha.monitor);
    return status.reachable && hasReached(status.gtidCurrentPos ?? '', target) ? true : undefined;
  }, 200);
  return { seconds: (Date.now() - started) / 1000, copySeconds: copy ? Number(copy[1]) : undefined };
}

async function main(): Promise<void> {
  try {
    await ha.live.deploy();
    const data = await load();
    console.log(`seeding benchmark: db-a holds ${fmt(data.tableGb, 2)} GB in one table (binary logs ${fmt(data.binlogGb, 2)} GB), loaded and replicated in ${fmt(data.seconds)} s`);
    const replayed = await addReplica('replayed', false);
    const seeded = await addReplica('seeded', true);
    console.log(`  add a replica, replaying the binary logs from the first: ${fmt(replayed.seconds)} s`);
    console.log(`  add a replica, seeded by mariabackup from a running host: ${fmt(seeded.seconds)} s (the copy: backup, stream, prepare ${fmt(seeded.copySeconds ?? NaN)} s)`);
    console.log(`ratio replay/seeded: ${fmt(replayed.seconds / seeded.seconds, 2)}x`);
  } finally {
    await ha.live.destroy().catch(() => undefined);
  }
}

main().catch((error) => { console.error(error); process.exit(1); });
