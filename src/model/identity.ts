// A host's identity: the values its peers and its data depend on. Changing one on a live host
// renumbers it (replication filters events by server id and tracks positions by GTID domain; key
// sequences depend on the offset), so a recorded identity may only change when a reviewer accepts it.
import { HostKind, TopologyPlan } from './plan';
import { Problem } from './problems';
import { TopologySpec } from './topology';

export interface HostIdentity {
  readonly kind: HostKind;
  readonly serverId: number;
  readonly gtidDomainId: number;
  /** Masters only. */
  readonly autoIncrementOffset?: number;
}

/** Identities by host name. */
export type IdentityRecord = { [hostName: string]: HostIdentity };

export function identitiesOf(plan: TopologyPlan): IdentityRecord {
  return Object.fromEntries(plan.hosts.map((h) => [h.name, {
    kind: h.kind,
    serverId: h.serverId,
    gtidDomainId: h.gtidDomainId,
    ...(h.autoIncrementOffset !== undefined ? { autoIncrementOffset: h.autoIncrementOffset } : {}),
  }]));
}

const FIELDS: Array<keyof HostIdentity> = ['kind', 'serverId', 'gtidDomainId', 'autoIncrementOffset'];

/**
 * Every recorded host whose identity the plan changes or drops, at the property path of the host
 * (or of its list when it is gone); `howToAccept` ends each message (where the record lives, how to
 * accept the change).
 */
export function identityProblems(spec: TopologySpec, plan: TopologyPlan, recorded: IdentityRecord, howToAccept: string): Problem[] {
  const planned = identitiesOf(plan);
  const pathOf = (name: string) => {
    const m = spec.masters.findIndex((x) => x.name === name);
    return m >= 0 ? `masters[${m}]` : `replicas[${(spec.replicas ?? []).findIndex((x) => x.name === name)}]`;
  };
  const problems: Problem[] = [];
  for (const [name, was] of Object.entries(recorded)) {
    const now = planned[name];
    if (!now) {
      problems.push({
        property: was.kind === HostKind.MASTER ? 'masters' : 'replicas',
        message: `${name} (${was.kind}, server_id ${was.serverId}) is no longer declared: removing a host destroys its data`
          + ` volume, and a renamed host is a new, empty one; ${howToAccept}`,
      });
      continue;
    }
    const changed = FIELDS.filter((f) => was[f] !== now[f]);
    if (changed.length === 0) continue;
    const keep = changed.filter((f) => f === 'serverId' || f === 'gtidDomainId' || f === 'autoIncrementOffset')
      .map((f) => `${f}: ${was[f]}`);
    problems.push({
      property: pathOf(name),
      message: `${name} would change ${changed.map((f) => `${f} ${was[f] ?? '(none)'} -> ${now[f] ?? '(none)'}`).join(', ')}:`
        + ' a live host keeps its identity'
        + (keep.length > 0 ? ` (declare it in its old place or set ${keep.join(', ')} explicitly)` : '') + `; ${howToAccept}`,
    });
  }
  return problems;
}
