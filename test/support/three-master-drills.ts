// Failover with three masters in a mesh: db-a and db-b are candidates, db-c is a DR master (never
// promoted), an analytics replica follows db-b and a backup replica follows db-a an hour behind.
// Asynchronous and semi-synchronous. The writer is killed or frozen under the counter and insert
// workloads, once with the candidate made to receive less of the writer's log than the DR master;
// then the lost writer returns (once while the monitor is still failing over) and rejoins.
// Judged each time: no acknowledged write lost (semi-sync; asynchronous may lose what never left the
// writer), the counter equals the committed increments everywhere, no survivor holds a transaction
// the new writer lacks (before and after the lost writer returns), every surviving connection runs,
// the delayed backup follows the new writer keeping its delay, and all hosts end equal.
import { counterDdl, summarize, trackedWritesTableDdl } from './load/endpoint-load';
import { transactionsAhead } from '../../src/operator/gtid';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { run } from '../../src/process';
import { channelHealthy, readClusterStatus, readHostStatus } from '../../src/operator/replication-status';
import { collectStatus, writerOf } from '../../src/commands/status';
import { main } from '../../src/commands/cli';
import { expectAllHostsEqual, expectNoLostUpdate, waitForConvergence } from './cluster-checks';
import { acked, DRILL_TABLE, hardLoad, waitRelayApplied } from './failover-drill';
import { haDeployment } from './ha-deployment';
import { containerLogLines, freezeContainer, waitFor, withContainerLogs } from './live-stack';
import { LiveSlot } from './live-slots';

const COUNTER_TABLE = 'increments';
const MASTERS = ['db-a', 'db-b', 'db-c'];
const HOUR = 3600;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const drills = (mode: string, settings: LiveSlot & { semiSyncTimeoutMs?: number }) => {
  const ha = haDeployment({ ...settings, masters: MASTERS, drMasters: ['db-c'], backupDelaySeconds: HOUR });
  const semiSync = mode === 'semi-synchronous';
  const container = (name: string) => `${settings.prefix}-${name}`;
  const kept = ['db-a', 'db-b', 'db-c', 'analytics'];
  let description: any;

  const writerNow = async () => writerOf(description, await readClusterStatus(ha.hosts, ha.monitor));
  const monitorLog = async () => (await run('docker', ['logs', container('monitor')], { timeoutMs: 20_000 })).stdout;
  const sql = (host: string, statement: string) => run('docker', ['exec', '-i', container(host), 'mariadb'], { timeoutMs: 20_000, input: `${statement};\n` });
  const tool = async (args: string[]) => {
    const lines: string[] = [];
    const code = await ha.withToolPasswords(() => main([...args, '--cluster', settings.prefix, '--stack-dir', ha.live.dir], (s) => lines.push(s), (s) => lines.push(s)));
    return { code, output: lines.join('\n') };
  };
  const withLogs = <T>(work: () => Promise<T>): Promise<T> => withContainerLogs([...ha.hosts.map((h) => container(h.name)), container('monitor')], work);
  const incrementsOn = async (host: string) => withConnection(ha.host(host), ha.app, async (c) => Number((await queryRows<any>(c, `SELECT COUNT(*) AS n FROM ${COUNTER_TABLE}`))[0].n));

  beforeAll(async () => {
    await ha.live.deploy();
    description = await ha.live.output(`${settings.prefix}_cluster`);
    await withConnection(ha.endpoint, ha.app, async (c) => {
      for (const ddl of [trackedWritesTableDdl(DRILL_TABLE), ...counterDdl(COUNTER_TABLE)]) await c.query(ddl);
    });
    // The backup applies nothing for an hour.
    await waitForConvergence(ha.hosts.filter((h) => kept.includes(h.name)), MASTERS, ha.monitor);
  });

  afterAll(async () => {
    await ha.live.destroy();
  });

  /**
   * The delayed backup follows a master that is not `lost`, its delay kept, its connection running:
   * the writer, or (when the writer's binary log starts after the backup's position, as a rebuilt
   * master's does) another master that holds it.
   */
  async function backupFollowsSurvivor(lost: string): Promise<string> {
    return waitFor(`the backup to follow a surviving master, ${HOUR} s behind`, 20_000, async () => {
      const channels = (await readHostStatus(ha.host('backup'), ha.monitor)).channels;
      const [c] = channels;
      return channels.length === 1 && c.connectionName !== lost && MASTERS.includes(c.connectionName) && c.sqlDelay === HOUR && channelHealthy(c) ? c.connectionName : undefined;
    });
  }

  /** No surviving host holds a transaction the writer lacks, and every connection on it runs (none from the lost master). */
  async function expectSurvivorsBehindWriter(writer: string, lost: string): Promise<void> {
    await backupFollowsSurvivor(lost);
    const status = await readClusterStatus(ha.hosts.filter((h) => h.name !== lost), ha.monitor);
    const w = status.find((s) => s.name === writer)!;
    for (const s of status.filter((x) => x.name !== writer)) {
      expect({ host: s.name, ahead: transactionsAhead(s.gtidBinlogPos ?? '', w.gtidCurrentPos ?? '').ranges }).toEqual({ host: s.name, ahead: [] });
      expect({ host: s.name, broken: s.channels.filter((c) => !channelHealthy(c)).map((c) => `${c.connectionName}: ${c.lastIoError || c.lastSqlError}`) }).toEqual({ host: s.name, broken: [] });
      expect(s.channels.map((c) => c.connectionName)).not.toContain(lost);
    }
  }

  /**
   * One drill: `lose` takes the writer away under the counter and insert workloads, `giveBack`
   * brings it back; the survivors are judged before and after, then it rejoins.
   */
  async function drill(name: string, lose: (victim: string, candidate: string) => Promise<void>, giveBack: (victim: string) => Promise<void>, loadMs = 16_000): Promise<void> {
    const victim = (await writerNow())!;
    const candidate = victim === 'db-a' ? 'db-b' : 'db-a';
    try {
      await drillOn(name, victim, candidate, lose, giveBack, loadMs);
    } finally {
      // Whatever failed, the next drill finds every master running (the old writer may still need a rejoin).
      for (const master of MASTERS) {
        await run('docker', ['unpause', container(master)], { timeoutMs: 30_000 });
        await run('docker', ['start', container(master)], { timeoutMs: 60_000 });
      }
    }
  }

  async function drillOn(name: string, victim: string, candidate: string, lose: (victim: string, candidate: string) => Promise<void>, giveBack: (victim: string) => Promise<void>, loadMs: number): Promise<void> {
    const before = await incrementsOn(victim);
    const loading = hardLoad(ha, COUNTER_TABLE, loadMs);
    await sleep(3_000);
    const lostAt = Date.now();
    await lose(victim, candidate);
    // Asked of the candidate alone: a frozen victim would hold every look at the whole cluster.
    const promotedAt = await waitFor(`${candidate} to become the writer`, 60_000, async () => ((await readHostStatus(ha.host(candidate), ha.monitor)).readOnly === false ? Date.now() : undefined), 100);
    const [counts, inserts] = await loading;
    console.log(`${mode}, ${name}: ${candidate} took writes ${promotedAt - lostAt} ms after ${victim} was lost; counter ${JSON.stringify(summarize(counts))}; inserts ${JSON.stringify(summarize(inserts))}`);
    expect(acked(inserts).filter((r) => r.startedAt > promotedAt).length).toBeGreaterThan(20);
    const survivors = ha.hosts.filter((h) => h.name !== victim && h.name !== 'backup');
    for (const h of survivors) await waitRelayApplied(ha, h.name);
    await waitForConvergence(survivors, [candidate], ha.monitor);
    // Semi-sync keeps every acknowledged write; asynchronous may lose what never left the writer.
    const { lostWithWriter } = await expectNoLostUpdate(survivors, ha.app, COUNTER_TABLE, counts, before, semiSync);
    await expectSurvivorsBehindWriter(candidate, victim);
    // It returns: read-only, and nothing it alone committed reaches any survivor.
    await giveBack(victim);
    await waitFor(`${victim} to answer`, 120_000, async () => ((await readHostStatus(ha.host(victim), ha.monitor)).reachable ? true : undefined));
    await waitFor(`${victim} to be read-only`, 10_000, async () => ((await readHostStatus(ha.host(victim), ha.monitor)).readOnly ? true : undefined));
    await sleep(4_000);
    await expectSurvivorsBehindWriter(candidate, victim);
    const report = await collectStatus(description, ha.monitor);
    console.log(`${mode}, ${name}: acknowledged increments lost with the writer ${lostWithWriter}; ${victim} returned with extra transactions ${JSON.stringify(report.extra[victim] ?? 'none')}`);
    expect(await monitorLog()).toMatch(new RegExp(`failover done: ${candidate} is the writer`));
    const rejoined = await tool(['rejoin', '--host', victim]);
    expect({ code: rejoined.code, output: rejoined.output }).toMatchObject({ code: 0 });
    await expectAllHostsEqual(ha.hosts.filter((h) => kept.includes(h.name)), [candidate], ha.monitor, ha.app, [DRILL_TABLE, COUNTER_TABLE, `${COUNTER_TABLE}_counter`]);
    await expectNoLostUpdate(ha.hosts.filter((h) => kept.includes(h.name)), ha.app, COUNTER_TABLE, counts, before, false);
    console.log(`${mode}, ${name}: after the rejoin the backup follows ${await backupFollowsSurvivor('none')}`);
    const verdict = (await collectStatus(description, ha.monitor)).verdict;
    expect({ problems: verdict.problems }).toEqual({ problems: [] });
  }

  test('the writer killed after the candidate stopped receiving from it directly (the DR master holds more): the candidate catches up before it takes writes', () => withLogs(() => drill(
    'kill, candidate behind the DR master',
    async (victim, candidate) => {
      await sql(candidate, `STOP SLAVE '${victim}' IO_THREAD`);
      await sleep(1_500);
      await run('docker', ['kill', container(victim)], { timeoutMs: 30_000 });
    },
    async (victim) => { await run('docker', ['start', container(victim)], { timeoutMs: 60_000 }); },
  )));

  test('the writer killed: promoted within the monitor\'s certainty, nothing spreads when it returns', () => withLogs(() => drill(
    'kill',
    async (victim) => { await run('docker', ['kill', container(victim)], { timeoutMs: 30_000 }); },
    async (victim) => { await run('docker', ['start', container(victim)], { timeoutMs: 60_000 }); },
  )));

  test('the writer frozen longer than the detection budget, then resumed: fenced, its sessions gone', () => withLogs(() => drill(
    'pause 8 s',
    async (victim) => { await freezeContainer(container(victim)); },
    async (victim) => {
      await sleep(2_000);
      await run('docker', ['unpause', container(victim)], { timeoutMs: 30_000 });
    },
    24_000,
  )));

  test('the frozen writer resumes while the monitor is failing over: the failover completes and it is fenced', () => withLogs(async () => {
    await drill(
      'pause, resumed during the failover',
      async (victim) => {
        const pausedAt = new Date();
        await freezeContainer(container(victim));
        // The moment the monitor starts: it has decided and stops receiving from the lost writer.
        // Only the log since the pause, every 100 ms: reading all of it every 20 ms kept a core busy.
        await waitFor('the monitor to start failing over', 30_000, async () => ((await containerLogLines(container('monitor'), pausedAt)).some((l) => /failover: .* is lost/.test(l)) ? true : undefined), 100);
        await run('docker', ['unpause', container(victim)], { timeoutMs: 30_000 });
      },
      async () => undefined,
      24_000,
    );
  }));
};

/** The drills, as one describe block, on a three-master mesh deployed in `slot`. */
export function threeMasterDrills(mode: 'asynchronous' | 'semi-synchronous', slot: LiveSlot): void {
  describe(`three masters (${mode}): failover by the monitor`, () => drills(mode, { ...slot, semiSyncTimeoutMs: mode === 'semi-synchronous' ? 1000 : undefined }));
}
