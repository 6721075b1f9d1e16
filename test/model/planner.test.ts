import fc from 'fast-check';
import {
  HostKind, MultiMasterLayout, planAutoIncrement, planKeyRanges, planTopology, planTopologyOrThrow, TopologyPlan, WriteMode,
} from '../../src/model';
import { ACTIVE_PASSIVE, validTopology } from '../support/topologies';

function keysOf(increment: number, offset: number, count: number): number[] {
  return Array.from({ length: count }, (_, k) => offset + k * increment);
}

describe('planTopology', () => {
  describe('GIVEN an active master, a standby and an analytics replica', () => {
    const plan = planTopologyOrThrow(ACTIVE_PASSIVE, 'test');
    const host = (name: string) => plan.hosts.find((h) => h.name === name)!;

    test('THEN server ids are 1, 2 for the masters and 101 for the replica', () => {
      expect(plan.hosts.map((h) => [h.name, h.serverId])).toEqual([['db-a', 1], ['db-b', 2], ['analytics', 101]]);
    });

    test('THEN the masters use odd and even auto-increment keys', () => {
      expect(plan.autoIncrementIncrement).toBe(2);
      expect(host('db-a').autoIncrementOffset).toBe(1);
      expect(host('db-b').autoIncrementOffset).toBe(2);
    });

    test('THEN each writer has its own GTID domain, and every host starts read-only (one writer at a time)', () => {
      expect(plan.writeMode).toBe(WriteMode.ONE_WRITER);
      expect(host('db-a')).toMatchObject({ gtidDomainId: 1, readOnly: true, kind: HostKind.MASTER });
      expect(host('db-b')).toMatchObject({ gtidDomainId: 2, readOnly: true, kind: HostKind.MASTER });
      expect(host('analytics')).toMatchObject({ readOnly: true, kind: HostKind.REPLICA });
    });

    test('THEN with WriteMode.EVERY_MASTER the masters are writable and the replica is not', () => {
      const every = planTopologyOrThrow({ ...ACTIVE_PASSIVE, writeMode: WriteMode.EVERY_MASTER }, 'test');
      expect(every.hosts.map((h) => [h.name, h.readOnly])).toEqual([['db-a', false], ['db-b', false], ['analytics', true]]);
      expect(every.warnings).toEqual([expect.stringMatching(/^writeMode: every master takes writes: a row updated on two masters loses one update silently/)]);
      expect(plan.warnings).toEqual([]);
    });

    test('THEN the masters replicate from each other and the replica from its chosen master', () => {
      expect(plan.edges.map((e) => `${e.source}->${e.replica}`)).toEqual(['db-b->db-a', 'db-a->db-b', 'db-b->analytics']);
    });
  });

  test('WHEN activeMaster is omitted THEN the first master is active', () => {
    const plan = planTopologyOrThrow({ masters: [{ name: 'x1' }, { name: 'x2' }] }, 'test');
    expect(plan.activeMaster).toBe('x1');
  });

  test('WHEN only the active master changes THEN every host plan is identical', () => {
    const a = planTopologyOrThrow({ ...ACTIVE_PASSIVE, activeMaster: 'db-a' }, 'test');
    const b = planTopologyOrThrow({ ...ACTIVE_PASSIVE, activeMaster: 'db-b' }, 'test');
    expect(b.hosts).toEqual(a.hosts);
    expect(b.edges).toEqual(a.edges);
  });

  test('WHEN three masters form a ring THEN each has one source and a warning is given', () => {
    const plan = planTopologyOrThrow({ masters: [{ name: 'a1' }, { name: 'b1' }, { name: 'c1' }], layout: MultiMasterLayout.RING }, 'test');
    expect(plan.edges.map((e) => `${e.source}->${e.replica}`)).toEqual(['c1->a1', 'a1->b1', 'b1->c1']);
    expect(plan.warnings).toEqual([expect.stringMatching(/ring of 3.*MESH/)]);
  });
});

describe('planner properties over generated topologies', () => {
  const planned = validTopology.map((spec) => {
    const result = planTopology(spec);
    if (!result.plan) throw new Error(`generated topology rejected: ${JSON.stringify(result.problems)}`);
    return { spec, plan: result.plan as TopologyPlan };
  });

  test('server ids are unique across every host', () => {
    fc.assert(fc.property(planned, ({ plan }) => new Set(plan.hosts.map((h) => h.serverId)).size === plan.hosts.length), { numRuns: 300 });
  });

  test('no two writers ever generate the same auto-increment key', () => {
    fc.assert(fc.property(planned, ({ plan }) => {
      const writers = plan.hosts.filter((h) => h.kind === HostKind.MASTER);
      const all = writers.flatMap((w) => keysOf(w.autoIncrementIncrement, w.autoIncrementOffset!, 200));
      return new Set(all).size === all.length;
    }), { numRuns: 300 });
  });

  test('planned key ranges are disjoint and each writer has one', () => {
    fc.assert(fc.property(planned, ({ spec, plan }) => {
      const ranges = plan.hosts.filter((h) => h.kind === HostKind.MASTER).map((h) => h.keyRange);
      if (!spec.keyRangePlan) return ranges.every((r) => r === undefined);
      const sorted = [...ranges].sort((x, y) => x!.start - y!.start);
      return sorted.every((r, i) => r !== undefined && (i === 0 || sorted[i - 1]!.end < r.start));
    }), { numRuns: 300 });
  });

  test('every replication source exists and no host replicates from itself', () => {
    fc.assert(fc.property(planned, ({ plan }) => {
      const names = new Set(plan.hosts.map((h) => h.name));
      return plan.edges.every((e) => names.has(e.source) && names.has(e.replica) && e.source !== e.replica);
    }), { numRuns: 300 });
  });

  test('a mesh gives every writer every other writer as a source; a ring gives one', () => {
    fc.assert(fc.property(planned, ({ plan }) => plan.hosts
      .filter((h) => h.kind === HostKind.MASTER)
      .every((h) => {
        const writerSources = h.sources.filter((e) => plan.writers.includes(e.source)).length;
        return writerSources === (plan.layout === MultiMasterLayout.MESH ? plan.writers.length - 1 : 1);
      })), { numRuns: 300 });
  });
});

describe('planAutoIncrement', () => {
  test.each(Array.from({ length: 12 }, (_, i) => i + 1))('offsets never collide for %i writer(s)', (writers) => {
    const { increment, offsets } = planAutoIncrement(writers);
    expect(increment).toBe(writers);
    const all = offsets.flatMap((o) => keysOf(increment, o, 500));
    expect(new Set(all).size).toBe(all.length);
  });

  test('a larger increment keeps room for more writers', () => {
    expect(planAutoIncrement(2, 10)).toEqual({ increment: 10, offsets: [1, 2] });
  });
});

describe('planKeyRanges', () => {
  test('adjacent ranges of the requested size', () => {
    expect(planKeyRanges(3, 1_000_000)).toEqual([
      { start: 1, end: 1_000_000 },
      { start: 1_000_001, end: 2_000_000 },
      { start: 2_000_001, end: 3_000_000 },
    ]);
  });
});
