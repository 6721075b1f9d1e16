// Active/passive master-master with an analytics replica, deployed by `terraform apply` on the
// synthesized stack to local Docker, then exercised through the published ports.
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { channelHealthy, readClusterStatus } from '../../src/operator/replication-status';
import { loadTableDdl, runWriteLoad } from '../support/load/write-load';
import { tableDigests, waitForConvergence, waitForHealthyReplication } from '../support/cluster-checks';
import { haDeployment } from '../support/ha-deployment';
import { dockerObjectsNamed, waitFor, withContainerLogs } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.masterMaster.prefix;
const ha = haDeployment({ ...LIVE_SLOTS.masterMaster, withEndpoint: false });
const { hosts, monitor, app, passwords } = ha;
const endpoint = ha.host;

jest.setTimeout(10 * 60_000);

describe('active/passive master-master on local Docker', () => {
  const live = ha.live;
  let deploySeconds = 0;

  beforeAll(async () => {
    const started = Date.now();
    await live.deploy();
    await waitForHealthyReplication(hosts, monitor, 60_000);
    deploySeconds = (Date.now() - started) / 1000;
    console.log(`deploy-to-replicating: ${deploySeconds.toFixed(1)} s`);
  });

  afterAll(async () => {
    await live?.destroy();
  });

  test('both masters replicate from each other and the replica from db-b, threads running, no errors', async () => {
    const status = await readClusterStatus(hosts, monitor);
    const channels = Object.fromEntries(status.map((h) => [h.name, h.channels.map((c) => [c.connectionName, c.ioRunning, c.sqlRunning, c.lastIoErrno, c.lastSqlErrno])]));
    expect(channels).toEqual({
      'db-a': [['db-b', 'Yes', 'Yes', 0, 0]],
      'db-b': [['db-a', 'Yes', 'Yes', 0, 0]],
      analytics: [['db-b', 'Yes', 'Yes', 0, 0]],
    });
    expect(status.map((h) => [h.name, h.serverId, h.readOnly])).toEqual([['db-a', 1, false], ['db-b', 2, false], ['analytics', 101, true]]);
    // The bootstrap (accounts, replication setup) ran with the binary log off on every host.
    expect(status.map((h) => h.gtidBinlogPos)).toEqual(['', '', '']);
  });

  test('the servers run with the planned auto-increment settings in every session', async () => {
    const settings = await Promise.all(hosts.slice(0, 2).map((h) => withConnection(h, app, async (c) =>
      (await queryRows<any>(c, 'SELECT @@session.auto_increment_increment AS inc, @@session.auto_increment_offset AS off, @@binlog_format AS fmt, @@log_slave_updates AS lsu'))[0])));
    expect(settings.map((s) => [Number(s.inc), Number(s.off), s.fmt, Number(s.lsu)])).toEqual([[2, 1, 'ROW', 1], [2, 2, 'ROW', 1]]);
  });

  test('the analytics replica follows writes and refuses its own', async () => {
    await withConnection(endpoint('db-a'), app, async (c) => {
      await c.query('CREATE TABLE IF NOT EXISTS notes (id INT AUTO_INCREMENT PRIMARY KEY, body VARCHAR(100))');
      await c.query("INSERT INTO notes (body) VALUES ('from the active master')");
    });
    await waitFor('the note on the analytics replica', 20_000, () => withConnection(endpoint('analytics'), app, async (c) =>
      (await queryRows(c, "SELECT id FROM notes WHERE body = 'from the active master'")).length === 1 ? true : undefined));
    await expect(withConnection(endpoint('analytics'), app, (c) => c.query("INSERT INTO notes (body) VALUES ('not here')")))
      .rejects.toMatchObject({ errno: 1290, message: expect.stringMatching(/read-only/) });
  });

  test('concurrent inserts on BOTH masters produce no duplicate keys and identical data everywhere', async () => {
    await withConnection(endpoint('db-a'), app, (c) => c.query(loadTableDdl('orders')));
    await waitFor('the orders table on every host', 20_000, async () => {
      const present = await Promise.all(hosts.map((h) => withConnection(h, app, async (c) => (await queryRows(c, "SHOW TABLES LIKE 'orders'")).length)));
      return present.every((n) => n === 1) ? true : undefined;
    });
    const result = await runWriteLoad({
      targets: ['db-a', 'db-b'].map((name) => ({ name, endpoint: endpoint(name), login: app })),
      table: 'orders',
      connectionsPerTarget: 4,
      durationMs: 8_000,
      maxInsertsPerConnection: 1_500,
    });
    console.log(`concurrent load: ${JSON.stringify(result)}`);
    expect(result.duplicateKeyErrors).toBe(0);
    expect(result.otherErrors).toBe(0);
    expect(result.inserted).toBeGreaterThan(200);

    // Converged: every host has applied what both masters wrote, and holds the same rows.
    await withContainerLogs(hosts.map((h) => `${PREFIX}-${h.name}`), () => waitForConvergence(hosts, ['db-a', 'db-b'], monitor));
    const digests = await tableDigests(hosts, app, 'orders');
    expect(digests.map((d) => d.rows)).toEqual([result.inserted, result.inserted, result.inserted]);
    expect(new Set(digests.map((d) => d.checksum)).size).toBe(1);
    // Odd keys came from db-a, even keys from db-b: the offsets, not luck, kept them apart.
    const [parity] = await withConnection(endpoint('db-a'), app, (c) => queryRows<any>(c,
      "SELECT SUM(origin = 'db-a' AND id % 2 = 1) + SUM(origin = 'db-b' AND id % 2 = 0) AS by_offset FROM orders"));
    expect(Number(parity.by_offset)).toBe(result.inserted);

    const status = await readClusterStatus(hosts, monitor);
    expect(status.flatMap((h) => h.channels).every(channelHealthy)).toBe(true);
  });

  test('no secret appears in the synthesized JSON or in the apply output', () => {
    const synthesized = live.synthesized();
    const applyOutput = `${live.lastApply!.stdout}${live.lastApply!.stderr}`;
    for (const secret of Object.values(passwords)) {
      expect(synthesized).not.toContain(secret);
      expect(applyOutput).not.toContain(secret);
    }
  });

  test('destroy removes every container, volume and network the stack created', async () => {
    expect(await dockerObjectsNamed(PREFIX)).toHaveLength(7);
    const destroyed = await live.terraform(['destroy', '-input=false', '-auto-approve']);
    // The 7 Docker objects, a files revision and a seed step per host, the password rotation, the
    // writers step and a membership per master; every master writes, so each is fenced and leaves.
    expect(destroyed.stdout).toMatch(/Destroy complete! Resources: 18 destroyed/);
    expect(destroyed.stdout).toContain('db-a left mmlive: db-b no longer replicates from it');
    expect(await dockerObjectsNamed(PREFIX)).toEqual([]);
  });
});
