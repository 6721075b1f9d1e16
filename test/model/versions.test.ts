import { planTopology, TopologySpec } from '../../src/model';
import { compareVersions, seriesOf, upgradeSteps } from '../../src/model/versions';

const problemsOf = (spec: TopologySpec) => planTopology(spec).problems.map((p) => `${p.property}: ${p.message}`);
const withVersions = (a: string, b: string, analytics: string): TopologySpec => ({
  masters: [{ name: 'db-a', mariadbVersion: a }, { name: 'db-b', mariadbVersion: b }],
  replicas: [{ name: 'analytics', source: 'db-b', mariadbVersion: analytics }],
  promotion: { allowRisky: ['db-a', 'db-b'] },
});

describe('versions', () => {
  test('compare numerically by part and group by series', () => {
    expect(compareVersions('10.11.9', '10.11.10')).toBeLessThan(0);
    expect(compareVersions('11.8', '11.8.0')).toBe(0);
    expect(compareVersions('11.8.3', '10.11.14')).toBeGreaterThan(0);
    expect(seriesOf('11.8.3')).toBe('11.8');
    expect(seriesOf('11')).toBe('11.0');
  });

  test('a replica of an older series than its source is refused: it may not read the newer binary log', () => {
    expect(problemsOf(withVersions('10.11.14', '11.8.3', '10.11.14'))).toEqual([
      "replicas[0].mariadbVersion: 'analytics' would run 10.11.14, an older series than its source db-b's 11.8.3: an older server may not read a newer one's binary log; upgrade replicas first",
    ]);
    expect(problemsOf(withVersions('10.11.14', '10.11.14', '11.8.3'))).toEqual([]);
  });

  test('a version on some hosts only is refused, naming every host without one', () => {
    expect(problemsOf({ masters: [{ name: 'db-a', mariadbVersion: '11.8.3' }, { name: 'db-b' }], replicas: [{ name: 'analytics', source: 'db-b' }] })).toEqual([
      "masters[1].mariadbVersion: 'db-b' declares no version while db-a declares 11.8.3; declare it on every host or on none",
      "replicas[0].mariadbVersion: 'analytics' declares no version while db-a declares 11.8.3; declare it on every host or on none",
    ]);
  });

  describe('the steps left of a rolling upgrade', () => {
    const hosts = (a: string, b: string, analytics: string) => [
      { name: 'db-a', master: true, mariadbVersion: a },
      { name: 'db-b', master: true, mariadbVersion: b },
      { name: 'analytics', master: false, mariadbVersion: analytics },
    ];
    test.each([
      ['nothing declared', [{ name: 'db-a', master: true }, { name: 'db-b', master: true }], []],
      ['every host on one series (patch releases differ)', hosts('10.11.9', '10.11.14', '10.11.14'), []],
      ['the replica upgraded first', hosts('10.11', '10.11', '11.8'), [
        'upgrade db-b to 11.8 (a master that takes no writes, alone in its apply)',
        'switch the writes to an upgraded master: set activeMaster to an upgraded master (listed in promotion.allowRisky: it runs a newer version)',
        'upgrade db-a to 11.8 (the old writer, once it takes no writes)',
      ]],
      ['the standby upgraded first: the replica comes before it in the order', hosts('10.11', '11.8', '10.11'), [
        'upgrade analytics to 11.8 (a replica, alone in its apply)',
        'switch the writes to db-b: set activeMaster to db-b (listed in promotion.allowRisky: it runs a newer version)',
        'upgrade db-a to 11.8 (the old writer, once it takes no writes)',
      ]],
      ['only the old writer left', hosts('10.11', '11.8', '11.8'), [
        'switch the writes to db-b: set activeMaster to db-b (listed in promotion.allowRisky: it runs a newer version)',
        'upgrade db-a to 11.8 (the old writer, once it takes no writes)',
      ]],
    ])('%s', (_, given, steps) => {
      expect(upgradeSteps(given, 'db-a')).toEqual(steps);
    });

    test('after the switchover only the old writer, now a standby, is left', () => {
      expect(upgradeSteps(hosts('10.11', '11.8', '11.8'), 'db-b')).toEqual(['upgrade db-a to 11.8 (a master that takes no writes, alone in its apply)']);
    });
  });
});
