// Unplanned failover by the monitor, on local Docker: one writer at a time from the first start;
// the writer killed or frozen under the counter workload; a returning master that stays read-only
// and rejoins (its extra transactions discarded, or applied); a replica whose source is lost.
import { main } from '../../src/commands/cli';
import { counterDdl, summarize, trackedWritesTableDdl } from '../support/load/endpoint-load';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { run } from '../../src/process';
import { readClusterStatus, readHostStatus } from '../../src/operator/replication-status';
import { collectStatus, writerOf } from '../../src/commands/status';
import { endpointServing } from '../../src/routes/haproxy-route';
import { expectAllHostsEqual, expectNoLostUpdate, missingTokens, tableDigests, waitForConvergence, waitForHealthyReplication } from '../support/cluster-checks';
import { acked, DRILL_TABLE, drillLoad, hardLoad as hardLoadOf, waitRelayApplied } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { freezeContainer, waitFor, withContainerLogs } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.failover.prefix;
const COUNTER_TABLE = 'increments';
const ha = haDeployment({ ...LIVE_SLOTS.failover });
const { hosts, monitor, app } = ha;
const container = (name: string) => `${PREFIX}-${name}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The cluster's description output, read once it is deployed. */
let description: any;

jest.setTimeout(10 * 60_000);

const hardLoad = (durationMs: number) => hardLoadOf(ha, COUNTER_TABLE, durationMs);

/** The one writable master, by the servers' word (as `status` finds it). */
async function writerNow(): Promise<string | undefined> {
  return writerOf(description, await readClusterStatus(hosts, monitor));
}

async function tool(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await ha.withToolPasswords(() => main([...args, '--cluster', PREFIX, '--stack-dir', ha.live.dir], (s) => lines.push(s), (s) => lines.push(s)));
  return { code, output: lines.join('\n') };
}

/** A transaction only `host` commits (as root, past read_only): what a master lost as the writer committed but never sent. */
async function commitOnlyOn(host: string): Promise<void> {
  await run('docker', ['exec', '-i', container(host), 'mariadb', '--user=root', 'shop'], {
    timeoutMs: 20_000,
    input: `BEGIN; UPDATE ${COUNTER_TABLE}_counter SET n = n + 1 WHERE id = 1; INSERT INTO ${COUNTER_TABLE} (token, written_on, worker) VALUES (CONCAT('extra-', @@server_id, '-', FLOOR(RAND() * 1000000000)), @@server_id, 'extra'); COMMIT;\n`,
  });
}

const expectAllEqual = () => expectAllHostsEqual(hosts, ['db-a', 'db-b'], monitor, app, [DRILL_TABLE, COUNTER_TABLE, `${COUNTER_TABLE}_counter`]);

/** Committed increments now, read on the writer: the baseline of the next load's audit. */
async function incrementsNow(): Promise<number> {
  const writer = (await writerNow())!;
  return withConnection(ha.host(writer), app, async (c) => Number((await queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER_TABLE}`))[0].n));
}

const monitorLog = async () => (await run('docker', ['logs', container('monitor')], { timeoutMs: 20_000 })).stdout;

describe('failover by the monitor on local Docker', () => {
  const live = ha.live;

  beforeAll(async () => {
    await live.deploy();
    description = await live.output(`${PREFIX}_cluster`);
    await withConnection(ha.endpoint, app, async (c) => {
      for (const ddl of [trackedWritesTableDdl(DRILL_TABLE), ...counterDdl(COUNTER_TABLE)]) await c.query(ddl);
    });
    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor);
  });

  afterAll(async () => {
    await live?.destroy();
  });

  const withLogs = <T>(work: () => Promise<T>): Promise<T> => withContainerLogs([...hosts.map((h) => container(h.name)), container('monitor')], work);

  test('from the first start exactly one master is writable; a client bypassing the endpoint cannot write to the standby', async () => {
    expect(await writerNow()).toBe('db-a');
    const status = await readClusterStatus(hosts, monitor);
    expect(status.map((s) => [s.name, s.readOnly])).toEqual([['db-a', false], ['db-b', true], ['analytics', true]]);
    const direct = await withConnection(ha.host('db-b'), app, (c) => c.query(`INSERT INTO ${DRILL_TABLE} (token, written_on, worker) VALUES ('bypass', @@server_id, 'x')`)).catch((e) => e);
    expect(direct).toMatchObject({ errno: 1290 });
    await waitFor('the monitor to learn the writer', 10_000, async () => ((await monitorLog()).includes('the writer is db-a') ? true : undefined));
  });

  test('a writer frozen for less than the detection budget is not failed over', () => withLogs(async () => {
    const before = await incrementsNow();
    const loading = hardLoad(6_000);
    await sleep(1_500);
    await freezeContainer(container('db-a'));
    await sleep(1_500);
    await run('docker', ['unpause', container('db-a')], { timeoutMs: 20_000 });
    const [counts, inserts] = await loading;
    console.log(`short pause (1.5 s): counter ${JSON.stringify(summarize(counts))}; inserts ${JSON.stringify(summarize(inserts))}`);
    expect(await writerNow()).toBe('db-a');
    expect(await monitorLog()).not.toMatch(/failover/);
    await waitForConvergence(hosts, ['db-a', 'db-b'], monitor);
    await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts, before);
  }));

  test('losing the analytics replica\'s source under load: the replica follows the writer by GTID and ends equal', () => withLogs(async () => {
    // The replica follows db-b, the standby; the writer is db-a.
    const loading = drillLoad(ha, 12_000);
    await sleep(3_000);
    const killedAt = Date.now();
    await run('docker', ['kill', container('db-b')], { timeoutMs: 30_000 });
    const followsAt = await waitFor('analytics to replicate from db-a', 30_000, async () => {
      const s = await readHostStatus(ha.host('analytics'), monitor);
      return s.channels.some((c) => c.connectionName === 'db-a' && c.ioRunning === 'Yes' && c.sqlRunning === 'Yes') ? Date.now() : undefined;
    }, 100);
    const inserts = await loading;
    console.log(`replica re-pointed ${followsAt - killedAt} ms after its source was killed; inserts ${JSON.stringify(summarize(inserts))}`);
    const survivors = hosts.filter((h) => h.name !== 'db-b');
    await waitForConvergence(survivors, ['db-a'], monitor);
    const digests = await tableDigests(survivors, app, DRILL_TABLE);
    expect(new Set(digests.map((d) => d.checksum)).size).toBe(1);
    expect(digests[0].rows).toBe(digests[1].rows);
    // The standby returns and replicates again; the replica stays with the writer until rejoin
    // puts it back on its planned source.
    await run('docker', ['start', container('db-b')], { timeoutMs: 60_000 });
    await waitForHealthyReplication(hosts, monitor, 90_000);
    expect((await collectStatus(description, monitor)).verdict.warnings.join('\n')).toMatch(/analytics replicates from db-a instead of db-b/);
    const rejoined = await tool(['rejoin', '--host', 'db-b']);
    expect(rejoined.output).toMatch(/analytics replicates from db-b again, as planned\ndone: db-b is a standby of db-a again/);
    await expectAllEqual();
    expect((await readHostStatus(ha.host('analytics'), monitor)).channels.map((c) => c.connectionName)).toEqual(['db-b']);
  }));

  test('killing the writer under the counter workload (asynchronous): the monitor promotes the standby after its relay log; the survivors agree and lose no update', () => withLogs(async () => {
    const before = await incrementsNow();
    const loading = hardLoad(14_000);
    await sleep(4_000);
    const killedAt = Date.now();
    await run('docker', ['kill', container('db-a')], { timeoutMs: 30_000 });
    const promotedAt = await waitFor('db-b to become the writer', 30_000, async () => ((await writerNow()) === 'db-b' ? Date.now() : undefined), 100);
    const [counts, inserts] = await loading;
    console.log(`kill (async): promoted ${promotedAt - killedAt} ms after the kill; counter ${JSON.stringify(summarize(counts))}; inserts ${JSON.stringify(summarize(inserts))}`);
    await waitFor('the endpoint to send writes to db-b', 10_000, async () => ((await endpointServing(description, monitor).catch(() => undefined)) === 'db-b' ? true : undefined));
    expect(acked(counts).filter((r) => r.startedAt > promotedAt).length).toBeGreaterThan(20);
    expect(summarize(inserts).duplicateKeyErrors).toBe(0);
    const survivors = hosts.filter((h) => h.name !== 'db-a');
    await waitRelayApplied(ha, 'analytics');
    await waitForConvergence(survivors, ['db-b'], monitor);
    // Asynchronous replication cannot keep a write the dead writer acknowledged but never sent
    // (semi-sync does: semi-sync.test.ts); everything else holds: the counter equals the committed
    // increments on every survivor, every write acknowledged after the promotion is there, the
    // survivors are identical.
    const { audit, lostWithWriter } = await expectNoLostUpdate(survivors, app, COUNTER_TABLE, counts, before, false);
    const afterPromotion = acked(inserts).filter((r) => r.startedAt > promotedAt).map((r) => r.token);
    for (const h of survivors) expect(await missingTokens(h, app, DRILL_TABLE, afterPromotion)).toEqual([]);
    const lostInserts = (await missingTokens(ha.host('db-b'), app, DRILL_TABLE, acked(inserts).map((r) => r.token))).length;
    console.log(`kill (async): counter audit ${JSON.stringify(audit)}; acknowledged but never sent by the dead writer: ${lostWithWriter} increments, ${lostInserts} inserts`);
    for (const table of [DRILL_TABLE, COUNTER_TABLE, `${COUNTER_TABLE}_counter`]) {
      expect(new Set((await tableDigests(survivors, app, table)).map((d) => d.checksum)).size).toBe(1);
    }
    expect(await monitorLog()).toMatch(/failover done: db-b is the writer/);
  }));

  test('the returning master is read-only and sends nothing to the writer; status lists its extra transactions; rejoin discards them', () => withLogs(async () => {
    await run('docker', ['start', container('db-a')], { timeoutMs: 60_000 });
    await waitFor('db-a to answer', 90_000, async () => ((await readHostStatus(ha.host('db-a'), monitor)).reachable ? true : undefined));
    expect((await readHostStatus(ha.host('db-a'), monitor)).readOnly).toBe(true);
    await commitOnlyOn('db-a');
    await sleep(2_000);
    const report = await collectStatus(description, monitor);
    console.log(`returning master: extra ${JSON.stringify(report.extra)}`);
    expect(report.writer).toBe('db-b');
    expect(Number(report.extra['db-a']?.count)).toBeGreaterThanOrEqual(1);
    expect(report.verdict.problems.join('\n')).toMatch(/db-a: \d+ transactions the writer db-b lacks \(1-1-\d+/);
    const extraOnWriter = await withConnection(ha.host('db-b'), app, (c) => queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER_TABLE} WHERE worker = 'extra'`));
    expect(Number(extraOnWriter[0].n)).toBe(0);

    const started = Date.now();
    const rejoined = await tool(['rejoin', '--host', 'db-a']);
    console.log(`rejoin (rebuild) in ${Date.now() - started} ms:\n${rejoined.output}`);
    expect(rejoined).toMatchObject({ code: 0 });
    expect(rejoined.output).toMatch(/done: db-a is a standby of db-b again; its \d+ extra transactions were discarded \(rebuilt from db-b\)/);
    await expectAllEqual();
    const extras = await withConnection(ha.host('db-a'), app, (c) => queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER_TABLE} WHERE worker = 'extra'`));
    expect(Number(extras[0].n)).toBe(0);
    expect((await collectStatus(description, monitor)).verdict).toMatchObject({ healthy: true });
  }));

  test('failing over back, and rejoin --apply-extra applies a returning master\'s extra transactions on the writer', () => withLogs(async () => {
    await run('docker', ['kill', container('db-b')], { timeoutMs: 30_000 });
    await waitFor('db-a to become the writer', 30_000, async () => ((await writerNow()) === 'db-a' ? true : undefined), 100);
    await run('docker', ['start', container('db-b')], { timeoutMs: 60_000 });
    await waitFor('db-b to answer', 90_000, async () => ((await readHostStatus(ha.host('db-b'), monitor)).reachable ? true : undefined));
    await commitOnlyOn('db-b');
    const rejoined = await tool(['rejoin', '--host', 'db-b', '--apply-extra']);
    console.log(`rejoin (apply):\n${rejoined.output}`);
    expect(rejoined).toMatchObject({ code: 0 });
    expect(rejoined.output).toMatch(/done: db-b is a standby of db-a again; its 1 extra transactions were applied on db-a/);
    await expectAllEqual();
    const extras = await withConnection(ha.host('db-a'), app, (c) => queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER_TABLE} WHERE worker = 'extra'`));
    expect(Number(extras[0].n)).toBe(1);
  }));

  test('a writer frozen for longer than the detection budget is failed over, and takes no writes when it resumes', () => withLogs(async () => {
    const before = await incrementsNow();
    const loading = hardLoad(20_000);
    await sleep(3_000);
    await freezeContainer(container('db-a'));
    const promotedAt = await waitFor('db-b to become the writer', 30_000, async () => {
      const s = await readHostStatus(ha.host('db-b'), monitor);
      return s.readOnly === false ? Date.now() : undefined;
    }, 100);
    await sleep(2_000);
    await run('docker', ['unpause', container('db-a')], { timeoutMs: 20_000 });
    const resumedAt = Date.now();
    const [counts, inserts] = await loading;
    console.log(`long pause: failed over, resumed ${resumedAt - promotedAt} ms after; counter ${JSON.stringify(summarize(counts))}; inserts ${JSON.stringify(summarize(inserts))}`);
    expect(await writerNow()).toBe('db-b');
    expect((await readHostStatus(ha.host('db-a'), monitor)).readOnly).toBe(true);
    // No write started after it resumed committed on it.
    const late = acked(inserts).filter((r) => r.startedAt > resumedAt).map((r) => r.token);
    expect(late.length).toBeGreaterThan(20);
    const onOld = await withConnection(ha.host('db-a'), app, (c) => queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${DRILL_TABLE} WHERE token IN (?) AND written_on = 1`, [late]));
    expect(Number(onOld[0].n)).toBe(0);
    const survivors = hosts.filter((h) => h.name !== 'db-a');
    await waitForConvergence(survivors, ['db-b'], monitor);
    // Asynchronous: a write acknowledged just before the freeze may never have left the writer.
    const { lostWithWriter } = await expectNoLostUpdate(survivors, app, COUNTER_TABLE, counts, before, false);
    console.log(`long pause: acknowledged increments that never left the frozen writer: ${lostWithWriter}`);
    // Whatever it committed from statements in flight when it froze is discarded by rejoin.
    const rejoined = await tool(['rejoin', '--host', 'db-a']);
    console.log(`rejoin after the long pause:\n${rejoined.output}`);
    expect(rejoined).toMatchObject({ code: 0 });
    await expectAllEqual();
    await expectNoLostUpdate(hosts, app, COUNTER_TABLE, counts, before, false);
  }));
});
