// The writer endpoint on local Docker: a planned switchover driven by `terraform apply` under load,
// a refused switchover, and the loss of the active master under load, then its return.
import { main } from '../../src/tools/cli';
import { summarize, trackedWritesTableDdl, WriteOutcome } from '../../src/tools/endpoint-load';
import { queryRows, withConnection } from '../../src/tools/mariadb-client';
import { run } from '../../src/tools/process';
import { channelHealthy, readClusterStatus } from '../../src/tools/replication-status';
import { endpointServing } from '../../src/tools/switchover';
import { missingTokens, tableDigests, waitForConvergence, waitForHealthyReplication } from '../support/cluster-checks';
import { acked, DRILL_TABLE, drillLoad, killUnderLoad, lostAcknowledged } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { containerLogs } from '../support/live-stack';

const PREFIX = 'eplive';
const TABLE = DRILL_TABLE;
const SERVER_ID = { 'db-a': 1, 'db-b': 2 } as const;
const ha = haDeployment({ prefix: PREFIX, subnetOctet: 30, port: 24400 });
const { hosts, monitor, app, endpoint, passwords } = ha;
const host = ha.host;

jest.setTimeout(10 * 60_000);

const load = (durationMs: number) => drillLoad(ha, durationMs);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('writer endpoint on local Docker', () => {
  const live = ha.live;
  let description: any;

  beforeAll(async () => {
    await live.deploy();
    description = await live.output(`${PREFIX}_cluster`);
    await withConnection(endpoint, app, (c) => c.query(trackedWritesTableDdl(TABLE)));
    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor);
  });

  afterAll(async () => {
    await live?.destroy();
  });

  test('the endpoint serves the declared active master, and a second plan shows no changes', async () => {
    expect(await endpointServing(description, monitor)).toBe('db-a');
    const plan = await run('terraform', ['plan', '-input=false', '-no-color', '-detailed-exitcode'], { cwd: live.dir, env: live.environment, timeoutMs: 120_000 });
    expect({ code: plan.code, stdout: plan.stdout.slice(-500) }).toMatchObject({ code: 0 });
  });

  test('switching by variable plans only the endpoint switch: nothing is destroyed or restarted', async () => {
    await live.terraform(['plan', '-input=false', `-var=${PREFIX}_active_master=db-b`, '-out=switch.plan']);
    const shown = await live.terraform(['show', '-json', 'switch.plan']);
    const changes = JSON.parse(shown.stdout).resource_changes
      .filter((c: any) => c.change.actions.join() !== 'no-op')
      .map((c: any) => `${c.type} ${c.change.actions.join('+')}`);
    expect(changes).toEqual(['terraform_data delete+create']);
  });

  test('a planned switchover under load: no failed writes, no duplicate keys, identical data', async () => {
    const loading = load(12_000);
    await sleep(4_000);
    const switchedAt = Date.now();
    const apply = await live.terraform(['apply', '-input=false', '-auto-approve', `-var=${PREFIX}_active_master=db-b`]);
    const switchedBy = Date.now();
    const records = await loading;
    const summary = summarize(records);
    const problems = records.filter((r) => r.outcome !== WriteOutcome.OK).map((r) => `${r.worker} ${r.outcome} ${r.error} at +${r.startedAt - switchedAt} ms`);
    console.log(`planned switchover under load: ${JSON.stringify(summary)}; apply took ${switchedBy - switchedAt} ms; ${problems.join('; ')}`);
    expect(apply.stdout).toMatch(/done: writes now go to db-b/);
    expect(summary).toMatchObject({ failed: 0, unknown: 0, duplicateKeyErrors: 0 });
    expect(summary.ok).toBeGreaterThan(500);

    expect(await endpointServing(description, monitor)).toBe('db-b');
    const reached = await withConnection(endpoint, app, async (c) => Number((await queryRows<any>(c, 'SELECT @@server_id AS id'))[0].id));
    expect(reached).toBe(SERVER_ID['db-b']);

    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor);
    const digests = await tableDigests(hosts, app, TABLE);
    expect(new Set(digests.map((d) => d.checksum)).size).toBe(1);
    expect(digests.map((d) => d.rows)).toEqual(hosts.map(() => digests[0].rows));
    expect(await missingTokens(host('analytics'), app, TABLE, acked(records).map((r) => r.token))).toEqual([]);
  });

  test('the tool refuses to promote a host that is not a candidate, and changes nothing', async () => {
    const output: string[] = [];
    process.env.MARIADB_HA_MONITOR_PASSWORD = passwords.monitor;
    try {
      const code = await main(['switchover', '--cluster', PREFIX, '--stack-dir', live.dir, '--to', 'analytics'], (s) => output.push(s), (s) => output.push(s));
      expect(code).toBe(1);
    } finally {
      delete process.env.MARIADB_HA_MONITOR_PASSWORD;
    }
    expect(output.join('\n')).toMatch(/refused, nothing was changed:\n {2}- analytics is not a promotion candidate \(candidates: db-a, db-b\)/);
    expect(await endpointServing(description, monitor)).toBe('db-b');
  });

  test('losing the active master under load: writes resume on the standby, the replica keeps replicating, the old master returns without writes', async () => {
    // Back to db-a by the reviewed default (no -var), so the kill hits the master the replica does not follow.
    await live.terraform(['apply', '-input=false', '-auto-approve']);
    expect(await endpointServing(description, monitor)).toBe('db-a');

    const kill = await killUnderLoad(ha, 'db-a', 14_000, 4_000);
    const afterKill = acked(kill.records).filter((r) => r.startedAt >= kill.killedAt);
    console.log(`failover under load: ${JSON.stringify(kill.summary)}`);
    expect(afterKill.length).toBeGreaterThan(100);
    expect(kill.summary.duplicateKeyErrors).toBe(0);
    expect(await endpointServing(description, monitor)).toBe('db-b');

    // What the standby holds of the old master's acknowledged writes, before it returns.
    const lost = await lostAcknowledged(ha, 'db-b', kill);
    console.log(`asynchronous replication: ${lost.length} of ${kill.ackedBeforeKill.length} acknowledged writes on db-a not on db-b at failover`);
    await waitForConvergence(hosts.filter((h) => h.name !== 'db-a'), ['db-b'], monitor);
    expect(await missingTokens(host('analytics'), app, TABLE, afterKill.map((r) => r.token))).toEqual([]);

    // The old master returns: replication resumes both ways, and it takes no application writes.
    await run('docker', ['start', `${PREFIX}-db-a`], { timeoutMs: 60_000 });
    await waitForHealthyReplication(hosts, monitor, 90_000).catch(async (e) => { throw new Error(`${e}\n${await containerLogs(hosts.map((h) => `${PREFIX}-${h.name}`))}`); });
    await sleep(2_000); // the endpoint's checks see db-a healthy again
    const later = await load(3_000);
    expect(summarize(later)).toMatchObject({ failed: 0, unknown: 0 });
    const writtenOn = await withConnection(host('db-b'), app, (c) => queryRows<any>(c,
      `SELECT DISTINCT written_on FROM ${TABLE} WHERE token IN (?)`, [acked(later).map((r) => r.token)]));
    expect(writtenOn.map((r) => Number(r.written_on))).toEqual([SERVER_ID['db-b']]);

    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor, 90_000);
    const digests = await tableDigests(hosts, app, TABLE);
    expect(new Set(digests.map((d) => d.checksum)).size).toBe(1);
    const status = await readClusterStatus(hosts, monitor);
    expect(status.flatMap((h) => h.channels).every(channelHealthy)).toBe(true);
  });
});
