// Stable identities: the identity lock records every host at synth and refuses a renumbered or
// dropped host unless the change is accepted (which rewrites the lock, for review).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ReplicaRole } from '../../src';
import { ACCEPT_IDENTITY_CHANGES } from '../../src/constructs/identity-lock';
import { synthCluster } from '../support/stacks';
import { ACTIVE_PASSIVE } from '../support/topologies';

const dir = mkdtempSync(join(tmpdir(), 'identity-lock-'));
let lockFile: string;
const lock = () => JSON.parse(readFileSync(lockFile, 'utf8')).clusters['test/shop'];
const synth = (overrides: object = {}) => synthCluster({ identityLockFile: lockFile, ...overrides });
const errorOf = (overrides: object): string => {
  try {
    synth(overrides);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('synth succeeded');
};

beforeEach(() => {
  lockFile = join(dir, `lock-${Math.random().toString(36).slice(2)}.json`);
  synth();
});
afterEach(() => delete process.env[ACCEPT_IDENTITY_CHANGES]);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the identity lock', () => {
  test('the first synth records every host: server id, GTID domain, offset', () => {
    expect(lock()).toEqual({
      'db-a': { kind: 'master', serverId: 1, gtidDomainId: 1, autoIncrementOffset: 1 },
      'db-b': { kind: 'master', serverId: 2, gtidDomainId: 2, autoIncrementOffset: 2 },
      'analytics': { kind: 'replica', serverId: 101, gtidDomainId: 0 },
    });
  });

  test('the same topology synthesizes again and leaves the file as it was', () => {
    const before = readFileSync(lockFile, 'utf8');
    synth();
    expect(readFileSync(lockFile, 'utf8')).toBe(before);
  });

  test('reordering masters is refused, both hosts listed at once, with how to keep them', () => {
    const message = errorOf({ masters: [{ name: 'db-b' }, { name: 'db-a' }] });
    expect(message).toContain("Invalid MariaDB topology at 'test/shop' (2 problems)");
    expect(message).toContain('test/shop.masters[1]: db-a would change serverId 1 -> 2, gtidDomainId 1 -> 2, autoIncrementOffset 1 -> 2');
    expect(message).toContain('test/shop.masters[0]: db-b would change serverId 2 -> 1');
    expect(message).toContain('set serverId: 2, gtidDomainId: 2, autoIncrementOffset: 2 explicitly');
    expect(message).toContain(`to accept, synthesize with ${ACCEPT_IDENTITY_CHANGES}=1 and commit the file`);
  });

  test('inserting a master before another is refused for the master it would renumber', () => {
    const message = errorOf({ masters: [{ name: 'db-a' }, { name: 'db-new' }, { name: 'db-b' }] });
    expect(message).toContain('(1 problem)');
    expect(message).toContain('test/shop.masters[2]: db-b would change serverId 2 -> 3');
  });

  test('renaming a host is refused: the old one would be dropped with its data volume', () => {
    const message = errorOf({ replicas: [{ name: 'reports', source: 'db-b', role: ReplicaRole.ANALYTICS }] });
    expect(message).toContain('test/shop.replicas: analytics (replica, server_id 101) is no longer declared: removing a host destroys its data volume');
  });

  test('adding a replica at the end is recorded without complaint', () => {
    synth({ replicas: [...ACTIVE_PASSIVE.replicas!, { name: 'reports', source: 'db-a', role: ReplicaRole.READ }] });
    expect(lock().reports).toEqual({ kind: 'replica', serverId: 102, gtidDomainId: 0 });
    expect(lock()['db-a'].serverId).toBe(1);
  });

  test('a reordered list that states the recorded identities explicitly is accepted', () => {
    synth({ masters: [{ name: 'db-b', serverId: 2, gtidDomainId: 2, autoIncrementOffset: 2 }, { name: 'db-a', serverId: 1, gtidDomainId: 1, autoIncrementOffset: 1 }] });
    expect(lock()['db-b']).toEqual({ kind: 'master', serverId: 2, gtidDomainId: 2, autoIncrementOffset: 2 });
  });

  test(`${ACCEPT_IDENTITY_CHANGES}=1 accepts the change and rewrites the lock`, () => {
    process.env[ACCEPT_IDENTITY_CHANGES] = '1';
    synth({ masters: [{ name: 'db-b' }, { name: 'db-a' }], replicas: [] });
    expect(lock()).toEqual({
      'db-b': { kind: 'master', serverId: 1, gtidDomainId: 1, autoIncrementOffset: 1 },
      'db-a': { kind: 'master', serverId: 2, gtidDomainId: 2, autoIncrementOffset: 2 },
    });
  });

  test('an unreadable lock is a problem on identityLockFile, not a silent reset', () => {
    writeFileSync(lockFile, '{ not json');
    expect(errorOf({})).toMatch(/test\/shop\.identityLockFile: .* is not a readable identity lock .*restore it from version control/);
  });

  test('a lock in a directory that does not exist is a problem that says where synth runs', () => {
    expect(errorOf({ identityLockFile: join(dir, 'missing', 'lock.json') })).toMatch(/test\/shop\.identityLockFile: the directory of .*missing\/lock\.json does not exist \(a relative path is taken from where synth runs, /);
  });
});
