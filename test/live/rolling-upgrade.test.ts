// A rolling major upgrade of the example, 10.11 to 11.8, through `terraform apply` and reviewed
// changes, under the counter and insert workloads through the endpoint: the replica first, then the
// standby (a newer master, allowed as a candidate explicitly), a switchover to it, then the old
// writer. Each step re-creates one host on the new image with its data volume; nothing acknowledged
// is lost. Then a downgrade is refused by the server and the host comes back on the newer version.
import { join } from 'path';
import { main } from '../../src/commands/cli';
import { readHostStatus } from '../../src/operator/replication-status';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { runChecked } from '../../src/process';
import { counterDdl, summarize, trackedWritesTableDdl } from '../support/load/endpoint-load';
import { expectAllHostsEqual, expectNoLostUpdate, waitForConvergence } from '../support/cluster-checks';
import { applyUnderHardLoad, DRILL_TABLE, expectNoDuplicateKeys } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { containerLogs, withContainerLogs } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.rollingUpgrade.prefix;
const COUNTER_TABLE = 'increments';
const OLD = '10.11';
const NEW = '11.8';
// A refused downgrade fails the apply when the health wait ends: a minute, not the default three.
const ha = haDeployment({ ...LIVE_SLOTS.rollingUpgrade, mariadbVersions: { 'db-a': OLD, 'db-b': OLD, analytics: OLD }, healthyTimeoutSeconds: 60 });
const { hosts, monitor, app, live } = ha;

jest.setTimeout(10 * 60_000);

const withLogs = <T>(work: () => Promise<T>): Promise<T> => withContainerLogs(hosts.map((h) => `${PREFIX}-${h.name}`), work, () => live.applyProgress());
const expectAllEqual = () => expectAllHostsEqual(hosts, ha.masters, monitor, app, [DRILL_TABLE, COUNTER_TABLE, `${COUNTER_TABLE}_counter`]);

/** The server version each host reports, as `major.minor`. */
async function seriesByHost(): Promise<Record<string, string>> {
  const entries = await Promise.all(hosts.map(async (h) => {
    const [row] = await withConnection(h, monitor, (c) => queryRows<any>(c, 'SELECT VERSION() AS v'));
    return [h.name, /^(\d+\.\d+)/.exec(row.v)![1]];
  }));
  return Object.fromEntries(entries);
}

async function reviewOfPlan(): Promise<string> {
  const output: string[] = [];
  expect(await main(['review', '--plan', join(live.dir, 'tfplan'), '--stack-dir', live.dir], (l) => output.push(l))).toBe(0);
  return output.join('\n');
}

/** Applies the saved plan under load and proves nothing acknowledged was lost on any host. */
async function applyStep(step: string): Promise<void> {
  const { counts, inserts, before } = await applyUnderHardLoad(ha, COUNTER_TABLE);
  await waitForConvergence(hosts, ha.masters, monitor);
  await expectAllEqual();
  await expectNoDuplicateKeys(ha, inserts);
  await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts, before);
  const counter = summarize(counts);
  const insert = summarize(inserts);
  console.log(`${step}: apply ${(live.lastApplyMs / 1000).toFixed(1)} s; counter ${counter.attempts} attempts, ${counter.ok} ok, ${counter.failed} failed, ${counter.unknown} unknown;`
    + ` inserts ${insert.attempts}, ${insert.unknown} unknown, longest gap ${insert.longestGapMs} ms`);
  expect(await live.plannedChanges()).toEqual([]);
}

/** The host's container is the only one replaced (the monitor, which knows every host's image, aside). */
function onlyReplaced(changes: string[], host: string): void {
  const replaced = changes.filter((c) => /: (delete,create|create,delete)$/.test(c) && !/monitor/.test(c));
  expect(replaced).toEqual([expect.stringMatching(new RegExp(`^docker_container\\.${PREFIX}_${host}_\\w+: (delete,create|create,delete)$`))]);
  expect(changes.filter((c) => /: delete$/.test(c))).toEqual([]);
}

describe(`a rolling upgrade from MariaDB ${OLD} to ${NEW}, host by host, under load`, () => {
  beforeAll(async () => {
    await live.deploy();
    await withConnection(ha.endpoint, app, async (c) => {
      for (const ddl of [trackedWritesTableDdl(DRILL_TABLE), ...counterDdl(COUNTER_TABLE)]) await c.query(ddl);
    });
    await waitForConvergence(hosts, ha.masters, monitor);
  });

  afterAll(async () => {
    await live?.destroy();
  });

  test(`every host starts on ${OLD}`, async () => {
    expect(await seriesByHost()).toEqual({ 'db-a': OLD, 'db-b': OLD, analytics: OLD });
  });

  test('the replica first: only its container is re-created, on the new image with its data', () => withLogs(async () => {
    ha.setVersions({ analytics: NEW });
    onlyReplaced(await live.plannedChanges(), 'analytics');
    const review = await reviewOfPlan();
    expect(review).toContain(`**analytics** is re-created on MariaDB ${NEW} (was ${OLD}) with its data volume`);
    expect(review).toContain('step 1: upgrade db-b to 11.8 (a master that takes no writes, alone in its apply)');
    await applyStep('analytics');
    expect(await seriesByHost()).toEqual({ 'db-a': OLD, 'db-b': OLD, analytics: NEW });
    const logs = await runChecked('docker', ['logs', `${PREFIX}-analytics`], { timeoutMs: 20_000 });
    expect(logs.stderr).toContain(`upgrading the system tables to MariaDB ${NEW} (data last run by: ${OLD})`);
  }));

  test('the standby next, listed in allowRisky: a newer master is a failover candidate only when allowed', () => withLogs(async () => {
    ha.setVersions({ 'db-b': NEW }, ['db-b']);
    onlyReplaced(await live.plannedChanges(), 'db-b');
    expect(await reviewOfPlan()).toContain('step 1: switch the writes to db-b: set activeMaster to db-b');
    await applyStep('db-b');
    expect(await seriesByHost()).toEqual({ 'db-a': OLD, 'db-b': NEW, analytics: NEW });
  }));

  test('a switchover to the upgraded standby: in place, no host re-created', () => withLogs(async () => {
    ha.setActiveMaster('db-b');
    const changes = await live.plannedChanges();
    expect(changes.filter((c) => /^docker_container\.uplive_/.test(c))).toEqual([]);
    await applyStep('switchover');
    expect((await readHostStatus(ha.host('db-b'), monitor)).readOnly).toBe(false);
    expect((await readHostStatus(ha.host('db-a'), monitor)).readOnly).toBe(true);
  }));

  test('the old writer last: every host on the new version, status healthy, no step left', () => withLogs(async () => {
    ha.setVersions({ 'db-a': NEW });
    onlyReplaced(await live.plannedChanges(), 'db-a');
    expect(await reviewOfPlan()).not.toContain('Rolling upgrade: steps left');
    await applyStep('db-a');
    expect(await seriesByHost()).toEqual({ 'db-a': NEW, 'db-b': NEW, analytics: NEW });
    const output: string[] = [];
    const code = await ha.withToolPasswords(() => main(['status', '--cluster', PREFIX, '--stack-dir', live.dir], (l) => output.push(l), (l) => output.push(l)));
    expect({ code, output: output.join('\n') }).toEqual({ code: 0, output: expect.stringContaining('db-b') });
  }));

  test('a downgrade is refused by the server, which keeps the data; declared again, the host returns equal', () => withLogs(async () => {
    ha.setVersions({ 'db-a': OLD });
    await live.terraform(['plan', '-input=false', '-out=tfplan']);
    const applied = await live.terraform(['apply', '-input=false', '-auto-approve', 'tfplan']).then(() => 'applied', (error: Error) => error.message);
    expect(applied).not.toBe('applied');
    expect(await containerLogs([`${PREFIX}-db-a`])).toContain(`this data was last run by MariaDB ${NEW} and this server is ${OLD}: a downgrade is refused`);
    ha.setVersions({ 'db-a': NEW });
    await live.terraform(['plan', '-input=false', '-out=tfplan']);
    await applyStep('db-a back on 11.8');
    expect(await seriesByHost()).toEqual({ 'db-a': NEW, 'db-b': NEW, analytics: NEW });
  }));
});
