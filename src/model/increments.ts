// Moving live writers to new auto-increment settings without two of them ever generating the same key.
//
// A writer with increment i and offset o generates the keys o, o+i, o+2i, ... Two such sequences
// share a key exactly when their offsets agree modulo gcd of their increments, so changing one
// writer at a time from (2, 1), (2, 2) straight to (3, 1), (3, 2), (3, 3) collides (3·1+1 = 2·2 = 4).
// The rollout goes through the least common multiple L of old and new increments: first every
// writer narrows to one residue modulo L that lies in both its old and its new sequence (a subset
// of the old, so still disjoint from every other writer's old or narrowed keys); then each widens
// to its new setting (a superset of the narrowed, disjoint from every other writer's new or
// narrowed keys). A joining writer starts only after everyone has narrowed.

/** One writer's auto-increment setting. */
export interface KeySlot {
  readonly increment: number;
  readonly offset: number;
}

/** One `SET GLOBAL` of a rollout. */
export interface SlotChange {
  readonly host: string;
  readonly from: KeySlot;
  readonly to: KeySlot;
}

export interface IncrementRollout {
  /** Every remaining writer moves into keys its old and new settings share. */
  readonly narrow: SlotChange[];
  /** Then each moves to its planned setting. */
  readonly widen: SlotChange[];
  /** Why no safe order exists (nothing may be changed then). */
  readonly problems: string[];
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function lcm(a: number, b: number): number {
  return (a / gcd(a, b)) * b;
}

/** MariaDB ignores an offset larger than the increment and uses 1. */
function effectiveOffset(slot: KeySlot): number {
  return slot.offset > slot.increment ? 1 : slot.offset;
}

/** Whether two writers with these settings can generate the same key. */
export function slotsOverlap(a: KeySlot, b: KeySlot): boolean {
  const g = gcd(a.increment, b.increment);
  return (effectiveOffset(a) - effectiveOffset(b)) % g === 0;
}

export function describeSlot(slot: KeySlot): string {
  return `increment ${slot.increment} offset ${slot.offset}`;
}

function sameSlot(a: KeySlot, b: KeySlot): boolean {
  return a.increment === b.increment && effectiveOffset(a) === effectiveOffset(b);
}

/** The offset in 1..modulus of the keys both slots generate, if they share any. */
function sharedResidue(a: KeySlot, b: KeySlot, modulus: number): number | undefined {
  for (let r = 1; r <= modulus; r++) {
    if ((r - effectiveOffset(a)) % a.increment === 0 && (r - effectiveOffset(b)) % b.increment === 0) return r;
  }
  return undefined;
}

function overlapProblems(slots: Record<string, KeySlot>, when: string): string[] {
  const names = Object.keys(slots);
  return names.flatMap((a, i) => names.slice(i + 1)
    .filter((b) => slotsOverlap(slots[a], slots[b]))
    .map((b) => `${when}, ${a} (${describeSlot(slots[a])}) and ${b} (${describeSlot(slots[b])}) generate the same keys`));
}

/**
 * Orders the change of live writers' settings (`live`, the writers running now) to `planned` (the
 * writers after the change); hosts only in `live` are leaving and must have stopped writing.
 */
export function planIncrementRollout(live: Record<string, KeySlot>, planned: Record<string, KeySlot>): IncrementRollout {
  const staying = Object.keys(planned).filter((h) => live[h] !== undefined);
  const problems = [
    ...overlapProblems(Object.fromEntries(staying.map((h) => [h, live[h]])), 'now'),
    ...overlapProblems(planned, 'as planned'),
  ];
  if (problems.length > 0 || staying.every((h) => sameSlot(live[h], planned[h]))) {
    return { narrow: [], widen: [], problems };
  }
  const modulus = staying.reduce((m, h) => lcm(m, lcm(live[h].increment, planned[h].increment)), 1);
  const narrowed: Record<string, KeySlot> = {};
  for (const host of staying) {
    const residue = sharedResidue(live[host], planned[host], modulus);
    if (residue === undefined) {
      problems.push(`${host} generates keys with ${describeSlot(live[host])} and is planned with ${describeSlot(planned[host])}: the two share no key, so no order of changes keeps it apart from the other writers; keep its offset, or change it in a separate apply while only one master writes`);
    } else {
      narrowed[host] = { increment: modulus, offset: residue };
    }
  }
  if (problems.length > 0) return { narrow: [], widen: [], problems };
  return {
    narrow: staying.filter((h) => !sameSlot(live[h], narrowed[h])).map((h) => ({ host: h, from: live[h], to: narrowed[h] })),
    widen: staying.filter((h) => !sameSlot(narrowed[h], planned[h])).map((h) => ({ host: h, from: narrowed[h], to: planned[h] })),
    problems,
  };
}
