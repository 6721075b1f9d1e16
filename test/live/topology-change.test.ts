// Topology changes applied to a live cluster through `terraform apply`, under the counter workload:
// a replica re-pointed to another source (and given a delay) in place, by GTID; a replica added
// after every binary log was purged, seeded from a running host with mariabackup.
import { counterDdl, trackedWritesTableDdl } from '../../src/tools/endpoint-load';
import { queryRows, withConnection } from '../../src/tools/mariadb-client';
import { runChecked } from '../../src/tools/process';
import { readHostStatus } from '../../src/tools/replication-status';
import { expectAllHostsEqual, expectNoLostUpdate, waitForConvergence } from '../support/cluster-checks';
import { DRILL_TABLE, hardLoad } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { containerLogs, waitFor } from '../support/live-stack';

const PREFIX = 'tclive';
const COUNTER_TABLE = 'increments';
const ha = haDeployment({ prefix: PREFIX, subnetOctet: 93, port: 25200 });
const { hosts, monitor, app, live } = ha;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const containerId = async (name: string) => (await runChecked('docker', ['inspect', '-f', '{{.Id}}', `${PREFIX}-${name}`], { timeoutMs: 20_000 })).stdout.trim();

jest.setTimeout(10 * 60_000);

/** Resources a saved plan would change, as `<type>.<name>: <actions>`. */
async function plannedChanges(): Promise<string[]> {
  await live.terraform(['plan', '-input=false', '-out=tfplan']);
  const plan = JSON.parse((await live.terraform(['show', '-json', 'tfplan'])).stdout);
  return plan.resource_changes
    .filter((c: any) => !c.change.actions.every((a: string) => a === 'no-op'))
    .map((c: any) => `${c.type}.${c.name}: ${c.change.actions.join(',')}`);
}

/** Committed increments on a host: the baseline of the next load's audit. */
async function incrementsOn(host: string): Promise<number> {
  return withConnection(ha.host(host), app, async (c) => Number((await queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER_TABLE}`))[0].n));
}

async function analyticsChannels() {
  return (await readHostStatus(ha.host('analytics'), monitor)).channels
    .map((c) => ({ source: c.connectionName, io: c.ioRunning, sql: c.sqlRunning, delay: c.sqlDelay }));
}

const expectAllEqual = () => expectAllHostsEqual(hosts, ['db-a', 'db-b'], monitor, app, [DRILL_TABLE, COUNTER_TABLE, `${COUNTER_TABLE}_counter`]);

const withLogs = async <T>(work: () => Promise<T>): Promise<T> => {
  try {
    return await work();
  } catch (error) {
    throw new Error(`${String(error)}\n${live.lastApply?.stdout.slice(-3000) ?? ''}\n${await containerLogs(hosts.map((h) => `${PREFIX}-${h.name}`))}`);
  }
};

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
});
