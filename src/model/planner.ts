// Turns a TopologySpec into a TopologyPlan: defaults, validation, then derived replication edges.
import { CandidateEvaluation, evaluateCandidates } from './candidates';
import { ResolvedReplica, ResolvedTopology, resolveTopology } from './defaults';
import { HostKind, PlannedHost, ReplicationEdge, TopologyPlan } from './plan';
import { Problem, throwIfProblems } from './problems';
import { MultiMasterLayout, TopologySpec, WriteMode } from './topology';
import { validateTopology } from './validation';

export interface PlanResult {
  /** Present only when there are no problems. */
  readonly plan?: TopologyPlan;
  readonly problems: Problem[];
}

function edge(source: string, replica: string, delaySeconds = 0): ReplicationEdge {
  return { source, replica, connectionName: source, delaySeconds };
}

/** Writer-to-writer edges: a mesh by default, a ring when asked (identical for two writers). */
export function writerEdges(writers: string[], layout: MultiMasterLayout): ReplicationEdge[] {
  if (layout === MultiMasterLayout.RING) {
    return writers.length < 2 ? [] : writers.map((w, i) => edge(writers[(i + writers.length - 1) % writers.length], w));
  }
  return writers.flatMap((w) => writers.filter((s) => s !== w).map((s) => edge(s, w)));
}

function warningsFor(t: ResolvedTopology): string[] {
  const warnings: string[] = [];
  if (t.layout === MultiMasterLayout.RING && t.masters.length > 2) {
    warnings.push(`masters replicate in a ring of ${t.masters.length}: losing one writer stops replication to every writer after it; MultiMasterLayout.MESH survives any single loss`);
  }
  if (t.masters.some((m) => m.keyRange !== undefined)) {
    warnings.push('key ranges are advisory: MariaDB does not enforce them, so the application must draw keys from its writer\'s range (the auto-increment offsets already keep generated keys apart)');
  }
  if (t.writeMode === WriteMode.EVERY_MASTER) {
    warnings.push('writeMode: every master takes writes: a row updated on two masters loses one update silently (row events overwrite each other); safe only for a schema designed for it (inserts with planned keys, each row updated on one master), and no monitor fails over');
  }
  return warnings;
}

/** A read-only replica as the renderers see it: it never writes, so it owns no domain or key slot. */
export function plannedReplica(r: ResolvedReplica, autoIncrementIncrement: number, sources: ReplicationEdge[]): PlannedHost {
  return {
    name: r.name,
    kind: HostKind.REPLICA,
    replicaRole: r.role,
    serverId: r.serverId,
    gtidDomainId: 0,
    readOnly: true,
    autoIncrementIncrement,
    site: r.site,
    mariadbVersion: r.mariadbVersion,
    sources,
  };
}

function buildPlan(t: ResolvedTopology, promotion: CandidateEvaluation): TopologyPlan {
  const writers = t.masters.map((m) => m.name);
  const writerLinks = writerEdges(writers, t.layout);
  const replicaLinks = t.replicas.map((r) => edge(r.source, r.name, r.delaySeconds));
  const edges = [...writerLinks, ...replicaLinks];
  const sourcesOf = (name: string) => edges.filter((e) => e.replica === name);
  const hosts: PlannedHost[] = [
    ...t.masters.map((m) => ({
      name: m.name,
      kind: HostKind.MASTER,
      serverId: m.serverId,
      gtidDomainId: m.gtidDomainId,
      // With one writer, a master that starts (or returns) is read-only until the switchover or the
      // monitor makes it the writer; a client bypassing the endpoint cannot write to a standby.
      readOnly: t.writeMode === WriteMode.ONE_WRITER,
      autoIncrementIncrement: t.autoIncrementIncrement,
      autoIncrementOffset: m.autoIncrementOffset,
      keyRange: m.keyRange,
      site: m.site,
      mariadbVersion: m.mariadbVersion,
      sources: sourcesOf(m.name),
    })),
    ...t.replicas.map((r) => plannedReplica(r, t.autoIncrementIncrement, sourcesOf(r.name))),
  ];
  return {
    hosts,
    writers,
    activeMaster: t.activeMaster,
    writeMode: t.writeMode,
    autoIncrementIncrement: t.autoIncrementIncrement,
    layout: t.layout,
    edges,
    databaseName: t.databaseName,
    primarySite: t.primarySite,
    semiSyncTimeoutMs: t.semiSyncTimeoutMs,
    candidates: promotion.candidates,
    candidateVerdicts: promotion.verdicts,
    warnings: warningsFor(t),
  };
}

/** Plans a topology, or reports every problem that prevents it. */
export function planTopology(spec: TopologySpec): PlanResult {
  const resolved = resolveTopology(spec);
  const promotion = evaluateCandidates(resolved);
  const problems = [...validateTopology(resolved, spec), ...promotion.problems];
  return problems.length > 0 ? { problems } : { plan: buildPlan(resolved, promotion), problems };
}

/** Plans a topology or throws one TopologyError listing every problem under `scopePath`. */
export function planTopologyOrThrow(spec: TopologySpec, scopePath: string): TopologyPlan {
  const result = planTopology(spec);
  throwIfProblems(scopePath, result.problems);
  return result.plan!;
}
