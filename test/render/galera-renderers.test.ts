// What a Galera cluster's hosts, endpoint and monitor run with: pure renderers of the plan.
import { spawnSync } from 'child_process';
import { GaleraTopologySpec, GaleraWriteMode, planGalera, planTopologyOrThrow, ReplicaRole, SstMethod, TopologyPlan } from '../../src/model';
import { renderBootstrapSql } from '../../src/render/bootstrap-sql';
import { renderEntrypoint } from '../../src/render/entrypoint';
import { renderGaleraCheck, renderGaleraHaproxyConfig } from '../../src/render/haproxy-config';
import { renderServerConfig } from '../../src/render/server-config';
import { ACTIVE_PASSIVE } from '../support/topologies';

const SPEC: GaleraTopologySpec = {
  nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }],
  replicas: [{ name: 'analytics', source: 'node-1', role: ReplicaRole.ANALYTICS }],
};
const galera = (overrides: Partial<GaleraTopologySpec> = {}): TopologyPlan => planGalera({ ...SPEC, ...overrides }, 'shop').plan!;
const ctx = { clientNetworkHost: '10.213.0.0/255.255.255.0', addressOf: (name: string) => name };
const settings = (cnf: string) => Object.fromEntries(cnf.split('\n').filter((l) => /^\w+ = /.test(l)).map((l) => l.split(' = ')));
const addresses = { 'node-1': '10.213.0.10', 'node-2': '10.213.0.11', 'node-3': '10.213.0.12', analytics: '10.213.0.20' };
const parses = (shell: string, script: string) => {
  const check = spawnSync(shell, ['-n'], { input: script });
  return { status: check.status, stderr: check.stderr.toString() };
};

describe('Galera server config', () => {
  test('a node gets the wsrep settings, one server id for all, its own local domain and no auto-increment planning of ours', () => {
    const plan = galera();
    const node2 = settings(renderServerConfig(plan, 'node-2', {}, (n) => `${n}.net`));
    expect(node2).toMatchObject({
      wsrep_on: 'ON', wsrep_provider: '/usr/lib/galera/libgalera_smm.so', wsrep_cluster_name: 'shop',
      wsrep_cluster_address: 'gcomm://node-1.net,node-2.net,node-3.net', wsrep_node_name: 'node-2', wsrep_node_address: 'node-2.net',
      wsrep_sst_method: 'mariabackup', wsrep_sst_auth: 'mysql:', wsrep_auto_increment_control: 'ON', wsrep_gtid_mode: 'ON', wsrep_gtid_domain_id: '1',
      wsrep_provider_options: 'pc.recovery=FALSE;evs.suspect_timeout=PT3S;evs.keepalive_period=PT0.3S;evs.inactive_check_period=PT0.25S;evs.join_retrans_period=PT0.3S', innodb_autoinc_lock_mode: '2', default_storage_engine: 'InnoDB', binlog_format: 'ROW',
      log_slave_updates: 'ON', server_id: '1', gtid_domain_id: '3', read_only: 'OFF', sync_binlog: '1', innodb_flush_log_at_trx_commit: '1',
    });
    expect(node2.auto_increment_increment).toBeUndefined();
    expect(node2.gtid_ignore_duplicates).toBeUndefined();
    expect(['node-1', 'node-2', 'node-3'].map((n) => settings(renderServerConfig(plan, n)).gtid_domain_id)).toEqual(['2', '3', '4']);
  });

  test('the replica is a plain read-only replica with its own id, no wsrep setting', () => {
    const replica = settings(renderServerConfig(galera(), 'analytics'));
    expect(replica).toMatchObject({ server_id: '101', read_only: 'ON', log_slave_updates: 'ON' });
    expect(Object.keys(replica).filter((k) => k.startsWith('wsrep'))).toEqual([]);
  });

  test('rsync is the SST method when asked', () => {
    expect(settings(renderServerConfig(galera({ sstMethod: SstMethod.RSYNC }), 'node-1')).wsrep_sst_method).toBe('rsync');
  });
});

describe('Galera bootstrap SQL', () => {
  const plan = galera();

  test('the state transfer account logs in by unix socket only, with what mariabackup needs and nothing more', () => {
    const sql = renderBootstrapSql(plan, 'node-1', ctx);
    expect(sql).toContain("CREATE OR REPLACE USER 'mysql'@'localhost' IDENTIFIED VIA unix_socket;");
    expect(sql).toContain("GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'mysql'@'localhost';");
    expect(sql).not.toContain('CHANGE MASTER');
  });

  test('the replica replicates from its node by GTID', () => {
    expect(renderBootstrapSql(plan, 'analytics', ctx)).toMatch(/CHANGE MASTER ''node-1'' TO MASTER_HOST=''node-1''.*MASTER_USE_GTID=slave_pos/);
  });

  test('a master-master cluster gets no state transfer account', () => {
    expect(renderBootstrapSql(planTopologyOrThrow(ACTIVE_PASSIVE, 'x'), 'db-a', ctx)).not.toContain("'mysql'@'localhost'");
  });
});

describe('Galera entrypoint', () => {
  const script = renderEntrypoint({ galeraNode: true });

  test('bash parses it', () => {
    expect(parses('bash', script)).toEqual({ status: 0, stderr: '' });
  });

  test('only the new-cluster marker makes a node start a cluster: on its empty volume (creation) or on its data (recovery)', () => {
    expect(script).toContain('if [ -f "$NEW_CLUSTER" ] && [ ! -f "$DONE" ] && [ ! -f "$DATADIR/grastate.dat" ]; then');
    expect(script).toContain("sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' \"$DATADIR/grastate.dat\"");
    expect(script.match(/new_cluster=--wsrep-new-cluster/g)).toHaveLength(2);
    expect(script).toContain('rm -f "$NEW_CLUSTER"');
    expect(script).toMatch(/exec mariadbd .* \$new_cluster \$start_position "\$@"\n$/);
  });

  test('a node that finds no peer taking clients waits out of the cluster, on another port, until a peer runs or the operator account holds the bootstrap lock', () => {
    expect(script).toContain('peer_runs || wait_for_cluster "$position"');
    expect(script).toMatch(/mariadbd .* --wsrep-on=OFF --wsrep-provider=none .* --read-only=ON --port=3307 .* \$shown &/s);
    expect(script).toContain('[ -n "$1" ] && shown="--wsrep-start-position=$1"');
    // Terraform would read a brace expansion as its own interpolation.
    expect(script).not.toMatch(/\$\{/);
    expect(script).toContain("IS_USED_LOCK('mariadb_ha_bootstrap')");
    expect(script).toContain('if [ "$holder" = "ha_operator" ]; then');
  });

  test('a crashed node starts at the position InnoDB recovered, so it rejoins by incremental transfer', () => {
    expect(script).toContain('--wsrep-recover --skip-networking --socket=/tmp/wsrep-recover.sock --log-error=/tmp/wsrep-recover.log');
    expect(script).toContain('start_position="--wsrep-start-position=$position"');
  });

  test('the cluster\'s first node sets itself up with neither Galera nor the binary log', () => {
    expect(script).toContain('boot_start --skip-log-bin --wsrep-on=OFF --wsrep-provider=none');
  });

  test('a master-master host\'s entrypoint knows nothing of Galera', () => {
    expect(renderEntrypoint()).not.toMatch(/NEW_CLUSTER|wsrep/);
  });
});

describe('Galera endpoint', () => {
  test('one node at a time: the first node serves, the others are backups, one stick entry pins the writer', () => {
    const config = renderGaleraHaproxyConfig(galera(), { addresses, checkUser: 'monitor' });
    expect(config).toContain('  stick-table type integer size 1 nopurge\n  stick on int(1)\n');
    expect(config).toContain([
      '  server node-1 10.213.0.10:3306 id 1 check addr 127.0.0.1 port 9101',
      '  server node-2 10.213.0.11:3306 id 2 check addr 127.0.0.1 port 9102 backup',
      '  server node-3 10.213.0.12:3306 id 3 check addr 127.0.0.1 port 9103 backup\n'].join('\n'));
    expect(config).not.toContain('lua');
  });

  test('every node: least connections, no backup, no stick entry', () => {
    const config = renderGaleraHaproxyConfig(galera({ writeMode: GaleraWriteMode.ALL_NODES }), { addresses, checkUser: 'monitor' });
    expect(config).toContain('  balance leastconn\n');
    expect(config).not.toMatch(/backup|stick/);
  });

  test.each([
    [true, true, true], [true, false, false], [false, true, true],
  ])('the check (one node %s, donor available %s) parses, needs a synced member of the primary component, and unpins a lost writer only with one node', (oneNode, donor) => {
    const check = renderGaleraCheck('monitor', oneNode, donor);
    expect(parses('sh', check)).toEqual({ status: 0, stderr: '' });
    expect(check).toContain('[ "$state" = "NONE Primary 4" ]');
    expect(check.includes('"NONE Primary 2"')).toBe(donor);
    expect(check.includes('clear table writer')).toBe(oneNode);
    expect(check).toContain('--user=monitor');
  });
});

