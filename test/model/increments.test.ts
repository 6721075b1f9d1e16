import fc from 'fast-check';
import { KeySlot, planIncrementRollout, slotsOverlap } from '../../src/model/increments';
import { planAutoIncrement } from '../../src/model';

/** Default slots of n writers named w1..wn. */
function writers(n: number, names = Array.from({ length: n }, (_, i) => `w${i + 1}`)): Record<string, KeySlot> {
  const { increment, offsets } = planAutoIncrement(n);
  return Object.fromEntries(names.map((name, i) => [name, { increment, offset: offsets[i] }]));
}

function keys(slot: KeySlot, below: number): Set<number> {
  const out = new Set<number>();
  for (let k = slot.offset; k < below; k += slot.increment) out.add(k);
  return out;
}

/** Every state a rollout passes through: each staying writer old, narrowed or new, in step order. */
function statesOf(live: Record<string, KeySlot>, planned: Record<string, KeySlot>): Array<Record<string, KeySlot>> {
  const rollout = planIncrementRollout(live, planned);
  const staying = Object.keys(planned).filter((h) => live[h]);
  let current: Record<string, KeySlot> = Object.fromEntries(staying.map((h) => [h, live[h]]));
  const states = [current];
  for (const change of rollout.narrow) states.push(current = { ...current, [change.host]: change.to });
  // Joining writers start once everyone has narrowed.
  states.push(current = { ...current, ...Object.fromEntries(Object.keys(planned).filter((h) => !live[h]).map((h) => [h, planned[h]])) });
  for (const change of rollout.widen) states.push(current = { ...current, [change.host]: change.to });
  return states;
}

/** True when no two writers of any state share a key below 2000 (checked by enumeration, not by the formula). */
function disjointThroughout(states: Array<Record<string, KeySlot>>): boolean {
  return states.every((state) => {
    const seen = new Map<number, string>();
    return Object.entries(state).every(([host, slot]) => [...keys(slot, 2000)].every((k) => !seen.has(k) && seen.set(k, host)));
  });
}

describe('planIncrementRollout', () => {
  test('GIVEN two writers WHEN a third joins THEN both narrow to increment 6 before anyone widens to 3', () => {
    const rollout = planIncrementRollout(writers(2), writers(3));
    expect(rollout.problems).toEqual([]);
    expect(rollout.narrow.map((c) => [c.host, c.to])).toEqual([['w1', { increment: 6, offset: 1 }], ['w2', { increment: 6, offset: 2 }]]);
    expect(rollout.widen.map((c) => [c.host, c.to])).toEqual([['w1', { increment: 3, offset: 1 }], ['w2', { increment: 3, offset: 2 }]]);
    expect(disjointThroughout(statesOf(writers(2), writers(3)))).toBe(true);
  });

  test('GIVEN the naive order (one writer at a time straight to the new setting) THEN keys collide: the reason for narrowing', () => {
    expect(slotsOverlap({ increment: 3, offset: 1 }, { increment: 2, offset: 2 })).toBe(true);
    expect(disjointThroughout([{ w1: { increment: 3, offset: 1 }, w2: { increment: 2, offset: 2 } }])).toBe(false);
  });

  test('GIVEN three writers WHEN the last leaves THEN the two others go 3 -> 6 -> 2, disjoint throughout', () => {
    const live = writers(3);
    const planned = writers(2);
    const rollout = planIncrementRollout(live, planned);
    expect(rollout.narrow.map((c) => [c.host, c.to.increment, c.to.offset])).toEqual([['w1', 6, 1], ['w2', 6, 2]]);
    expect(disjointThroughout(statesOf(live, planned))).toBe(true);
  });

  test('GIVEN unchanged settings WHEN a writer joins with a free offset THEN nothing changes on the running writers', () => {
    const live = { w1: { increment: 4, offset: 1 }, w2: { increment: 4, offset: 2 } };
    const rollout = planIncrementRollout(live, { ...live, w3: { increment: 4, offset: 3 } });
    expect(rollout).toEqual({ narrow: [], widen: [], problems: [] });
  });

  test('GIVEN a writer whose old and new keys share none THEN the rollout is refused, naming it', () => {
    const rollout = planIncrementRollout({ w1: { increment: 2, offset: 1 }, w2: { increment: 2, offset: 2 } }, { w1: { increment: 4, offset: 2 }, w2: { increment: 4, offset: 1 } });
    expect(rollout.narrow).toEqual([]);
    expect(rollout.problems).toEqual([expect.stringContaining('w1 generates keys with increment 2 offset 1 and is planned with increment 4 offset 2'), expect.stringContaining('w2 generates')]);
  });

  test('GIVEN a planned layout where two writers share keys THEN it is refused before anything changes', () => {
    const rollout = planIncrementRollout(writers(2), { w1: { increment: 3, offset: 1 }, w2: { increment: 3, offset: 1 } });
    expect(rollout.problems).toEqual(['as planned, w1 (increment 3 offset 1) and w2 (increment 3 offset 1) generate the same keys']);
  });

  test('GIVEN any growth or shrink between 1 and 7 default writers THEN every state of the rollout keeps keys disjoint', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }), (from, to) => {
      const live = writers(from);
      const planned = writers(to);
      expect(planIncrementRollout(live, planned).problems).toEqual([]);
      expect(disjointThroughout(statesOf(live, planned))).toBe(true);
    }), { numRuns: 60 });
  });
});
