// Semi-synchronous replication between the masters: every write acknowledged before the active
// master is killed is on the new master, before the old one ever returns; no update is lost.
import { counterDdl, summarize, trackedWritesTableDdl } from '../support/load/endpoint-load';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { run } from '../../src/process';
import { readClusterStatus } from '../../src/operator/replication-status';
import { endpointServing } from '../../src/routes/haproxy-route';
import { expectNoLostUpdate, waitForConvergence } from '../support/cluster-checks';
import { acked, DRILL_TABLE, hardLoad, lostAcknowledged, waitRelayApplied } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { waitFor } from '../support/live-stack';
import { LIVE_SLOTS } from '../support/live-slots';

const COUNTER_TABLE = 'increments';

const ha = haDeployment({ ...LIVE_SLOTS.semiSync, semiSyncTimeoutMs: 1000 });

jest.setTimeout(10 * 60_000);

describe('semi-synchronous masters on local Docker', () => {
  let description: any;

  beforeAll(async () => {
    await ha.live.deploy();
    description = await ha.live.output('sslive_cluster');
    await withConnection(ha.endpoint, ha.app, async (c) => {
      for (const ddl of [trackedWritesTableDdl(DRILL_TABLE), ...counterDdl(COUNTER_TABLE)]) await c.query(ddl);
    });
    await waitForConvergence(ha.hosts, ['db-a', 'db-b'], ha.monitor);
  });

  afterAll(async () => {
    await ha.live.destroy();
  });

  test('both masters run semi-sync, acknowledged after the peer has the transaction', async () => {
    const settings = await Promise.all(['db-a', 'db-b'].map((n) => withConnection(ha.host(n), ha.monitor, async (c) => (await queryRows<any>(c,
      "SELECT @@rpl_semi_sync_master_enabled AS m, @@rpl_semi_sync_slave_enabled AS s, @@rpl_semi_sync_master_wait_point AS p, @@rpl_semi_sync_master_timeout AS t"))[0])));
    expect(settings.map((x) => [Number(x.m), Number(x.s), x.p, Number(x.t)])).toEqual([[1, 1, 'AFTER_SYNC', 1000], [1, 1, 'AFTER_SYNC', 1000]]);
  });

  test('killing the writer under the counter workload: every acknowledged write and update is on the new master', async () => {
    expect(await endpointServing(description, ha.monitor)).toBe('db-a');
    const loading = hardLoad(ha, COUNTER_TABLE, 12_000);
    await new Promise((r) => setTimeout(r, 4_000));
    const killedAt = Date.now();
    await run('docker', ['kill', 'sslive-db-a'], { timeoutMs: 30_000 });
    const [counts, inserts] = await loading;
    const survivors = ha.hosts.filter((h) => h.name !== 'db-a');
    await waitFor('db-b to become the writer', 30_000, async () => ((await readClusterStatus([ha.host('db-b')], ha.monitor))[0].readOnly === false ? true : undefined));
    await waitRelayApplied(ha, 'analytics');
    await waitForConvergence(survivors, ['db-b'], ha.monitor);
    const beforeKill = acked(inserts).filter((r) => r.endedAt < killedAt).map((r) => r.token);
    const lost = await lostAcknowledged(ha, 'db-b', beforeKill);
    console.log(`semi-sync kill: counter ${JSON.stringify(summarize(counts))}; inserts ${JSON.stringify(summarize(inserts))}; ${lost.length} of ${beforeKill.length} acknowledged inserts missing on db-b`);
    expect(beforeKill.length).toBeGreaterThan(300);
    expect(lost).toEqual([]);
    await expectNoLostUpdate(survivors, ha.app, COUNTER_TABLE, counts);
    await waitFor('the endpoint to send writes to db-b', 10_000, async () => ((await endpointServing(description, ha.monitor).catch(() => undefined)) === 'db-b' ? true : undefined));
  });
});
