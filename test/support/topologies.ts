// Topologies and generators shared by the unit tests.
import fc from 'fast-check';
import { MasterSpec, MultiMasterLayout, ReplicaRole, ReplicaSpec, TopologySpec } from '../../src/model';

export const ACTIVE_PASSIVE: TopologySpec = {
  masters: [{ name: 'db-a' }, { name: 'db-b' }],
  activeMaster: 'db-a',
  replicas: [{ name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS }],
};

/** Valid topologies: 2..9 masters, 0..5 replicas (some chained), optional planned key ranges. */
export const validTopology: fc.Arbitrary<TopologySpec> = fc
  .record({
    masterCount: fc.integer({ min: 2, max: 9 }),
    replicaCount: fc.integer({ min: 0, max: 5 }),
    extraIncrement: fc.integer({ min: 0, max: 6 }),
    layout: fc.constantFrom(MultiMasterLayout.MESH, MultiMasterLayout.RING),
    keysPerWriter: fc.option(fc.integer({ min: 1, max: 10_000_000 }), { nil: undefined }),
    sourcePicks: fc.array(fc.nat(), { minLength: 5, maxLength: 5 }),
    activePick: fc.nat(),
  })
  .map(({ masterCount, replicaCount, extraIncrement, layout, keysPerWriter, sourcePicks, activePick }) => {
    const masters: MasterSpec[] = Array.from({ length: masterCount }, (_, i) => ({ name: `m${i}` }));
    const replicas: ReplicaSpec[] = Array.from({ length: replicaCount }, (_, i) => {
      // A replica follows a master or an earlier replica, so chains always end at a master.
      const candidates = [...masters.map((m) => m.name), ...Array.from({ length: i }, (_, j) => `r${j}`)];
      return { name: `r${i}`, source: candidates[sourcePicks[i] % candidates.length], role: ReplicaRole.ANALYTICS };
    });
    return {
      masters,
      replicas,
      activeMaster: masters[activePick % masterCount].name,
      autoIncrementIncrement: masterCount + extraIncrement,
      layout,
      keyRangePlan: keysPerWriter ? { keysPerWriter } : undefined,
    };
  });
