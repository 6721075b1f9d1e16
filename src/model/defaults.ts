// Defaults are applied here and only here, so docs, validation and rendering agree.
import { KeyRange, MasterSpec, MultiMasterLayout, PromotionPolicy, ReplicaRole, ReplicaSpec, TopologySpec, WriteMode } from './topology';

export const DEFAULT_DATABASE_NAME = 'app';
export const DEFAULT_SITE = 'primary';
export const DEFAULT_SEMI_SYNC_TIMEOUT_MS = 1000;
/** Replica server ids start above this, leaving the low ids to masters. */
export const REPLICA_SERVER_ID_BASE = 100;

export interface ResolvedMaster {
  readonly index: number;
  readonly name: string;
  readonly serverId: number;
  readonly autoIncrementOffset: number;
  readonly gtidDomainId: number;
  readonly keyRange?: KeyRange;
  readonly site: string;
  readonly mariadbVersion?: string;
}

export interface ResolvedReplica {
  readonly index: number;
  readonly name: string;
  readonly source: string;
  readonly role: ReplicaRole;
  readonly serverId: number;
  readonly delaySeconds: number;
  readonly site: string;
  readonly mariadbVersion?: string;
}

export interface ResolvedTopology {
  readonly masters: ResolvedMaster[];
  readonly replicas: ResolvedReplica[];
  readonly activeMaster: string;
  readonly writeMode: WriteMode;
  readonly autoIncrementIncrement: number;
  readonly layout: MultiMasterLayout;
  readonly databaseName: string;
  readonly primarySite: string;
  /** Semi-sync timeout in ms; undefined when replication is asynchronous. */
  readonly semiSyncTimeoutMs?: number;
  readonly promotion: Required<PromotionPolicy> & { readonly whitelisted: boolean };
}

/** `auto_increment_offset` slots 1..n for n writers, with increment n unless a larger one is asked for. */
export function planAutoIncrement(writerCount: number, increment?: number): { increment: number; offsets: number[] } {
  const offsets = Array.from({ length: writerCount }, (_, i) => i + 1);
  return { increment: increment ?? Math.max(writerCount, 1), offsets };
}

/** Equal, adjacent, inclusive key ranges in writer order. */
export function planKeyRanges(writerCount: number, keysPerWriter: number, firstKey = 1): KeyRange[] {
  return Array.from({ length: writerCount }, (_, i) => {
    const start = firstKey + i * keysPerWriter;
    return { start, end: start + keysPerWriter - 1 };
  });
}

/** Replicas with their defaults: analytics role, server ids from 101 in declaration order, no delay. */
export function resolveReplicas(replicas: ReplicaSpec[] | undefined, primarySite: string): ResolvedReplica[] {
  return (replicas ?? []).map((r: ReplicaSpec, index) => ({
    index,
    name: r.name,
    source: r.source,
    role: r.role ?? ReplicaRole.ANALYTICS,
    serverId: r.serverId ?? REPLICA_SERVER_ID_BASE + index + 1,
    delaySeconds: r.delaySeconds ?? 0,
    site: r.site ?? primarySite,
    mariadbVersion: r.mariadbVersion,
  }));
}

export function resolveTopology(spec: TopologySpec): ResolvedTopology {
  const masters = spec.masters ?? [];
  const autoIncrement = planAutoIncrement(masters.length, spec.autoIncrementIncrement);
  const activeMaster = spec.activeMaster ?? masters[0]?.name ?? '';
  const primarySite = spec.primarySite ?? masters.find((m) => m.name === activeMaster)?.site ?? DEFAULT_SITE;
  const plannedRanges = spec.keyRangePlan
    ? planKeyRanges(masters.length, spec.keyRangePlan.keysPerWriter, spec.keyRangePlan.firstKey ?? 1)
    : undefined;
  return {
    masters: masters.map((m: MasterSpec, index) => ({
      index,
      name: m.name,
      serverId: m.serverId ?? index + 1,
      autoIncrementOffset: m.autoIncrementOffset ?? autoIncrement.offsets[index],
      gtidDomainId: m.gtidDomainId ?? index + 1,
      keyRange: m.keyRange ?? plannedRanges?.[index],
      site: m.site ?? primarySite,
      mariadbVersion: m.mariadbVersion,
    })),
    replicas: resolveReplicas(spec.replicas, primarySite),
    activeMaster,
    writeMode: spec.writeMode ?? WriteMode.ONE_WRITER,
    autoIncrementIncrement: autoIncrement.increment,
    layout: spec.layout ?? MultiMasterLayout.MESH,
    databaseName: spec.databaseName ?? DEFAULT_DATABASE_NAME,
    primarySite,
    semiSyncTimeoutMs: spec.semiSync ? spec.semiSync.timeoutMs ?? DEFAULT_SEMI_SYNC_TIMEOUT_MS : undefined,
    promotion: {
      candidates: spec.promotion?.candidates ?? masters.map((m) => m.name),
      whitelisted: spec.promotion?.candidates !== undefined,
      excluded: spec.promotion?.excluded ?? [],
      allowRisky: spec.promotion?.allowRisky ?? [],
    },
  };
}
