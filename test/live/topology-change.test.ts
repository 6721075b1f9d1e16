// Topology changes applied to a live cluster through `terraform apply`: a replica re-pointed to
// another source (and given a delay) in place, by GTID, under the counter workload.
import { counterDdl, trackedWritesTableDdl } from '../../src/tools/endpoint-load';
import { withConnection } from '../../src/tools/mariadb-client';
import { runChecked } from '../../src/tools/process';
import { readHostStatus } from '../../src/tools/replication-status';
import { expectAllHostsEqual, expectNoLostUpdate, waitForConvergence } from '../support/cluster-checks';
import { DRILL_TABLE, hardLoad } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { containerLogs } from '../support/live-stack';

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
});
