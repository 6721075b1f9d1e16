// The identity lock: a JSON file committed with the stack that records every host's identity per
// cluster. Synth records new hosts in it and refuses a change to a recorded identity or a dropped
// host; synth with MARIADB_HA_ACCEPT_IDENTITY_CHANGES=1 accepts them by rewriting the file, whose
// diff the pull request then shows.
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { dirname, resolve } from 'path';
import { identitiesOf, IdentityRecord, identityProblems } from '../model/identity';
import { TopologyPlan } from '../model/plan';
import { Problem } from '../model/problems';
import { TopologySpec } from '../model/topology';

export const ACCEPT_IDENTITY_CHANGES = 'MARIADB_HA_ACCEPT_IDENTITY_CHANGES';

interface IdentityLock {
  readonly comment: string;
  /** Identities by construct path of the cluster. */
  readonly clusters: { [clusterPath: string]: IdentityRecord };
}

const COMMENT = 'Written by cdktf-mariadb-ha at synth: the identity of every host (commit this file). '
  + `A change to a recorded identity fails synth unless ${ACCEPT_IDENTITY_CHANGES}=1 is set.`;

function readLock(file: string): IdentityLock {
  if (!existsSync(file)) return { comment: COMMENT, clusters: {} };
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof lock !== 'object' || lock === null || typeof lock.clusters !== 'object' || lock.clusters === null) {
    throw new Error('it has no "clusters" object');
  }
  return lock;
}

/** Problems with the plan against the lock (or with the lock itself), reported with the others. */
export function identityLockProblems(file: string, clusterPath: string, spec: TopologySpec, plan: TopologyPlan | undefined): Problem[] {
  if (!existsSync(dirname(resolve(file)))) {
    return [{ property: 'identityLockFile', message: `the directory of ${file} does not exist (a relative path is taken from where synth runs, ${process.cwd()})` }];
  }
  let lock: IdentityLock;
  try {
    lock = readLock(file);
  } catch (error) {
    return [{ property: 'identityLockFile', message: `${file} is not a readable identity lock (${(error as Error).message}); restore it from version control` }];
  }
  if (!plan || process.env[ACCEPT_IDENTITY_CHANGES] === '1') return [];
  const howToAccept = `recorded in ${file}; to accept, synthesize with ${ACCEPT_IDENTITY_CHANGES}=1 and commit the file`;
  return identityProblems(spec, plan, lock.clusters[clusterPath] ?? {}, howToAccept);
}

/** Records the plan's identities (called once the cluster has no problems); writes only on a change. */
export function recordIdentities(file: string, clusterPath: string, plan: TopologyPlan): void {
  const lock = readLock(file);
  const clusters = { ...lock.clusters, [clusterPath]: identitiesOf(plan) };
  const next = `${JSON.stringify({ comment: COMMENT, clusters }, null, 2)}\n`;
  if (!existsSync(file) || readFileSync(file, 'utf8') !== next) writeFileSync(file, next);
}
