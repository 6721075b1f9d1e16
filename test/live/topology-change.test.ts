// Topology changes applied to a live cluster through `terraform apply`, under the counter workload:
// a replica re-pointed to another source (and given a delay) in place, by GTID; a replica added
// after every binary log was purged, seeded from a running host with mariabackup; a third master
// added (seeded, its peers connected to it, every key slot moved live) and removed again, its
// removal refused while it was the writer.
import { counterDdl, trackedWritesTableDdl } from '../support/load/endpoint-load';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { runChecked } from '../../src/process';
import { readHostStatus } from '../../src/operator/replication-status';
import { writeFileSync } from 'fs';
import { join } from 'path';
import { WriteRecord } from '../support/load/endpoint-load';
import { main } from '../../src/commands/cli';
import { expectAllHostsEqual, expectNoLostUpdate, waitForConvergence } from '../support/cluster-checks';
import { applyUnderHardLoad, DRILL_TABLE, expectNoDuplicateKeys as expectNoDuplicateKeysOn, hardLoad, incrementsOn as incrementsOnHost } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { waitFor, withContainerLogs } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.topologyChange.prefix;
const COUNTER_TABLE = 'increments';
const ha = haDeployment({ ...LIVE_SLOTS.topologyChange });
const { hosts, monitor, app, live } = ha;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const containerId = async (name: string) => (await runChecked('docker', ['inspect', '-f', '{{.Id}}', `${PREFIX}-${name}`], { timeoutMs: 20_000 })).stdout.trim();

jest.setTimeout(10 * 60_000);

const plannedChanges = () => live.plannedChanges();

/**
 * `mariadb-ha review --plan` of the saved plan: the deployed cluster against the planned one, with
 * the plan's resource changes (kept in PLAN_REVIEWS_DIR when set, for release notes).
 */
async function reviewOfPlan(kind: string): Promise<string> {
  const output: string[] = [];
  expect(await main(['review', '--plan', join(live.dir, 'tfplan'), '--stack-dir', live.dir], (l) => output.push(l))).toBe(0);
  const markdown = output.join('\n');
  if (process.env.PLAN_REVIEWS_DIR) writeFileSync(join(process.env.PLAN_REVIEWS_DIR, `${kind}.md`), markdown);
  return markdown;
}

const incrementsOn = (host: string) => incrementsOnHost(ha, host, COUNTER_TABLE);

async function analyticsChannels() {
  return (await readHostStatus(ha.host('analytics'), monitor)).channels
    .map((c) => ({ source: c.connectionName, io: c.ioRunning, sql: c.sqlRunning, delay: c.sqlDelay }));
}

const expectAllEqual = () => expectAllHostsEqual(hosts, ha.masters, monitor, app, [DRILL_TABLE, COUNTER_TABLE, `${COUNTER_TABLE}_counter`]);

/** Each master's replication connections (sorted) and key slot, as the servers report them. */
async function mastersState(): Promise<Record<string, { sources: string[]; slot: string; running: boolean }>> {
  const state: Record<string, { sources: string[]; slot: string; running: boolean }> = {};
  for (const name of ha.masters) {
    const status = await readHostStatus(ha.host(name), monitor);
    const [row] = await withConnection(ha.host(name), monitor, (c) => queryRows<any>(c, 'SELECT @@GLOBAL.auto_increment_increment AS i, @@GLOBAL.auto_increment_offset AS o'));
    state[name] = {
      sources: status.channels.map((c) => c.connectionName).sort(),
      slot: `${row.i}/${row.o}`,
      running: status.channels.every((c) => c.ioRunning === 'Yes' && c.sqlRunning === 'Yes'),
    };
  }
  return state;
}

/** The key slot a master's config file holds (what a restart would come back with). */
async function configuredSlot(name: string): Promise<string> {
  const config = (await runChecked('docker', ['exec', `${PREFIX}-${name}`, 'cat', '/etc/mysql/ha/server.cnf'], { timeoutMs: 20_000 })).stdout;
  return `${/^auto_increment_increment = (\d+)$/m.exec(config)?.[1]}/${/^auto_increment_offset = (\d+)$/m.exec(config)?.[1]}`;
}

const expectNoDuplicateKeys = (inserts: WriteRecord[]) => expectNoDuplicateKeysOn(ha, inserts);
const applyUnderLoad = () => applyUnderHardLoad(ha, COUNTER_TABLE);

const withLogs = <T>(work: () => Promise<T>): Promise<T> => withContainerLogs(hosts.map((h) => `${PREFIX}-${h.name}`), work, () => live.applyProgress());

describe('topology changes on a live cluster', () => {
  beforeAll(async () => {
    await live.deploy();
    await withConnection(ha.endpoint, app, async (c) => {
      for (const ddl of [trackedWritesTableDdl(DRILL_TABLE), ...counterDdl(COUNTER_TABLE)]) await c.query(ddl);
    });
    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor);
  });

  afterAll(async () => {
    await live?.destroy();
  });

  test('deployed as planned, re-applying changes nothing', async () => {
    expect(await analyticsChannels()).toEqual([{ source: 'db-b', io: 'Yes', sql: 'Yes', delay: 0 }]);
    expect(await plannedChanges()).toEqual([]);
  });

  test('re-pointing a replica is planned in place: its repoint step is replaced, no container is', () => withLogs(async () => {
    ha.moveAnalytics('db-a');
    expect(await plannedChanges()).toEqual([expect.stringMatching(/^terraform_data\.tclive_analytics-sources_\w+: delete,create$/)]);
    expect(await reviewOfPlan('repoint-replica')).toContain('**analytics** moves to db-a on the running host, by GTID');
  }));

  test('applied under the counter workload: the replica follows db-a by GTID in its own container, every host equal, no lost update', () => withLogs(async () => {
    const before = await containerId('analytics');
    const loading = hardLoad(ha, COUNTER_TABLE, 12_000);
    await sleep(2_000);
    live.lastApply = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']);
    const [counts] = await loading;
    expect(live.lastApply.stdout).toContain('analytics now replicates from db-a');
    expect(await containerId('analytics')).toBe(before);
    expect(await analyticsChannels()).toEqual([{ source: 'db-a', io: 'Yes', sql: 'Yes', delay: 0 }]);
    await expectAllEqual();
    await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts);
  }));

  test('back to db-b with a delay, in place; afterwards the plan is empty', () => withLogs(async () => {
    ha.moveAnalytics('db-b', 2);
    expect(await plannedChanges()).toEqual([expect.stringMatching(/^terraform_data\.tclive_analytics-sources_\w+: delete,create$/)]);
    live.lastApply = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']);
    expect(live.lastApply.stdout).toContain('analytics now replicates from db-b, 2 s behind');
    expect(await analyticsChannels()).toEqual([{ source: 'db-b', io: 'Yes', sql: 'Yes', delay: 2 }]);
    await sleep(3_000);
    await expectAllEqual();
    expect(await plannedChanges()).toEqual([]);
  }));

  test('a replica added after every host purged its binary logs is seeded from a running host and ends equal, no lost update', () => withLogs(async () => {
    await hardLoad(ha, COUNTER_TABLE, 3_000);
    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor);
    // Replaying from the first transaction is no longer possible anywhere: each host keeps one binary
    // log (a log a replica is still reading is purged once it has moved to the new one).
    const rootSql = (host: string, sql: string) => runChecked('docker', ['exec', '-i', `${PREFIX}-${host}`, 'mariadb', '--user=root', '--batch', '--skip-column-names'], { timeoutMs: 30_000, input: `${sql}\n` });
    for (const h of hosts) await rootSql(h.name, 'FLUSH BINARY LOGS;');
    for (const h of hosts) {
      await waitFor(`${h.name} to keep one binary log`, 30_000, async () => {
        const logs = await rootSql(h.name, 'PURGE BINARY LOGS BEFORE NOW(); SHOW BINARY LOGS;');
        return logs.stdout.trim().split('\n').length === 1 ? true : undefined;
      });
    }
    ha.addReplica('reports', 'db-a');
    const changes = await plannedChanges();
    expect(changes.filter((c) => / (delete|update)/.test(c) && !/monitor/.test(c))).toEqual([]);
    expect(changes).toEqual(expect.arrayContaining([expect.stringMatching(/^docker_container\.tclive_reports_\w+: create$/), expect.stringMatching(/^terraform_data\.tclive_reports-seed_\w+: create$/)]));
    expect(await reviewOfPlan('add-replica')).toContain('**reports** (read replica of db-a, server_id 102)');
    const before = await incrementsOn('db-a');
    const loading = hardLoad(ha, COUNTER_TABLE, 12_000);
    await sleep(1_000);
    live.lastApply = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']);
    const [counts] = await loading;
    expect(live.lastApply.stdout).toMatch(/seeded tclive-reports-data from tclive-db-a at GTID [0-9-,]+ in [\d.]+ s/);
    await expectAllEqual();
    await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts, before);
    expect((await readHostStatus(ha.host('reports'), monitor)).channels.map((c) => c.connectionName)).toEqual(['db-a']);
  }));
  test('a third master is planned as additions and one replaced writers step: no running host is rebuilt', () => withLogs(async () => {
    ha.addMaster('db-c');
    const changes = await plannedChanges();
    // The endpoint and monitor learn of db-c; the membership instances store the new master list (for leave).
    expect(changes.filter((c) => / (delete|update)/.test(c) && !/writer_|monitor|membership_\w+\["db-[ab]"\]: update$/.test(c))).toEqual([expect.stringMatching(/^terraform_data\.tclive_writers_\w+: delete,create$/)]);
    expect(changes).toEqual(expect.arrayContaining([...['db-c', 'db-c-data', 'db-c-seed']
      .map((name) => expect.stringMatching(new RegExp(`^(docker_container|docker_volume|terraform_data)\\.tclive_${name}_\\w+: create$`))),
    expect.stringMatching(/^terraform_data\.tclive_membership_\w+\["db-c"\]: create$/)]));
    const review = await reviewOfPlan('add-master');
    expect(review).toContain('**db-c** (master, server_id 3, GTID domain 3, auto_increment_offset 3)');
    expect(review).toContain('db-a 2/1 → 6/1 → 3/1; db-b 2/2 → 6/2 → 3/2');
    expect(review).toMatch(/## Terraform plan\n\n\d+ to add, \d+ to change in place, \d+ to replace, 0 to destroy\n/);
    expect(review).toMatch(/- `terraform_data\.tclive_writers_\w+`: replaced/);
  }));

  test('added under the counter and insert workloads: seeded, meshed, every key slot moved live, no duplicate key, no lost update', () => withLogs(async () => {
    const kept = await Promise.all(['db-a', 'db-b', 'analytics'].map(containerId));
    const { counts, inserts, before } = await applyUnderLoad();
    expect(live.lastApply!.stdout).toMatch(/seeded tclive-db-c-data from tclive-db-\w at GTID/);
    expect(live.lastApply!.stdout).toContain('db-a: increment 2 offset 1 -> increment 6 offset 1');
    expect(live.lastApply!.stdout).toContain('db-b: increment 6 offset 2 -> increment 3 offset 2');
    expect(await Promise.all(['db-a', 'db-b', 'analytics'].map(containerId))).toEqual(kept);
    expect(await mastersState()).toEqual({
      'db-a': { sources: ['db-b', 'db-c'], slot: '3/1', running: true },
      'db-b': { sources: ['db-a', 'db-c'], slot: '3/2', running: true },
      'db-c': { sources: ['db-a', 'db-b'], slot: '3/3', running: true },
    });
    expect(await configuredSlot('db-a')).toBe('3/1');
    await waitForConvergence(hosts, ha.masters, monitor);
    await expectAllEqual();
    await expectNoDuplicateKeys(inserts);
    await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts, before);
    // The writer numbers new keys in its new slot.
    const id = await withConnection(ha.endpoint, app, async (c) => Number(((await c.query(`INSERT INTO ${DRILL_TABLE} (token, written_on, worker) VALUES ('slot-probe', @@server_id, 'probe')`)) as any)[0].insertId));
    expect(id % 3).toBe(1);
    expect(await plannedChanges()).toEqual([]);
  }));

  test('with writes moved to db-c (the active-master variable), its removal is refused: by the plan, and by leave, which the apply runs first', () => withLogs(async () => {
    const toDbC = ['-var', `${PREFIX}_active_master=db-c`];
    await live.terraform(['plan', '-input=false', '-out=tfplan', ...toDbC]);
    live.lastApply = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']);
    expect((await readHostStatus(ha.host('db-c'), monitor)).readOnly).toBe(false);
    const meshed = await mastersState();
    // What the apply runs before destroying a removed master's container:
    const output: string[] = [];
    const code = await ha.withToolPasswords(() => main(['leave', '--cluster', PREFIX, '--stack-dir', live.dir, '--host', 'db-c'], (l) => output.push(l), (l) => output.push(l)));
    expect({ code, output: output.join('\n') }).toEqual({ code: 1, output: expect.stringContaining('refused: db-c is the writer of tclive; move the writes first') });
    expect(await mastersState()).toEqual(meshed);
    ha.removeMaster('db-c');
    const planned = await live.terraform(['plan', '-input=false', ...toDbC]).then(() => 'planned', (error: Error) => error.message);
    expect(planned).toContain('tclive_active_master must be a promotion candidate: db-a, db-b.');
    ha.addMaster('db-c');
  }));

  test('writes moved back, db-c leaves under load: fenced, caught up, no channel to it remains, the others\' key slots move back live', () => withLogs(async () => {
    await live.terraform(['plan', '-input=false', '-out=tfplan']);
    live.lastApply = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']);
    expect((await readHostStatus(ha.host('db-a'), monitor)).readOnly).toBe(false);
    ha.removeMaster('db-c');
    const changes = await plannedChanges();
    expect(changes).toEqual(expect.arrayContaining([...['db-c', 'db-c-data']
      .map((name) => expect.stringMatching(new RegExp(`^(docker_container|docker_volume)\\.tclive_${name}_\\w+: delete$`))),
    expect.stringMatching(/^terraform_data\.tclive_membership_\w+\["db-c"\]: delete$/)]));
    const review = await reviewOfPlan('remove-master');
    expect(review).toContain('**db-c** is removed: its container and its data volume are destroyed by this apply; first it leaves');
    expect(review).toContain('removed db-c → db-a');
    const { counts, inserts, before } = await applyUnderLoad();
    expect(live.lastApply!.stdout).toContain('db-c left tclive: db-a, db-b no longer replicate from it');
    expect(live.lastApply!.stdout).toContain('db-a: increment 3 offset 1 -> increment 6 offset 1');
    expect(await mastersState()).toEqual({
      'db-a': { sources: ['db-b'], slot: '2/1', running: true },
      'db-b': { sources: ['db-a'], slot: '2/2', running: true },
    });
    expect(await configuredSlot('db-b')).toBe('2/2');
    await waitForConvergence(hosts, ha.masters, monitor);
    await expectAllEqual();
    await expectNoDuplicateKeys(inserts);
    await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts, before);
    expect(await plannedChanges()).toEqual([]);
  }));
  test('removing a replica destroys only what is its own; the others are untouched and equal', () => withLogs(async () => {
    ha.removeReplica('reports');
    const changes = await plannedChanges();
    // The monitor re-points replicas, so it learns the replica list again.
    expect(changes.filter((c) => !/^docker_container\.writer_monitor_\w+: delete,create$|monitor-revision/.test(c)).every((c) => /\.tclive_reports(-\w+)?_\w+: delete$/.test(c))).toBe(true);
    expect(changes).toEqual(expect.arrayContaining([expect.stringMatching(/^docker_container\.tclive_reports_\w+: delete$/), expect.stringMatching(/^docker_volume\.tclive_reports-data_\w+: delete$/)]));
    expect(await reviewOfPlan('remove-replica')).toContain('**reports** is removed: its container and its data volume are destroyed by this apply');
    live.lastApply = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']);
    await expectAllEqual();
    expect(await plannedChanges()).toEqual([]);
  }));
});
