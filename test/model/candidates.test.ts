import { planTopology, planTopologyOrThrow, ReplicaRole, TopologySpec } from '../../src/model';
import { ACTIVE_PASSIVE } from '../support/topologies';

const three: TopologySpec = { masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }], activeMaster: 'db-a' };
const problemsOf = (spec: TopologySpec) => planTopology(spec).problems.map((p) => `${p.property}: ${p.message}`);

describe('promotion candidates', () => {
  test('GIVEN no policy THEN every master is a candidate in declaration order, whichever is active', () => {
    const plan = planTopologyOrThrow({ ...three, activeMaster: 'db-b' }, 'test');
    expect(plan.candidates).toEqual(['db-a', 'db-b', 'db-c']);
  });

  test('GIVEN a whitelist THEN its order is the priority order', () => {
    expect(planTopologyOrThrow({ ...three, promotion: { candidates: ['db-a', 'db-c', 'db-b'] } }, 'test').candidates).toEqual(['db-a', 'db-c', 'db-b']);
  });

  test('THEN each excluded host carries its reasons', () => {
    const plan = planTopologyOrThrow({
      ...ACTIVE_PASSIVE,
      replicas: [
        { name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS },
        { name: 'nightly', source: 'db-a', role: ReplicaRole.BACKUP, delaySeconds: 3600 },
      ],
    }, 'test');
    expect(plan.candidateVerdicts).toEqual([
      { host: 'db-a', eligible: true, reasons: [] },
      { host: 'db-b', eligible: true, reasons: [] },
      { host: 'analytics', eligible: false, reasons: ['analytics replica'] },
      { host: 'nightly', eligible: false, reasons: ['backup replica', 'delayed by 3600 s'] },
    ]);
  });

  test('a DR-site master is excluded unless explicitly allowed', () => {
    const spec: TopologySpec = { ...three, masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c', site: 'dr' }] };
    expect(planTopologyOrThrow(spec, 'test').candidates).toEqual(['db-a', 'db-b']);
    expect(planTopologyOrThrow({ ...spec, promotion: { allowRisky: ['db-c'] } }, 'test').candidates).toEqual(['db-a', 'db-b', 'db-c']);
  });

  test('a newer patch release of the same series stays a candidate: replication compatibility changes between series', () => {
    const spec: TopologySpec = { masters: [{ name: 'db-a', mariadbVersion: '10.11.6' }, { name: 'db-b', mariadbVersion: '10.11.11' }] };
    expect(planTopologyOrThrow(spec, 'test').candidates).toEqual(['db-a', 'db-b']);
  });

  test('a master newer than the active master is excluded unless explicitly allowed', () => {
    const spec: TopologySpec = { ...three, masters: [{ name: 'db-a', mariadbVersion: '10.11.9' }, { name: 'db-b', mariadbVersion: '10.11.9' }, { name: 'db-c', mariadbVersion: '11.4.2' }] };
    expect(planTopologyOrThrow(spec, 'test').candidateVerdicts[2]).toEqual({ host: 'db-c', eligible: false, reasons: ["runs 11.4.2, newer than the active master's 10.11.9"] });
    expect(planTopologyOrThrow({ ...spec, promotion: { allowRisky: ['db-c'] } }, 'test').candidates).toContain('db-c');
  });

  describe('bad policies are rejected with precise messages', () => {
    test('the standby blacklisted leaves no candidate, and every exclusion is named', () => {
      expect(problemsOf({ ...ACTIVE_PASSIVE, promotion: { excluded: ['db-b'] } })).toEqual([
        "promotion: no promotion candidate besides the active master 'db-a', so nothing could take over its writes; excluded: db-b (excluded by promotion.excluded), analytics (analytics replica); list a DR or newer master in promotion.allowRisky to let it take over",
      ]);
    });

    test('an analytics host as sole candidate', () => {
      expect(problemsOf({ ...ACTIVE_PASSIVE, promotion: { candidates: ['analytics'] } })).toEqual([
        "promotion.candidates[0]: 'analytics' is a replica (replicas[0], analytics); a replica follows one source and owns no auto-increment slot, so it cannot be promoted: declare it among the masters to make it a candidate",
        "activeMaster: 'db-a' cannot be the active master: not in promotion.candidates",
        "promotion: no promotion candidate besides the active master 'db-a', so nothing could take over its writes; excluded: db-b (not in promotion.candidates), analytics (analytics replica); list a DR or newer master in promotion.allowRisky to let it take over",
      ]);
    });

    test('the only standby in a DR site', () => {
      expect(problemsOf({ masters: [{ name: 'db-a' }, { name: 'db-b', site: 'dr' }] })).toEqual([
        "promotion: no promotion candidate besides the active master 'db-a', so nothing could take over its writes; excluded: db-b (in DR site 'dr' (primary site is 'primary')); list a DR or newer master in promotion.allowRisky to let it take over",
      ]);
    });

    test('an unknown host and a malformed version', () => {
      expect(problemsOf({ masters: [{ name: 'db-a', mariadbVersion: '10.11.9' }, { name: 'db-b', mariadbVersion: 'eleven' }], promotion: { excluded: ['db-q'] } })).toEqual([
        "promotion.excluded[0]: 'db-q' is not a host of this cluster",
        "masters[1].mariadbVersion: 'eleven' is not a version like 10.11.9",
      ]);
    });

    test('an excluded active master', () => {
      expect(problemsOf({ ...three, promotion: { excluded: ['db-a'] } })).toEqual([
        "activeMaster: 'db-a' cannot be the active master: excluded by promotion.excluded",
      ]);
    });
  });
});
