// The actor lock as the monitor reads it: whom it waits for, and when a lock is taken for left
// behind by an actor that died (its holder stopped touching it).
import { otherLiveHolder, StateSnapshot } from '../../src/operator/monitor-state';
import { MONITOR_LOCK_STALE_SECONDS } from '../../src/render/monitor-config';

const snapshot = (holder?: string, lockAgeSeconds?: number): StateSnapshot => ({ holder, lockAgeSeconds, detached: [] });

describe('whom the monitor waits for', () => {
  test.each<[string, StateSnapshot, string | undefined]>([
    ['nobody holds the lock', snapshot(), undefined],
    ['a switchover holds it, touched a moment ago', snapshot('switchover', 3), 'switchover'],
    ['a rejoin holds it, touched exactly at the stale bound', snapshot('rejoin', MONITOR_LOCK_STALE_SECONDS), 'rejoin'],
    ['a rejoin holds it, untouched past the stale bound: it died, the monitor may act', snapshot('rejoin', MONITOR_LOCK_STALE_SECONDS + 1), undefined],
    ['the monitor itself holds it (left by its own crash)', snapshot('monitor', 5), undefined],
    ['taken, owner not written yet', snapshot('unknown', 0), 'unknown'],
    ['held, age unreadable: still held', snapshot('switchover', undefined), 'switchover'],
  ])('%s', (_situation, seen, expected) => {
    expect(otherLiveHolder(seen, 'monitor')).toBe(expected);
  });
});
