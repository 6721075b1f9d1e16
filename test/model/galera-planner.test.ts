// The Galera model: defaults, the rule table (every problem at once, with its property path) and
// named warnings, in milliseconds and without cdktf.
import { GaleraTopologySpec, GaleraWriteMode, HostKind, planGalera, ReplicaRole, SstMethod } from '../../src/model';

const THREE_NODES: GaleraTopologySpec = {
  nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }],
  replicas: [{ name: 'analytics', source: 'node-1', role: ReplicaRole.ANALYTICS }],
};

const problems = (spec: GaleraTopologySpec) => planGalera(spec, 'shop').problems.map((p) => `${p.property}: ${p.message}`);

describe('planGalera', () => {
  describe('GIVEN three nodes and an analytics replica of the first', () => {
    const { plan, problems: found } = planGalera(THREE_NODES, 'shop');

    test('THEN it plans with no problem, the first node bootstrapping, mariabackup and one writer node by default', () => {
      expect(found).toEqual([]);
      expect(plan!.galera).toEqual({
        clusterName: 'shop', nodes: ['node-1', 'node-2', 'node-3'], bootstrapNode: 'node-1', arbitrator: undefined,
        sstMethod: SstMethod.MARIABACKUP, gtidDomainId: 1, writeMode: GaleraWriteMode.ONE_NODE,
      });
      expect(plan!.warnings).toEqual([]);
    });

    test('THEN every node shares one server id and the cluster domain, writable; the replica keeps its own id, read-only', () => {
      expect(plan!.hosts.map((h) => [h.name, h.kind, h.serverId, h.gtidDomainId, h.readOnly])).toEqual([
        ['node-1', HostKind.GALERA_NODE, 1, 1, false],
        ['node-2', HostKind.GALERA_NODE, 1, 1, false],
        ['node-3', HostKind.GALERA_NODE, 1, 1, false],
        ['analytics', HostKind.REPLICA, 101, 0, true],
      ]);
    });

    test('THEN the only replication edge is the replica\'s: the nodes replicate by Galera', () => {
      expect(plan!.edges).toEqual([{ source: 'node-1', replica: 'analytics', connectionName: 'node-1', delaySeconds: 0 }]);
      expect(plan!.hosts.filter((h) => h.kind === HostKind.GALERA_NODE).every((h) => h.sources.length === 0)).toBe(true);
    });
  });

  describe('GIVEN the number of voters', () => {
    test.each([
      [['n-1', 'n-2'], undefined, /^nodes: 2 voters \(nodes and arbitrator\) lose quorum when one is lost/],
      [['n-1'], 'arb', /^nodes: declares 1 node\(s\); a Galera cluster needs at least two data nodes/],
      [['n-1', 'n-2', 'n-3', 'n-4'], undefined, /^nodes: 4 nodes: a split into halves stops the whole cluster; add an arbitrator or a node/],
      [['n-1', 'n-2', 'n-3'], 'arb', /^arbitrator: 3 nodes and the arbitrator make 4 voters/],
    ])('WHEN the nodes are %j and the arbitrator %s THEN synth refuses', (nodes, arbitrator, expected) => {
      expect(problems({ nodes: nodes.map((name) => ({ name })), arbitrator: arbitrator ? { name: arbitrator } : undefined })).toEqual([expect.stringMatching(expected)]);
    });

    test.each([
      [['n-1', 'n-2'], 'arb', false],
      [['n-1', 'n-2', 'n-3'], undefined, false],
      [['n-1', 'n-2', 'n-3', 'n-4'], 'arb', false],
      [['n-1', 'n-2', 'n-3', 'n-4'], undefined, true],
    ])('WHEN the nodes are %j and the arbitrator %s (allowEvenVoters %s) THEN it plans', (nodes, arbitrator, allowEvenVoters) => {
      expect(problems({ nodes: nodes.map((name) => ({ name })), arbitrator: arbitrator ? { name: arbitrator } : undefined, allowEvenVoters })).toEqual([]);
    });
  });

  describe('GIVEN bad input', () => {
    test('WHEN several things are wrong THEN every problem is listed at once, each at its property', () => {
      expect(problems({
        nodes: [{ name: 'node-1' }, { name: 'node-1' }, { name: 'Node_3' }],
        replicas: [{ name: 'analytics', source: 'arb' }],
        arbitrator: { name: 'arb' },
        sstMethod: 'xtrabackup' as SstMethod,
        defaultStorageEngine: 'MyISAM',
        databaseName: 'mysql',
        gtidDomainId: -1,
      })).toEqual([
        expect.stringMatching(/^arbitrator: 3 nodes and the arbitrator make 4 voters/),
        expect.stringMatching(/^nodes\[2\]\.name: 'Node_3' is not a valid host name/),
        expect.stringMatching(/^nodes\[1\]\.name: 'node-1' is already the name of nodes\[0\]/),
        expect.stringMatching(/^replicas\[0\]\.source: 'arb' is not a host of this cluster; choose one of: node-1, Node_3/),
        expect.stringMatching(/^sstMethod: 'xtrabackup' is not an SstMethod; use one of: mariabackup, rsync/),
        expect.stringMatching(/^gtidDomainId: -1 is not a whole number in 0\.\.4294967292/),
        expect.stringMatching(/^defaultStorageEngine: 'MyISAM': Galera replicates InnoDB tables only/),
        expect.stringMatching(/^databaseName: 'mysql' is a MariaDB system schema/),
      ]);
    });

    test('WHEN master-master properties are given (a plain JavaScript caller) THEN each is refused: Galera and master-master never share hosts', () => {
      const spec = { ...THREE_NODES, masters: [{ name: 'db-a' }], activeMaster: 'db-a' } as unknown as GaleraTopologySpec;
      expect(problems(spec)).toEqual([
        expect.stringMatching(/^masters: is a master-master property; a Galera cluster has nodes, and master-master replication and Galera never share hosts/),
        expect.stringMatching(/^activeMaster: is a master-master property/),
      ]);
    });

    test('WHEN a replica\'s server id is in the nodes\' range THEN synth says which ids replicas take', () => {
      expect(problems({ ...THREE_NODES, replicas: [{ name: 'analytics', source: 'node-1', serverId: 1 }] }))
        .toEqual([expect.stringMatching(/^replicas\[0\]\.serverId: 1 is not a whole number in 101\.\.4294967295/)]);
    });

    test.each(['genesis', 'network', 'node-data'])('WHEN a node is named %s THEN synth refuses the reserved name', (name) => {
      expect(problems({ nodes: [{ name: 'node-1' }, { name: 'node-2' }, { name }] })).toEqual([expect.stringMatching(/^nodes\[2\]\.name: '.*' is reserved/)]);
    });
  });

  describe('GIVEN legal but risky choices', () => {
    test('WHEN every node takes writes THEN the plan warns of deadlock errors the application must retry', () => {
      expect(planGalera({ ...THREE_NODES, writeMode: GaleraWriteMode.ALL_NODES }, 'shop').plan!.warnings).toEqual([expect.stringMatching(/fail at commit with error 1213 \(deadlock\)/)]);
    });

    test('WHEN rsync transfers state THEN the plan warns that the donor blocks writes', () => {
      expect(planGalera({ ...THREE_NODES, sstMethod: SstMethod.RSYNC }, 'shop').plan!.warnings).toEqual([expect.stringMatching(/rsync blocks writes on the donor/)]);
    });
  });
});
