// `mariadb-ha review` on real synthesized stacks (the constructs, synthesized in-process), one
// golden file per kind of change; UPDATE_GOLDEN=1 rewrites them. Each test also asserts the facts
// that matter, so a wrong golden file cannot pass unnoticed.
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { DockerBackend, GaleraWriterEndpoint, HaproxyWriterEndpoint, MariaDbGaleraCluster, MariaDbGaleraClusterProps, MariaDbReplicationCluster, MariaDbReplicationClusterProps, ReplicaRole } from '../../src';
import { main } from '../../src/commands/cli';
import { ClusterReview, renderReview, reviewStacks, SynthesizedStack } from '../../src/commands/review';
import { ACTIVE_PASSIVE } from '../support/topologies';

type Topology = Omit<MariaDbReplicationClusterProps, 'backend'>;

function synthesized(topology: Topology): SynthesizedStack {
  const stack = new TerraformStack(Testing.app(), 'local-ha');
  new DockerProvider(stack, 'docker');
  const cluster = new MariaDbReplicationCluster(stack, 'shop', { ...topology, backend: new DockerBackend() });
  new HaproxyWriterEndpoint(stack, 'writer', { cluster });
  return JSON.parse(Testing.synth(stack, true));
}

const BEFORE: Topology = { ...ACTIVE_PASSIVE, databaseName: 'shop' };
const CHANGES: { [kind: string]: Topology } = {
  'no-change': BEFORE,
  'add-replica': { ...BEFORE, replicas: [...BEFORE.replicas!, { name: 'reporting', source: 'db-a', role: ReplicaRole.READ }] },
  'add-master': { ...BEFORE, masters: [...BEFORE.masters, { name: 'db-c' }] },
  'repoint-replica': { ...BEFORE, replicas: [{ name: 'analytics', source: 'db-a', role: ReplicaRole.ANALYTICS }] },
  'remove-replica': { ...BEFORE, replicas: [] },
  'reorder-masters': { ...BEFORE, masters: [{ name: 'db-b' }, { name: 'db-a' }] },
  'switchover': { ...BEFORE, activeMaster: 'db-b' },
};

/** The example with a MariaDB version on each host (db-a, db-b, analytics). */
const versioned = (a: string, b: string, analytics: string, allowRisky: string[] = []): Topology => ({
  ...BEFORE,
  masters: [{ name: 'db-a', mariadbVersion: a }, { name: 'db-b', mariadbVersion: b }],
  replicas: [{ name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS, mariadbVersion: analytics }],
  promotion: { allowRisky },
});

/** Changes that start from another topology than BEFORE: kind -> [before, after]. */
const FROM_ELSEWHERE: { [kind: string]: [Topology, Topology] } = {
  'remove-master': [CHANGES['add-master'], BEFORE],
  'upgrade-standby': [versioned('10.11', '10.11', '11.8'), versioned('10.11', '11.8', '11.8', ['db-b'])],
  'downgrade-and-upgrade-writer': [versioned('10.11', '11.8', '11.8', ['db-b']), versioned('11.8', '10.11', '11.8')],
};

const before = synthesized(BEFORE);
const reviews: { [kind: string]: ClusterReview[] } = Object.fromEntries([
  ...Object.entries(CHANGES).map(([kind, after]) => [kind, reviewStacks(before, synthesized(after))]),
  ...Object.entries(FROM_ELSEWHERE).map(([kind, [from, to]]) => [kind, reviewStacks(synthesized(from), synthesized(to))]),
]);
const headings = (kind: string) => reviews[kind][0].sections.map((s) => s.heading);
const text = (kind: string) => renderReview(reviews[kind]);

describe('mariadb-ha review', () => {
  test.each([...Object.keys(CHANGES), ...Object.keys(FROM_ELSEWHERE)])('%s matches its golden file', (kind) => {
    const golden = join(__dirname, 'golden', 'review', `${kind}.md`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text(kind));
    expect(existsSync(golden)).toBe(true);
    expect(text(kind)).toBe(readFileSync(golden, 'utf8'));
  });

  test('no change says so and draws the topology', () => {
    expect(reviews['no-change'][0].changed).toBe(false);
    expect(text('no-change')).toContain('No topology change');
    expect(reviews['no-change'][0].mermaid).toMatch(/^flowchart LR\n {2}h0\["db-a<br\/>active master · id 1"\]/);
  });

  test('adding a replica: one host and one edge added, nothing at risk, no restart', () => {
    expect(headings('add-replica')).toEqual(['Hosts added', 'Replication edges']);
    expect(text('add-replica')).toContain('added db-a → reporting');
  });

  test('adding a master: its peers connect to it and the key slots move live through a common refinement; nothing restarts', () => {
    expect(headings('add-master')).toEqual(['Hosts added', 'Replication edges', 'Changed in place']);
    expect(text('add-master')).toContain('**db-a** replicates from db-b, db-c (was db-b) on the running host');
    expect(text('add-master')).toContain('db-a 2/1 → 6/1 → 3/1; db-b 2/2 → 6/2 → 3/2');
    expect(text('add-master')).not.toContain('restarts');
  });

  test('removing a standby master: it leaves first (refused while it writes), its edges go, the others\' keys move live', () => {
    expect(headings('remove-master')).toEqual(['Data at risk', 'Hosts removed', 'Replication edges', 'Changed in place']);
    expect(text('remove-master')).toContain('**db-c** is removed: its container and its data volume are destroyed by this apply; first it leaves (mariadb-ha leave): the apply refuses while it takes the writes');
    expect(text('remove-master')).toContain('removed db-c → db-a');
    expect(text('remove-master')).toContain('db-a 3/1 → 6/1 → 2/1; db-b 3/2 → 6/2 → 2/2');
  });

  test('re-pointing a replica: an edge moves in place, no host is added, removed or restarted', () => {
    expect(headings('repoint-replica')).toEqual(['Replication edges', 'Changed in place']);
    expect(text('repoint-replica')).toContain('**analytics** moves to db-a on the running host, by GTID');
    expect(text('repoint-replica')).toContain('added db-a → analytics');
    expect(text('repoint-replica')).toContain('removed db-b → analytics');
  });

  test('removing a replica: its data volume is named as destroyed', () => {
    expect(headings('remove-replica')).toEqual(['Data at risk', 'Hosts removed', 'Replication edges']);
    expect(text('remove-replica')).toContain('**analytics** is removed: its container and its data volume are destroyed');
  });

  test('reordering masters renumbers both live masters: identity changes and a risk', () => {
    expect(headings('reorder-masters')).toContain('Identity changes');
    expect(text('reorder-masters')).toContain('**db-a**: server_id 1 → 2, gtid_domain_id 1 → 2, auto_increment_offset 1 → 2');
  });

  test('changing the active master is a switchover, nothing else', () => {
    expect(headings('switchover')).toEqual(['Switchover']);
    expect(text('switchover')).toContain('writes move from **db-a** to **db-b**');
  });

  test('upgrading the standby: it is re-created on the new version with its data, nothing at risk, and the steps left are the switchover and the old writer', () => {
    expect(headings('upgrade-standby')).toEqual(['Version changes', 'Rolling upgrade: steps left']);
    expect(text('upgrade-standby')).toContain('**db-b** is re-created on MariaDB 11.8 (was 10.11) with its data volume');
    expect(text('upgrade-standby')).toContain('step 1: switch the writes to db-b: set activeMaster to db-b (listed in promotion.allowRisky');
    expect(text('upgrade-standby')).toContain('step 2: upgrade db-a to 11.8 (the old writer, once it takes no writes)');
  });

  test('a downgrade, the writer upgraded in place and two hosts at once are each data at risk', () => {
    const review = text('downgrade-and-upgrade-writer');
    expect(headings('downgrade-and-upgrade-writer')[0]).toBe('Data at risk');
    expect(review).toContain('**db-b** goes back from MariaDB 11.8 to 10.11: an older server may not read data a newer one ran');
    expect(review).toContain('**db-a** takes the writes and is re-created on another version: writes stop while it restarts');
    expect(review).toContain('2 hosts change version in one apply (db-a, db-b)');
  });

  test('the command reads two stack directories and prints the review', async () => {
    const dir = (name: string, stack: SynthesizedStack) => {
      const path = join(Testing.app().outdir, name);
      require('fs').mkdirSync(path, { recursive: true });
      writeFileSync(join(path, 'cdk.tf.json'), JSON.stringify(stack));
      return path;
    };
    const lines: string[] = [];
    const code = await main(['review', dir('before', before), dir('after', synthesized(CHANGES['add-replica']))], (s) => lines.push(s));
    expect({ code, out: lines.join('\n') }).toEqual({ code: 0, out: text('add-replica') });
    const errors: string[] = [];
    expect(await main(['review', dir('only', before)], () => undefined, (s) => errors.push(s))).toBe(2);
    expect(errors.join('\n')).toContain('review needs two synthesized stacks');
  });
});

describe('mariadb-ha review of a Galera cluster', () => {
  type Galera = Omit<MariaDbGaleraClusterProps, 'backend'>;
  const galeraStack = (topology: Galera): SynthesizedStack => {
    const stack = new TerraformStack(Testing.app(), 'local-ha');
    new DockerProvider(stack, 'docker');
    const cluster = new MariaDbGaleraCluster(stack, 'orders', { ...topology, backend: new DockerBackend() });
    new GaleraWriterEndpoint(stack, 'writer', { cluster });
    return JSON.parse(Testing.synth(stack, true));
  };
  const THREE: Galera = { nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }], replicas: [{ name: 'analytics', source: 'node-1', role: ReplicaRole.ANALYTICS }] };
  const GALERA_CHANGES: { [kind: string]: [Galera, Galera] } = {
    'galera-add-node': [THREE, { ...THREE, nodes: [...THREE.nodes, { name: 'node-4' }, { name: 'node-5' }] }],
    'galera-remove-node': [{ ...THREE, nodes: [...THREE.nodes, { name: 'node-4' }, { name: 'node-5' }] }, THREE],
    'galera-settings': [THREE, { ...THREE, tuning: { binlogRetentionDays: 3 } }],
  };
  const galeraReviews = Object.fromEntries(Object.entries(GALERA_CHANGES).map(([kind, [from, to]]) => [kind, reviewStacks(galeraStack(from), galeraStack(to))]));
  const galeraText = (kind: string) => renderReview(galeraReviews[kind]);

  test.each(Object.keys(GALERA_CHANGES))('%s matches its golden file', (kind) => {
    const golden = join(__dirname, 'golden', 'review', `${kind}.md`);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, galeraText(kind));
    expect(galeraText(kind)).toBe(readFileSync(golden, 'utf8'));
  });

  test('nodes added join by state transfer; the others only list them, with no restart; no switchover is implied', () => {
    const review = galeraText('galera-add-node');
    expect(review).toContain('**node-4** (Galera node, server_id 1); it joins the running cluster after the nodes before it and receives the data by state transfer');
    expect(review).toContain('**node-1** lists its new peers for its next start, with no restart');
    expect(review).not.toMatch(/Switchover|Data at risk|→ node-/);
    expect(galeraReviews['galera-add-node'][0].mermaid).toContain('subgraph galera["Galera cluster orders · synchronous"]');
  });

  test('a node removed is data at risk only for its own volume: the others hold everything it committed', () => {
    expect(galeraText('galera-remove-node')).toContain('**node-5** is removed: its container and its data volume are destroyed by this apply; the other nodes hold everything it committed');
  });

  test('a changed setting restarts the nodes one at a time; the replica restarts as any host', () => {
    const review = galeraText('galera-settings');
    for (const n of ['node-1', 'node-2', 'node-3']) expect(review).toContain(`**${n}** restarts, one node at a time (mariadb-ha rolling-restart, each once every node is synced): binlog_expire_logs_seconds 604800 → 259200`);
    expect(review).toContain('**analytics** restarts: binlog_expire_logs_seconds 604800 → 259200');
  });
});
