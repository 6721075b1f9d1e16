// `mariadb-ha review`: what a reviewer must know about a topology change, from two synthesized
// stacks (before and after) or from a saved plan (what is deployed against what is planned):
// hosts, identities, data at risk, replication edges, an implied switchover, restarts, the
// topology as a Mermaid diagram GitHub renders in the pull request, and the plan's resource changes.
import { failoverTimingLine } from '../backends/aws/failover-timing';
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import type { ClusterDescription, HostDescription } from '../constructs/description';
import { IncrementRollout, KeySlot, planIncrementRollout } from '../model/increments';
import { LIVE_SETTINGS } from '../render/server-config';
import { compareVersions, isVersion, seriesOf, upgradeSteps } from '../model/versions';
import { ToolError } from '../operator/cluster-ref';

/** A synthesized stack as `cdk.tf.json` holds it (only what the review reads). */
export interface SynthesizedStack {
  readonly output?: { [name: string]: { value?: unknown } };
  readonly variable?: { [name: string]: { default?: unknown } };
}

/** Settings that are a host's identity: changing one on a live host renumbers it. */
const IDENTITY_SETTINGS = ['server_id', 'gtid_domain_id', 'auto_increment_offset'];

export interface ClusterReview {
  readonly cluster: string;
  /** Sections in reading order: heading and lines, only those with something to say. */
  readonly sections: Array<{ heading: string; lines: string[] }>;
  readonly mermaid: string;
  readonly changed: boolean;
}

/** Reads `cdk.tf.json` from a file, a stack directory, or a cdktf output directory with one stack. */
export function readSynthesizedStack(path: string): SynthesizedStack {
  if (!existsSync(path)) throw new ToolError(`review: ${path} does not exist`);
  let file = path;
  if (statSync(path).isDirectory()) {
    const stacks = join(path, 'stacks');
    if (existsSync(join(path, 'cdk.tf.json'))) {
      file = join(path, 'cdk.tf.json');
    } else if (existsSync(stacks) && readdirSync(stacks).length === 1) {
      file = join(stacks, readdirSync(stacks)[0], 'cdk.tf.json');
    } else {
      throw new ToolError(`review: ${path} holds no cdk.tf.json; give a stack directory (cdktf.out/stacks/<stack>) or its cdk.tf.json`);
    }
  }
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** What `terraform show -json <plan>` holds that the review reads. */
export interface PlanJson {
  /** Each root output as deployed (`before`) and as planned (`after`). */
  readonly output_changes?: { [name: string]: { readonly before?: unknown; readonly after?: unknown } };
  readonly resource_changes?: ReadonlyArray<{ readonly address: string; readonly change: { readonly actions: string[] }; readonly action_reason?: string }>;
}

/**
 * The deployed side and the planned side of a saved plan, as stacks. From `output_changes`: the
 * plan's `prior_state` holds outputs already evaluated against the new configuration.
 */
export function stacksOfPlan(plan: PlanJson): { before: SynthesizedStack; after: SynthesizedStack } {
  const side = (which: 'before' | 'after') => Object.fromEntries(Object.entries(plan.output_changes ?? {}).map(([name, change]) => [name, { value: change[which] }]));
  return { before: { output: side('before') }, after: { output: side('after') } };
}

const ACTION_NAMES: { [actions: string]: string } = {
  'create': 'created', 'update': 'changed in place', 'delete': 'destroyed', 'delete,create': 'replaced', 'create,delete': 'replaced', 'read': 'read',
};

/** What the plan does to resources: counts, then each resource that changes and why it is replaced. */
export function planSummary(plan: PlanJson): string[] {
  const changes = (plan.resource_changes ?? []).filter((c) => !c.change.actions.every((a) => a === 'no-op'));
  const count = (actions: string) => changes.filter((c) => c.change.actions.join() === actions || (actions === 'delete,create' && c.change.actions.join() === 'create,delete')).length;
  const totals = `${count('create')} to add, ${count('update')} to change in place, ${count('delete,create')} to replace, ${count('delete')} to destroy`;
  return [totals, ...changes.map((c) => {
    const reason = c.action_reason ? ` (${c.action_reason.replace(/_/g, ' ')})` : '';
    return `\`${c.address}\`: ${ACTION_NAMES[c.change.actions.join()] ?? c.change.actions.join(', ')}${reason}`;
  })];
}

/** The clusters a stack describes, by construct id, with the active master resolved from its variable. */
export function clustersOf(stack: SynthesizedStack): Map<string, ClusterDescription> {
  const clusters = new Map<string, ClusterDescription>();
  for (const output of Object.values(stack.output ?? {})) {
    const value = output.value as ClusterDescription | undefined;
    if (!value || typeof value !== 'object' || !Array.isArray(value.hosts) || typeof value.cluster !== 'string') continue;
    const variable = /^\$\{var\.([A-Za-z0-9_-]+)\}$/.exec(value.activeMaster)?.[1];
    const activeMaster = variable ? String(stack.variable?.[variable]?.default ?? value.activeMaster) : value.activeMaster;
    clusters.set(value.cluster, { ...value, activeMaster });
  }
  return clusters;
}

/** Reviews every cluster of either stack; a cluster only on one side is all added or all removed. */
export function reviewStacks(before: SynthesizedStack, after: SynthesizedStack): ClusterReview[] {
  const old = clustersOf(before);
  const now = clustersOf(after);
  const ids = [...new Set([...old.keys(), ...now.keys()])].sort();
  return ids.map((id) => reviewCluster(id, old.get(id), now.get(id)));
}

export function reviewCluster(id: string, before: ClusterDescription | undefined, after: ClusterDescription | undefined): ClusterReview {
  const oldHosts = new Map((before?.hosts ?? []).map((h) => [h.name, h]));
  const newHosts = new Map((after?.hosts ?? []).map((h) => [h.name, h]));
  const added = [...newHosts.values()].filter((h) => !oldHosts.has(h.name));
  const removed = [...oldHosts.values()].filter((h) => !newHosts.has(h.name));
  const kept = [...newHosts.values()].filter((h) => oldHosts.has(h.name)).map((h) => ({ before: oldHosts.get(h.name)!, after: h }));
  const oldEdges = edgesOf(before);
  const newEdges = edgesOf(after);
  const edgesAdded = [...newEdges].filter((e) => !oldEdges.has(e));
  const edgesRemoved = [...oldEdges].filter((e) => !newEdges.has(e));

  const risks: string[] = [];
  for (const h of removed) {
    risks.push(`**${h.name}** is removed: its container and its data volume are destroyed by this apply`
      + (h.kind === 'galera-node' ? '; the other nodes hold everything it committed (Galera commits on every node), and the cluster goes on with one member fewer'
        : h.kind !== 'master' ? ''
        : h.name === before?.activeMaster ? '; it is the active master: the apply refuses to remove it, and destroys nothing of it, until a switchover has moved the writes off it'
          : '; first it leaves (mariadb-ha leave): the apply refuses while it takes the writes; otherwise it is fenced, its peers catch up with it and drop their connections to it'));
  }
  const identity: string[] = [];
  for (const { before: b, after: a } of kept) {
    const changes = IDENTITY_SETTINGS.filter((s) => b.settings?.[s] !== a.settings?.[s])
      .map((s) => `${s} ${b.settings?.[s] ?? '(none)'} → ${a.settings?.[s] ?? '(none)'}`);
    if (changes.length > 0) identity.push(`**${a.name}**: ${changes.join(', ')}`);
  }
  if (identity.length > 0) {
    risks.push('a live host is renumbered (server id, GTID domain or key offset): its peers filter events and track positions by'
      + ' these values, so replication can skip or repeat transactions and key sequences can collide; keep existing hosts\' values'
      + ' (set `serverId`, `gtidDomainId`, `autoIncrementOffset` on the masters explicitly) unless the host is rebuilt');
  }
  const versions = versionChanges(kept, before?.activeMaster);
  risks.push(...versions.risks);
  const rollout = keySlotRollout(before, after);
  if (rollout.problems.length > 0) {
    risks.push('no order of changes keeps the masters\' keys apart while several write: with WriteMode.EVERY_MASTER the apply refuses'
      + ` (mariadb-ha writers), with one writer the key slots are set directly: ${rollout.problems.join('; ')}`);
  }

  // Running hosts change in place: a replica's source (repoint), a master's connections and key slot (writers).
  const reconnected = kept.filter(({ before: b, after: a }) => b.sources.join() !== a.sources.join() || b.delaySeconds !== a.delaySeconds);
  const inPlace = [
    ...reconnected.filter(({ after: a }) => a.kind === 'replica')
      .map(({ after: a }) => `**${a.name}** moves to ${a.sources.join(', ')}${a.delaySeconds ? ` (${a.delaySeconds} s behind)` : ''} on the running`
        + ' host, by GTID: terraform apply runs mariadb-ha repoint; its container and data stay'),
    ...reconnected.filter(({ after: a }) => a.kind === 'master')
      .map(({ before: b, after: a }) => `**${a.name}** replicates from ${a.sources.join(', ') || 'nothing'} (was ${b.sources.join(', ') || 'nothing'}) on the`
        + ' running host, by GTID: terraform apply runs mariadb-ha writers; its container and data stay'),
    ...slotLines(rollout),
  ];

  const restarts = kept
    .map(({ after: a, before: b }) => ({ host: a, changes: changedSettings(b, a).filter((s) => !IDENTITY_SETTINGS.includes(s.name) && !LIVE_SETTINGS.includes(s.name)) }))
    .filter((r) => r.changes.length > 0)
    .map(({ host, changes }) => {
      const listed = changes.map((c) => `${c.name} ${c.before} → ${c.after}`).join(', ');
      if (host.kind !== 'galera-node') return `**${host.name}** restarts: ${listed}`;
      return changes.every((c) => c.name === 'wsrep_cluster_address')
        ? `**${host.name}** lists its new peers for its next start, with no restart: ${listed}`
        : `**${host.name}** restarts, one node at a time (mariadb-ha rolling-restart, each once every node is synced): ${listed}`;
    });
  // The Docker backend numbers published ports in plan order (masters, then replicas).
  const moved = kept.filter(({ before: b, after: a }) => b.port !== a.port)
    .map(({ before: b, after: a }) => `**${a.name}** is re-created with its data volume: its client port moves ${b.port} → ${a.port}`);

  const sections = [
    { heading: 'Data at risk', lines: risks },
    {
      heading: 'Hosts added',
      lines: added.map((h) => (h.kind === 'galera-node'
        ? `**${h.name}** (${describeHost(h)}); it joins the running cluster after the nodes before it and receives the data by state transfer from a running node`
        : `**${h.name}** (${describeHost(h)}); in a running cluster it starts from a mariabackup copy of a running host`
          + ` (${h.kind === 'replica' ? 'its source first' : 'another master'}), at the copy's GTID position`)),
    },
    { heading: 'Hosts removed', lines: removed.map((h) => `**${h.name}** (${describeHost(h)})`) },
    { heading: 'Identity changes', lines: identity },
    { heading: 'Replication edges', lines: [...edgesAdded.map((e) => `added ${e}`), ...edgesRemoved.map((e) => `removed ${e}`)] },
    { heading: 'Changed in place', lines: inPlace },
    {
      heading: 'Switchover',
      lines: before && after && before.activeMaster !== after.activeMaster && !after.galera
        ? [after.endpoint?.route53
          ? `writes move from **${before.activeMaster}** to **${after.activeMaster}** (terraform apply runs mariadb-ha switchover: the old master is fenced and the new one catches up and takes the writes; then the PRIMARY and SECONDARY records of ${after.endpoint.route53.recordName} are updated in place, and clients follow within the TTL of ${after.endpoint.route53.ttlSeconds} s)`
          : `writes move from **${before.activeMaster}** to **${after.activeMaster}** (terraform apply runs mariadb-ha switchover: one writer at a time, a write window of tens of milliseconds)`]
        : [],
    },
    { heading: 'Version changes', lines: versions.lines },
    { heading: 'Restarts', lines: [...restarts, ...moved] },
  ].filter((s) => s.lines.length > 0);
  const changed = sections.length > 0;
  // Shown while versions differ, changed or not: the reviewer sees where the upgrade stands.
  const left = after && !after.galera
    ? upgradeSteps(after.hosts.map((h) => ({ name: h.name, master: h.kind === 'master', mariadbVersion: h.mariadbVersion })), after.activeMaster) : [];
  if (left.length > 0) sections.push({ heading: 'Rolling upgrade: steps left', lines: left.map((step, i) => `step ${i + 1}: ${step}`) });
  const records = after?.endpoint?.route53;
  // Shown on every review: the failover time the settings allow is what a reviewer of DNS failover checks.
  if (records) sections.push({ heading: 'Writer endpoint', lines: [`Route 53 failover (${records.healthCheck} health checks): ${failoverTimingLine(records.recordName, records.detectionSeconds, records.ttlSeconds)}`] });
  return { cluster: id, sections, mermaid: topologyDiagram(before, after), changed };
}

/** Hosts whose MariaDB version changes: each is re-created on its new image, with its data volume. */
function versionChanges(kept: Array<{ before: HostDescription; after: HostDescription }>, writer: string | undefined): { lines: string[]; risks: string[] } {
  const changes = kept.filter(({ before: b, after: a }) => b.mariadbVersion !== a.mariadbVersion);
  const series = (v: string | undefined) => (v !== undefined && isVersion(v) ? seriesOf(v) : undefined);
  const downgrades = changes.filter(({ before: b, after: a }) => series(b.mariadbVersion) && series(a.mariadbVersion)
    && compareVersions(series(a.mariadbVersion)!, series(b.mariadbVersion)!) < 0);
  const lines = changes.map((c) => `**${c.after.name}** is re-created on MariaDB ${c.after.mariadbVersion ?? 'of the cluster image'} (was ${c.before.mariadbVersion ?? 'undeclared'})`
    + (downgrades.includes(c) ? ' with its data volume, which its server refuses (see Data at risk)'
      : ' with its data volume; the new server upgrades the system tables (mariadb-upgrade, not replicated) before it takes connections'));
  const risks = [
    ...downgrades.map(({ before: b, after: a }) => `**${a.name}** goes back from MariaDB ${b.mariadbVersion} to ${a.mariadbVersion}: an older server may not read data a newer one ran, so`
      + ' it refuses to start on it (the apply fails when the health wait times out; declare the version again). To go back, restore a backup taken before the upgrade'),
    ...changes.filter(({ after: a }) => a.name === writer)
      .map(({ after: a }) => `**${a.name}** takes the writes and is re-created on another version: writes stop while it restarts; switch the writes to an upgraded master first, in its own apply`),
    ...(changes.length > 1 ? [`${changes.length} hosts change version in one apply (${changes.map((c) => c.after.name).join(', ')}): Terraform may restart them together,`
      + ' and a host may read a newer source\'s binary log before it is upgraded; upgrade one host per apply, replicas first'] : []),
  ];
  return { lines, risks };
}

function slotOf(h: HostDescription): KeySlot {
  return { increment: Number(h.settings?.auto_increment_increment), offset: Number(h.settings?.auto_increment_offset ?? 1) };
}

/** How `mariadb-ha writers` will move the key slots of the masters that stay. */
function keySlotRollout(before: ClusterDescription | undefined, after: ClusterDescription | undefined): IncrementRollout {
  const masters = (d: ClusterDescription | undefined) => (d?.hosts ?? []).filter((h) => h.kind === 'master' && h.settings?.auto_increment_increment !== undefined);
  const live = Object.fromEntries(masters(before).map((h) => [h.name, slotOf(h)]));
  const planned = Object.fromEntries(masters(after).map((h) => [h.name, slotOf(h)]));
  return planIncrementRollout(live, planned);
}

function slotLines(rollout: IncrementRollout): string[] {
  if (rollout.narrow.length === 0 && rollout.widen.length === 0) return [];
  const hosts = [...new Set([...rollout.narrow, ...rollout.widen].map((c) => c.host))];
  const path = (host: string) => {
    const steps = [...rollout.narrow, ...rollout.widen].filter((c) => c.host === host);
    return `${host} ${[steps[0].from, ...steps.map((c) => c.to)].map((slot) => `${slot.increment}/${slot.offset}`).join(' → ')}`;
  };
  return [`key slots (auto_increment increment/offset) move live, first into keys old and new share, then out, so no two writers`
    + ` ever generate the same key: ${hosts.map(path).join('; ')} (mariadb-ha writers; no restart)`];
}

/** Replication edges as `source → replica`. */
function edgesOf(cluster: ClusterDescription | undefined): Set<string> {
  return new Set((cluster?.hosts ?? []).flatMap((h) => h.sources.map((s) => `${s} → ${h.name}`)));
}

function changedSettings(before: HostDescription, after: HostDescription): Array<{ name: string; before: string; after: string }> {
  const names = [...new Set([...Object.keys(before.settings ?? {}), ...Object.keys(after.settings ?? {})])];
  return names
    .filter((n) => before.settings?.[n] !== after.settings?.[n])
    .map((n) => ({ name: n, before: before.settings?.[n] ?? '(unset)', after: after.settings?.[n] ?? '(unset)' }));
}

function describeHost(h: HostDescription): string {
  const facts = [h.kind === 'master' ? 'master' : h.kind === 'galera-node' ? 'Galera node' : `${h.role} replica of ${h.sources.join(', ')}`, `server_id ${h.serverId}`];
  if (h.kind === 'master') facts.push(`GTID domain ${h.gtidDomainId}`, `auto_increment_offset ${h.settings?.auto_increment_offset ?? '?'}`);
  return facts.join(', ');
}

/** The topology after the change, with added hosts and edges marked, removed ones dashed. */
export function topologyDiagram(before: ClusterDescription | undefined, after: ClusterDescription | undefined): string {
  const hosts = [...(after?.hosts ?? [])];
  const oldNames = new Set((before?.hosts ?? []).map((h) => h.name));
  const newNames = new Set(hosts.map((h) => h.name));
  const removed = (before?.hosts ?? []).filter((h) => !newNames.has(h.name));
  const all = [...hosts, ...removed];
  const id = new Map(all.map((h, i) => [h.name, `h${i}`]));
  const label = (h: HostDescription) => {
    const role = h.kind === 'master' ? (h.name === after?.activeMaster ? 'active master' : 'master') : h.kind === 'galera-node' ? 'Galera node' : `${h.role} replica`;
    return `"${h.name}<br/>${role} · id ${h.serverId}"`;
  };
  const node = (h: HostDescription) => `  ${id.get(h.name)}[${label(h)}]`;
  // Galera nodes replicate synchronously among themselves: one box for the cluster, no edges between them.
  const galera = all.filter((h) => h.kind === 'galera-node');
  const cluster = after?.galera ?? before?.galera;
  const lines = ['flowchart LR',
    ...(galera.length > 0 ? [`  subgraph galera["Galera cluster ${cluster?.clusterName ?? ''} · synchronous"]`, ...galera.map((h) => `  ${node(h)}`), '  end'] : []),
    ...all.filter((h) => h.kind !== 'galera-node').map(node)];
  const oldEdges = edgesOf(before);
  const newEdges = edgesOf(after);
  for (const e of newEdges) {
    const [s, r] = e.split(' → ');
    lines.push(oldEdges.has(e) || !before ? `  ${id.get(s)} --> ${id.get(r)}` : `  ${id.get(s)} == added ==> ${id.get(r)}`);
  }
  for (const e of oldEdges) {
    if (newEdges.has(e) || !after) continue;
    const [s, r] = e.split(' → ');
    if (id.has(s) && id.has(r)) lines.push(`  ${id.get(s)} -. removed .-> ${id.get(r)}`);
  }
  lines.push('  classDef added fill:#e3f6e5,stroke:#2e7d32', '  classDef removed fill:#fdecec,stroke:#c62828,stroke-dasharray:4 3');
  const addedIds = hosts.filter((h) => before && !oldNames.has(h.name)).map((h) => id.get(h.name));
  if (addedIds.length > 0) lines.push(`  class ${addedIds.join(',')} added`);
  if (removed.length > 0) lines.push(`  class ${removed.map((h) => id.get(h.name)).join(',')} removed`);
  return lines.join('\n');
}

/** Markdown for a pull request comment: one section per cluster, the diagram last; then the plan's resource changes, when reviewing a plan. */
export function renderReview(reviews: ClusterReview[], plan?: string[]): string {
  const out: string[] = [];
  for (const r of reviews) {
    out.push(`## MariaDB topology: ${r.cluster}`, '');
    if (!r.changed) out.push('No topology change: no host, identity, replication edge, writer or server setting changes.', '');
    for (const s of r.sections) out.push(`### ${s.heading}`, '', ...s.lines.map((l) => `- ${l}`), '');
    out.push('```mermaid', r.mermaid, '```', '');
  }
  if (plan) out.push('## Terraform plan', '', plan[0], '', ...plan.slice(1).map((l) => `- ${l}`), '');
  return out.join('\n');
}
