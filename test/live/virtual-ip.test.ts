// The writer endpoint with two instances sharing a keepalived virtual IP on the cluster's network:
// writes through the address, a switchover that moves both instances, and the loss of the
// instance holding the address under load.
import { trackedWritesTableDdl } from '../support/load/endpoint-load';
import { main } from '../../src/commands/cli';
import { queryRows, withConnection } from '../../src/operator/sql-client';
import { run } from '../../src/process';
import { PROJECT_HAPROXY_IMAGE } from '../../src/backends/docker/endpoint-containers';
import { endpointServing } from '../../src/routes/haproxy-route';
import { waitForConvergence } from '../support/cluster-checks';
import { DRILL_TABLE, drillLoad } from '../support/failover-drill';
import { haDeployment } from '../support/ha-deployment';
import { summarize } from '../support/load/endpoint-load';
import { waitFor } from '../support/live-stack';
import { LIVE_SLOTS, slotAddress } from '../support/live-slots';

const PREFIX = LIVE_SLOTS.virtualIp.prefix;
const VIP = slotAddress(LIVE_SLOTS.virtualIp, 4);
const ha = haDeployment({ ...LIVE_SLOTS.virtualIp, withVirtualIp: true });

jest.setTimeout(10 * 60_000);

async function holdsVip(instance: string): Promise<boolean> {
  const addresses = await run('docker', ['exec', `${PREFIX}-${instance}`, 'ip', '-4', 'addr', 'show', 'eth0'], { timeoutMs: 20_000 });
  return addresses.stdout.includes(`inet ${VIP}/`);
}

describe('writer endpoint with a virtual IP on local Docker', () => {
  let description: any;

  beforeAll(async () => {
    await ha.live.deploy();
    description = await ha.live.output(`${PREFIX}_cluster`);
    await waitFor('an instance to hold the virtual IP', 30_000, async () => ((await holdsVip('writer-1')) || (await holdsVip('writer-2')) ? true : undefined));
    await withConnection(ha.endpoint, ha.app, (c) => c.query(trackedWritesTableDdl(DRILL_TABLE)));
  });

  afterAll(async () => {
    await ha.live.destroy();
  });

  test('one instance holds the address, and writes through it reach the active master', async () => {
    expect([await holdsVip('writer-1'), await holdsVip('writer-2')]).toEqual([true, false]);
    const [row] = await withConnection(ha.endpoint, ha.app, (c) => queryRows<any>(c, 'SELECT @@server_id AS id'));
    expect(Number(row.id)).toBe(1);
  });

  test('a container on the network that is not a peer cannot take the address, even with the highest priority', async () => {
    // The instances' own config, made a rogue's: another source address, priority 255, no source check.
    const config = (await run('docker', ['exec', `${PREFIX}-writer-1`, 'cat', '/etc/keepalived/mariadb-ha.conf'], { timeoutMs: 20_000 })).stdout;
    const rogueAddress = slotAddress(LIVE_SLOTS.virtualIp, 50);
    const rogue = config.replace(/unicast_src_ip \S+/, `unicast_src_ip ${rogueAddress}`).replace(/priority \d+/, 'priority 255')
      .replace(/check_unicast_src\n/, '').replace(/vrrp_script[\s\S]*?\n}\n/, '').replace(/ {2}track_script \{[\s\S]*?\}\n/, '')
      .replace(/unicast_peer \{[\s\S]*?\}/, `unicast_peer {\n    ${slotAddress(LIVE_SLOTS.virtualIp, 5)}\n    ${slotAddress(LIVE_SLOTS.virtualIp, 6)}\n  }`);
    const claiming = run('docker', ['run', '-i', '--rm', '--name', `${PREFIX}-rogue`, '--network', `${PREFIX}-net`, '--ip', rogueAddress,
      '--cap-add', 'NET_ADMIN', '--cap-add', 'NET_RAW', '--cap-add', 'NET_BROADCAST', PROJECT_HAPROXY_IMAGE,
      'sh', '-c', 'cat >/tmp/rogue.conf && exec timeout 12 keepalived --dont-fork --log-console --use-file /tmp/rogue.conf'], { timeoutMs: 40_000, input: rogue });
    await new Promise((r) => setTimeout(r, 9_000));
    const kept = await holdsVip('writer-1');
    const rogueLog = await claiming;
    expect(rogueLog.stdout + rogueLog.stderr).toContain('Entering MASTER STATE');
    expect(kept).toBe(true);
    const [row] = await withConnection(ha.endpoint, ha.app, (c) => queryRows<any>(c, 'SELECT @@server_id AS id'));
    expect(Number(row.id)).toBe(1);
  });

  test('a switchover moves both instances', async () => {
    const output: string[] = [];
    const code = await ha.withToolPasswords(() => main(['switchover', '--cluster', PREFIX, '--stack-dir', ha.live.dir, '--to', 'db-b'], (s) => output.push(s), (s) => output.push(s)));
    expect({ code, output }).toMatchObject({ code: 0 });
    expect(await endpointServing(description, ha.monitor)).toBe('db-b');
  });

  test('losing the instance that holds the address under load: the address moves and writes resume', async () => {
    const loading = drillLoad(ha, 10_000);
    await new Promise((r) => setTimeout(r, 3_000));
    await run('docker', ['kill', `${PREFIX}-writer-1`], { timeoutMs: 30_000 });
    const killedAt = Date.now();
    const records = await loading;
    const summary = summarize(records);
    const resumed = records.filter((r) => r.outcome === 'ok' && r.startedAt > killedAt).length;
    console.log(`virtual IP failover under load: ${JSON.stringify(summary)}`);
    expect(await holdsVip('writer-2')).toBe(true);
    expect(resumed).toBeGreaterThan(100);
    expect(summary.duplicateKeyErrors).toBe(0);
    const [row] = await withConnection(ha.endpoint, ha.app, (c) => queryRows<any>(c, 'SELECT @@server_id AS id'));
    expect(Number(row.id)).toBe(2);
    await waitForConvergence(ha.hosts, ['db-a', 'db-b'], ha.monitor);
  });
});
