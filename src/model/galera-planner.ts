// Turns a GaleraTopologySpec into a TopologyPlan with a `galera` part: defaults, the rule table
// (every problem at once), named warnings, and the replicas' edges.
import { DEFAULT_DATABASE_NAME, DEFAULT_SITE, REPLICA_SERVER_ID_BASE, ResolvedReplica, resolveReplicas } from './defaults';
import { GaleraTopologySpec, GaleraWriteMode, SstMethod } from './galera-topology';
import { GaleraPlan, HostKind, PlannedHost, ReplicationEdge, TopologyPlan } from './plan';
import { plannedReplica } from './planner';
import { Problem } from './problems';
import { MultiMasterLayout, WriteMode } from './topology';
import { databaseNameProblems, hostNameProblems, replicaProblems } from './validation';

export const DEFAULT_GALERA_GTID_DOMAIN = 1;
/** The replication properties a Galera cluster does not take: master-master and Galera never share hosts. */
const REPLICATION_ONLY_PROPS = ['masters', 'activeMaster', 'autoIncrementIncrement', 'layout', 'keyRangePlan', 'semiSync', 'promotion', 'primarySite'];
const MAX_DOMAIN = 4294967295;

export interface ResolvedGalera {
  readonly clusterName: string;
  readonly nodes: string[];
  readonly arbitrator?: string;
  readonly sstMethod: SstMethod;
  readonly writeMode: GaleraWriteMode;
  readonly allowEvenVoters: boolean;
  readonly replicas: ResolvedReplica[];
  readonly gtidDomainId: number;
  readonly defaultStorageEngine: string;
  readonly databaseName: string;
}

export interface GaleraPlanResult {
  /** Present only when there are no problems. */
  readonly plan?: TopologyPlan;
  readonly problems: Problem[];
}

export function resolveGalera(spec: GaleraTopologySpec, defaultClusterName: string): ResolvedGalera {
  const nodes = (spec.nodes ?? []).map((n) => n?.name);
  return {
    clusterName: spec.clusterName ?? defaultClusterName,
    nodes,
    arbitrator: spec.arbitrator?.name,
    sstMethod: spec.sstMethod ?? SstMethod.MARIABACKUP,
    writeMode: spec.writeMode ?? GaleraWriteMode.ONE_NODE,
    allowEvenVoters: spec.allowEvenVoters ?? false,
    replicas: resolveReplicas(spec.replicas, DEFAULT_SITE),
    gtidDomainId: spec.gtidDomainId ?? DEFAULT_GALERA_GTID_DOMAIN,
    defaultStorageEngine: spec.defaultStorageEngine ?? 'InnoDB',
    databaseName: spec.databaseName ?? DEFAULT_DATABASE_NAME,
  };
}

type GaleraRule = (g: ResolvedGalera, spec: GaleraTopologySpec) => Problem[];

const CLUSTER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,59}$/;

const notReplicationProps: GaleraRule = (_g, spec) => REPLICATION_ONLY_PROPS
  .filter((p) => (spec as unknown as Record<string, unknown>)[p] !== undefined)
  .map((p) => ({ property: p, message: `is a master-master property; a Galera cluster has nodes, and master-master replication and Galera never share hosts (declare a MariaDbReplicationCluster for masters)` }));

const votersAreEnough: GaleraRule = (g) => {
  const voters = g.nodes.length + (g.arbitrator ? 1 : 0);
  const problems: Problem[] = [];
  if (g.nodes.length < 2) {
    problems.push({ property: 'nodes', message: `declares ${g.nodes.length} node(s); a Galera cluster needs at least two data nodes (three, or two and an arbitrator)` });
  } else if (voters < 3) {
    problems.push({ property: 'nodes', message: `${voters} voters (nodes and arbitrator) lose quorum when one is lost; use at least three, or add an arbitrator` });
  }
  if (voters >= 3 && voters % 2 === 0 && !g.allowEvenVoters) {
    problems.push(g.arbitrator
      ? { property: 'arbitrator', message: `${g.nodes.length} nodes and the arbitrator make ${voters} voters: a split into halves stops the whole cluster; drop the arbitrator (an odd number of nodes needs none), or set allowEvenVoters` }
      : { property: 'nodes', message: `${voters} nodes: a split into halves stops the whole cluster; add an arbitrator or a node, or set allowEvenVoters` });
  }
  return problems;
};

const namesAreValid: GaleraRule = (g) => hostNameProblems([
  ...g.nodes.map((name, i) => ({ path: `nodes[${i}]`, name })),
  ...(g.arbitrator !== undefined ? [{ path: 'arbitrator', name: g.arbitrator }] : []),
  ...g.replicas.map((r) => ({ path: `replicas[${r.index}]`, name: r.name })),
]);

const replicasAreValid: GaleraRule = (g) => [
  ...replicaProblems(g.replicas, [...g.nodes, ...g.replicas.map((r) => r.name)], g.nodes),
  ...serverIdProblems(g),
];

function serverIdProblems(g: ResolvedGalera): Problem[] {
  const seen = new Map<number, number>();
  const problems: Problem[] = [];
  for (const r of g.replicas) {
    if (!Number.isInteger(r.serverId) || r.serverId <= REPLICA_SERVER_ID_BASE || r.serverId > MAX_DOMAIN) {
      problems.push({ property: `replicas[${r.index}].serverId`, message: `${r.serverId} is not a whole number in ${REPLICA_SERVER_ID_BASE + 1}..${MAX_DOMAIN} (the nodes use the ids up to ${REPLICA_SERVER_ID_BASE})` });
    } else if (seen.has(r.serverId)) {
      problems.push({ property: `replicas[${r.index}].serverId`, message: `${r.serverId} is already the server_id of replicas[${seen.get(r.serverId)}]; every replica needs its own` });
    } else {
      seen.set(r.serverId, r.index);
    }
  }
  return problems;
}

const settingsAreValid: GaleraRule = (g) => {
  const problems: Problem[] = [];
  if (typeof g.clusterName !== 'string' || !CLUSTER_NAME.test(g.clusterName)) {
    problems.push({ property: 'clusterName', message: `'${g.clusterName}' is not a cluster name (a letter, then up to 59 letters, digits, '-' or '_')` });
  }
  if (!Object.values(SstMethod).includes(g.sstMethod)) {
    problems.push({ property: 'sstMethod', message: `'${g.sstMethod}' is not an SstMethod; use one of: ${Object.values(SstMethod).join(', ')}` });
  }
  if (!Object.values(GaleraWriteMode).includes(g.writeMode)) {
    problems.push({ property: 'writeMode', message: `'${g.writeMode}' is not a GaleraWriteMode; use one of: ${Object.values(GaleraWriteMode).join(', ')}` });
  }
  // Each node also has a domain of its own for local transactions: the ones after the cluster's.
  const last = MAX_DOMAIN - g.nodes.length;
  if (!(Number.isInteger(g.gtidDomainId) && g.gtidDomainId >= 0 && g.gtidDomainId <= last)) {
    problems.push({ property: 'gtidDomainId', message: `${g.gtidDomainId} is not a whole number in 0..${last} (the ${g.nodes.length} domains after it are the nodes' own)` });
  }
  if (String(g.defaultStorageEngine).toLowerCase() !== 'innodb') {
    problems.push({ property: 'defaultStorageEngine', message: `'${g.defaultStorageEngine}': Galera replicates InnoDB tables only; tables of another engine would silently differ between nodes` });
  }
  return [...problems, ...databaseNameProblems(g.databaseName)];
};

/** The rule table, in the order problems are reported. */
export const GALERA_RULES: GaleraRule[] = [notReplicationProps, votersAreEnough, namesAreValid, replicasAreValid, settingsAreValid];

/**
 * Every node's server_id: with wsrep_gtid_mode a joining node takes the bootstrap node's id for the
 * cluster's GTIDs anyway, so all share one; replicas keep theirs above 100.
 * @see https://jira.mariadb.org/browse/MDEV-26223
 */
export const GALERA_SERVER_ID = 1;

function galeraWarnings(g: ResolvedGalera): string[] {
  const warnings: string[] = [];
  if (g.writeMode === GaleraWriteMode.ALL_NODES) {
    warnings.push('writeMode: every node takes writes: transactions that change the same rows on two nodes fail at commit with error 1213 (deadlock) and must be retried by the application');
  }
  if (g.sstMethod === SstMethod.RSYNC) {
    warnings.push('sstMethod: rsync blocks writes on the donor node for the whole state transfer; SstMethod.MARIABACKUP does not');
  }
  return warnings;
}

function buildPlan(g: ResolvedGalera): TopologyPlan {
  const edges: ReplicationEdge[] = g.replicas.map((r) => ({ source: r.source, replica: r.name, connectionName: r.source, delaySeconds: r.delaySeconds }));
  const galera: GaleraPlan = {
    clusterName: g.clusterName,
    nodes: g.nodes,
    bootstrapNode: g.nodes[0],
    arbitrator: g.arbitrator,
    sstMethod: g.sstMethod,
    gtidDomainId: g.gtidDomainId,
    writeMode: g.writeMode,
  };
  const hosts: PlannedHost[] = [
    ...g.nodes.map((name) => ({
      name,
      kind: HostKind.GALERA_NODE,
      serverId: GALERA_SERVER_ID,
      gtidDomainId: g.gtidDomainId,
      readOnly: false,
      autoIncrementIncrement: g.nodes.length,
      site: DEFAULT_SITE,
      sources: [],
    })),
    ...g.replicas.map((r) => plannedReplica(r, g.nodes.length, edges.filter((e) => e.replica === r.name))),
  ];
  return {
    hosts,
    writers: g.nodes,
    activeMaster: g.nodes[0],
    // Every node is writable; the endpoint decides how many take writes.
    writeMode: WriteMode.EVERY_MASTER,
    autoIncrementIncrement: g.nodes.length,
    layout: MultiMasterLayout.MESH,
    edges,
    databaseName: g.databaseName,
    primarySite: DEFAULT_SITE,
    candidates: g.nodes,
    candidateVerdicts: g.nodes.map((host) => ({ host, eligible: true, reasons: [] })),
    warnings: galeraWarnings(g),
    galera,
  };
}

/** Plans a Galera topology, or reports every problem that prevents it. */
export function planGalera(spec: GaleraTopologySpec, defaultClusterName: string): GaleraPlanResult {
  const resolved = resolveGalera(spec, defaultClusterName);
  const problems = GALERA_RULES.flatMap((rule) => rule(resolved, spec));
  return problems.length > 0 ? { problems } : { plan: buildPlan(resolved), problems };
}
