// Semi-synchronous replication between the masters: every write acknowledged before the active
// master is killed is on the new master, before the old one ever returns.
import { trackedWritesTableDdl } from '../../src/tools/endpoint-load';
import { queryRows, withConnection } from '../../src/tools/mariadb-client';
import { endpointServing } from '../../src/tools/switchover';
import { waitForConvergence } from '../support/cluster-checks';
import { DRILL_TABLE, killUnderLoad, lostAcknowledged } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';

const ha = haDeployment({ prefix: 'sslive', subnetOctet: 40, port: 24500, semiSyncTimeoutMs: 1000 });

jest.setTimeout(10 * 60_000);

describe('semi-synchronous masters on local Docker', () => {
  let description: any;

  beforeAll(async () => {
    await ha.live.deploy();
    description = await ha.live.output('sslive_cluster');
    await withConnection(ha.endpoint, ha.app, (c) => c.query(trackedWritesTableDdl(DRILL_TABLE)));
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

  test('every write acknowledged before the kill is on the new master', async () => {
    expect(await endpointServing(description, ha.monitor)).toBe('db-a');
    const kill = await killUnderLoad(ha, 'db-a', 10_000, 4_000);
    const lost = await lostAcknowledged(ha, 'db-b', kill);
    console.log(`semi-sync failover: ${JSON.stringify(kill.summary)}; ${lost.length} of ${kill.ackedBeforeKill.length} acknowledged writes missing on db-b`);
    expect(kill.ackedBeforeKill.length).toBeGreaterThan(500);
    expect(lost).toEqual([]);
    expect(await endpointServing(description, ha.monitor)).toBe('db-b');
  });
});
