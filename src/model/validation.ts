// Topology rules: each rule reports every violation it sees, so one synth lists all problems at once.
import { ResolvedReplica, ResolvedTopology } from './defaults';
import { Problem } from './problems';
import { KEY_COLUMN_MAX, KeyColumnType, KeyRange, ReplicaRole, TopologySpec } from './topology';
import { versionProblems } from './versions';

const HOST_NAME = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
/** Names the constructs give their own resources beside the hosts'. */
const RESERVED_HOST_NAMES = ['network', 'cluster', 'image', 'writer', 'writers', 'membership', 'password-rotation', 'genesis', 'rollout'];
const RESERVED_HOST_NAME = /^writer-\d+$|-(data|files|sources|seed)$/;
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const MAX_SERVER_ID = 4294967295; // server_id and gtid_domain_id are 32-bit unsigned
const MAX_AUTO_INCREMENT = 65535; // auto_increment_increment/offset upper bound
const MAX_DELAY_SECONDS = 2147483647;

interface HostRef {
  readonly path: string;
  readonly name: string;
  readonly serverId: number;
}

type Rule = (t: ResolvedTopology, spec: TopologySpec) => Problem[];

const masterPath = (i: number) => `masters[${i}]`;
const replicaPath = (i: number) => `replicas[${i}]`;

function allHosts(t: ResolvedTopology): HostRef[] {
  return [
    ...t.masters.map((m) => ({ path: masterPath(m.index), name: m.name, serverId: m.serverId })),
    ...t.replicas.map((r) => ({ path: replicaPath(r.index), name: r.name, serverId: r.serverId })),
  ];
}

function isWholeIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

/** Reports every later occurrence of a value that an earlier item already has. */
function duplicates<T>(items: T[], key: (item: T) => unknown, report: (item: T, first: T) => Problem): Problem[] {
  const seen = new Map<unknown, T>();
  const problems: Problem[] = [];
  for (const item of items) {
    const first = seen.get(key(item));
    if (first !== undefined) problems.push(report(item, first));
    else seen.set(key(item), item);
  }
  return problems;
}

const needsStandby: Rule = (t) =>
  t.masters.length >= 2
    ? []
    : [{
      property: 'masters',
      message: `declares ${t.masters.length} master(s); active/passive needs an active master and at least one standby master`,
    }];

/** Invalid, reserved and repeated host names among `hosts`, each at its property path. */
export function hostNameProblems(hosts: ReadonlyArray<{ readonly path: string; readonly name: string }>): Problem[] {
  const invalid = hosts
    .filter((h) => typeof h.name !== 'string' || !HOST_NAME.test(h.name))
    .map((h) => ({
      property: `${h.path}.name`,
      message: `'${h.name}' is not a valid host name (2-40 of a-z, 0-9 and '-', starting with a letter, not ending with '-')`,
    }));
  const reserved = hosts
    .filter((h) => typeof h.name === 'string' && (RESERVED_HOST_NAMES.includes(h.name) || RESERVED_HOST_NAME.test(h.name)))
    .map((h) => ({
      property: `${h.path}.name`,
      message: `'${h.name}' is reserved: the cluster names its own resources ${RESERVED_HOST_NAMES.join(', ')}, writer-<n>, <host>-data, -files, -sources and -seed`,
    }));
  const repeated = duplicates([...hosts], (h) => h.name, (h, first) => ({
    property: `${h.path}.name`,
    message: `'${h.name}' is already the name of ${first.path}; host names must be unique`,
  }));
  return [...invalid, ...reserved, ...repeated];
}

const hostNamesAreValidAndUnique: Rule = (t) => hostNameProblems(allHosts(t));

/** True when two hosts share a name (other rules then cannot tell them apart). */
export function hostNamesRepeat(t: ResolvedTopology): boolean {
  const names = allHosts(t).map((h) => h.name);
  return new Set(names).size !== names.length;
}

const activeMasterIsAMaster: Rule = (t) => {
  if (t.masters.length === 0 || t.masters.some((m) => m.name === t.activeMaster)) return [];
  const replica = t.replicas.find((r) => r.name === t.activeMaster);
  const why = replica ? `is a replica (${replicaPath(replica.index)}), not a master` : 'is not one of the masters';
  return [{
    property: 'activeMaster',
    message: `'${t.activeMaster}' ${why}; choose one of: ${t.masters.map((m) => m.name).join(', ')}`,
  }];
};

const serverIdsAreValidAndUnique: Rule = (t) => {
  const hosts = allHosts(t);
  const invalid = hosts
    .filter((h) => !isWholeIn(h.serverId, 1, MAX_SERVER_ID))
    .map((h) => ({ property: `${h.path}.serverId`, message: `${h.serverId} is not a whole number in 1..${MAX_SERVER_ID}` }));
  const repeated = duplicates(hosts, (h) => h.serverId, (h, first) => ({
    property: `${h.path}.serverId`,
    message: `${h.serverId} is already the server_id of ${first.path} (${first.name}); every host needs its own server_id or replication loops and drops events`,
  }));
  return [...invalid, ...repeated];
};

const autoIncrementCoversEveryWriter: Rule = (t) => {
  const inc = t.autoIncrementIncrement;
  const problems: Problem[] = [];
  if (!isWholeIn(inc, 1, MAX_AUTO_INCREMENT)) {
    problems.push({ property: 'autoIncrementIncrement', message: `${inc} is not a whole number in 1..${MAX_AUTO_INCREMENT}` });
  } else if (inc < t.masters.length) {
    problems.push({
      property: 'autoIncrementIncrement',
      message: `${inc} is smaller than the number of writers (${t.masters.length}); two writers would generate the same auto-increment keys`,
    });
  }
  for (const m of t.masters) {
    if (!isWholeIn(m.autoIncrementOffset, 1, Math.min(inc, MAX_AUTO_INCREMENT))) {
      problems.push({
        property: `${masterPath(m.index)}.autoIncrementOffset`,
        message: `${m.autoIncrementOffset} is not a whole number in 1..autoIncrementIncrement (${inc}); MariaDB ignores offsets above the increment`,
      });
    }
  }
  problems.push(...duplicates(t.masters, (m) => m.autoIncrementOffset, (m, first) => ({
    property: `${masterPath(m.index)}.autoIncrementOffset`,
    message: `${m.autoIncrementOffset} is already the offset of ${masterPath(first.index)} (${first.name}); both writers would generate the same keys`,
  })));
  return problems;
};

const gtidDomainsAreValidAndUnique: Rule = (t) => [
  ...t.masters
    .filter((m) => !isWholeIn(m.gtidDomainId, 0, MAX_SERVER_ID))
    .map((m) => ({ property: `${masterPath(m.index)}.gtidDomainId`, message: `${m.gtidDomainId} is not a whole number in 0..${MAX_SERVER_ID}` })),
  ...duplicates(t.masters, (m) => m.gtidDomainId, (m, first) => ({
    property: `${masterPath(m.index)}.gtidDomainId`,
    message: `${m.gtidDomainId} is already the GTID domain of ${masterPath(first.index)} (${first.name}); each writer needs its own domain`,
  })),
];

function rangeProblem(range: KeyRange): string | undefined {
  if (!isWholeIn(range.start, 1, Number.MAX_SAFE_INTEGER) || !isWholeIn(range.end, 1, Number.MAX_SAFE_INTEGER)) {
    return `[${range.start}, ${range.end}] must hold whole numbers in 1..${Number.MAX_SAFE_INTEGER}`;
  }
  return range.end < range.start ? `[${range.start}, ${range.end}] ends before it starts` : undefined;
}

const keyRangesAreDisjoint: Rule = (t, spec) => {
  const problems: Problem[] = [];
  const explicit = (spec.masters ?? []).filter((m) => m?.keyRange !== undefined).length;
  if (spec.keyRangePlan && explicit > 0) {
    problems.push({ property: 'keyRangePlan', message: 'cannot be combined with masters[].keyRange; use one or the other' });
  }
  if (spec.keyRangePlan && !isWholeIn(spec.keyRangePlan.keysPerWriter, 1, Number.MAX_SAFE_INTEGER)) {
    problems.push({ property: 'keyRangePlan.keysPerWriter', message: `${spec.keyRangePlan.keysPerWriter} is not a positive whole number` });
    return problems;
  }
  const columnType = spec.keyRangePlan?.keyColumnType ?? KeyColumnType.BIGINT;
  if (!Object.values(KeyColumnType).includes(columnType)) {
    problems.push({ property: 'keyRangePlan.keyColumnType', message: `'${columnType}' is not a KeyColumnType; use one of: ${Object.values(KeyColumnType).join(', ')}` });
  } else if (spec.keyRangePlan) {
    const last = t.masters.map((m) => m.keyRange?.end ?? 0).reduce((a, b) => Math.max(a, b), 0);
    if (last > KEY_COLUMN_MAX[columnType]) {
      problems.push({ property: 'keyRangePlan', message: `the last writer's range ends at ${last}, beyond the largest ${columnType} key ${KEY_COLUMN_MAX[columnType]}; use fewer keysPerWriter or a wider keyColumnType` });
    }
  }
  const withRange = t.masters.filter((m) => m.keyRange !== undefined);
  if (withRange.length === 0) return problems;
  for (const m of t.masters.filter((x) => x.keyRange === undefined)) {
    problems.push({
      property: `${masterPath(m.index)}.keyRange`,
      message: 'is missing; when any writer owns a key range, every writer must, or it could insert into another writer\'s range',
    });
  }
  const valid = withRange.filter((m) => {
    const problem = rangeProblem(m.keyRange!);
    if (problem) problems.push({ property: `${masterPath(m.index)}.keyRange`, message: problem });
    return problem === undefined;
  });
  for (let i = 0; i < valid.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = valid[i].keyRange!;
      const b = valid[j].keyRange!;
      if (a.start <= b.end && b.start <= a.end) {
        problems.push({
          property: `${masterPath(valid[i].index)}.keyRange`,
          message: `[${a.start}, ${a.end}] overlaps [${b.start}, ${b.end}] of ${masterPath(valid[j].index)} (${valid[j].name}); writer key ranges must be disjoint`,
        });
      }
    }
  }
  return problems;
};

/**
 * Replica roles, sources and delays: every source a host of the cluster (`hostNames`), every chain
 * of replicas reaching one of `writers`.
 */
export function replicaProblems(replicas: ResolvedReplica[], hostNames: string[], writers: string[]): Problem[] {
  const names = new Set(hostNames);
  const problems: Problem[] = replicas
    .filter((r) => !Object.values(ReplicaRole).includes(r.role))
    .map((r) => ({ property: `${replicaPath(r.index)}.role`, message: `'${r.role}' is not a ReplicaRole; use one of: ${Object.values(ReplicaRole).join(', ')}` }));
  for (const r of replicas) {
    if (r.source === r.name) {
      problems.push({ property: `${replicaPath(r.index)}.source`, message: `'${r.source}' is the replica itself` });
    } else if (!names.has(r.source)) {
      problems.push({
        property: `${replicaPath(r.index)}.source`,
        message: `'${r.source}' is not a host of this cluster; choose one of: ${[...names].filter((n) => n !== r.name).join(', ')}`,
      });
    }
  }
  // A chain of replicas that never reaches a writer would never receive a write.
  const sourceOf = new Map(replicas.map((r) => [r.name, r.source]));
  const writerNames = new Set(writers);
  for (const r of replicas) {
    const seen = new Set<string>([r.name]);
    let current = r.source;
    while (sourceOf.has(current) && !seen.has(current)) {
      seen.add(current);
      current = sourceOf.get(current)!;
    }
    if (seen.has(current) && !writerNames.has(current)) {
      problems.push({ property: `${replicaPath(r.index)}.source`, message: `replication chain ${[...seen].join(' <- ')} loops without reaching a master` });
    }
  }
  problems.push(...replicas
    .filter((r) => !isWholeIn(r.delaySeconds, 0, MAX_DELAY_SECONDS))
    .map((r) => ({ property: `${replicaPath(r.index)}.delaySeconds`, message: `${r.delaySeconds} is not a whole number of seconds in 0..${MAX_DELAY_SECONDS}` })));
  return problems;
}

const replicasAreValid: Rule = (t) => replicaProblems(t.replicas, allHosts(t).map((h) => h.name), t.masters.map((m) => m.name));

/** MariaDB's own schemas: an application account must never be granted these. */
export const SYSTEM_SCHEMAS = ['mysql', 'information_schema', 'performance_schema', 'sys'];

/** A plain database name that is not one of MariaDB's own schemas. */
export function databaseNameProblems(databaseName: string): Problem[] {
  if (!DATABASE_NAME.test(databaseName)) {
    return [{ property: 'databaseName', message: `'${databaseName}' is not a plain database name (letters, digits, '_'; up to 64)` }];
  }
  return SYSTEM_SCHEMAS.includes(databaseName.toLowerCase())
    ? [{ property: 'databaseName', message: `'${databaseName}' is a MariaDB system schema; the application account would be granted it. Choose your own database name` }]
    : [];
}

const databaseNameIsValid: Rule = (t) => databaseNameProblems(t.databaseName);

const semiSyncIsValid: Rule = (t) =>
  t.semiSyncTimeoutMs === undefined || isWholeIn(t.semiSyncTimeoutMs, 1, 4294967295)
    ? []
    : [{ property: 'semiSync.timeoutMs', message: `${t.semiSyncTimeoutMs} is not a whole number of milliseconds in 1..4294967295` }];

/** The rule table, in the order problems are reported. */
export const TOPOLOGY_RULES: Rule[] = [
  needsStandby,
  hostNamesAreValidAndUnique,
  activeMasterIsAMaster,
  serverIdsAreValidAndUnique,
  autoIncrementCoversEveryWriter,
  gtidDomainsAreValidAndUnique,
  keyRangesAreDisjoint,
  replicasAreValid,
  databaseNameIsValid,
  semiSyncIsValid,
  versionProblems,
];

export function validateTopology(t: ResolvedTopology, spec: TopologySpec): Problem[] {
  return TOPOLOGY_RULES.flatMap((rule) => rule(t, spec));
}
