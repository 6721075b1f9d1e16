// `mariadb-ha review`: what a reviewer must know about a topology change, from two synthesized
// stacks (before and after): hosts, identities, data at risk, replication edges, an implied
// switchover, restarts, and the topology as a Mermaid diagram GitHub renders in the pull request.
import { existsSync, readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import type { ClusterDescription, HostDescription } from '../constructs/replication-cluster';
import { ToolError } from './cluster-ref';

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
      + (h.name === before?.activeMaster ? '; it is the active master, so writes must move off it first (a switchover)' : ''));
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
  const increments = kept.filter(({ before: b, after: a }) => a.kind === 'master' && b.settings?.auto_increment_increment !== a.settings?.auto_increment_increment);
  if (increments.length > 0 && added.some((h) => h.kind === 'master')) {
    risks.push(`auto_increment_increment changes on live masters (${increments.map((k) => k.after.name).join(', ')}) while a master`
      + ' joins; each host restarts with it in turn, and until all have, old and new increments can produce the same key');
  }

  // A replica is moved in place (repoint); a master keeps the connections of its first bootstrap.
  const reconnected = kept.filter(({ before: b, after: a }) => b.sources.join() !== a.sources.join() || b.delaySeconds !== a.delaySeconds);
  const inPlace = reconnected.filter(({ after: a }) => a.kind === 'replica')
    .map(({ after: a }) => `**${a.name}** moves to ${a.sources.join(', ')}${a.delaySeconds ? ` (${a.delaySeconds} s behind)` : ''} on the running`
      + ' host, by GTID: terraform apply runs mariadb-ha repoint; its container and data stay');
  const notApplied = reconnected.filter(({ after: a }) => a.kind === 'master')
    .map(({ before: b, after: a }) => `**${a.name}** keeps replicating from ${b.sources.join(', ') || 'nothing'} after this apply, not from`
      + ` ${a.sources.join(', ') || 'nothing'}: a running master keeps the replication connections it was bootstrapped with`
      + ' (growing or shrinking the writers of a live cluster is not supported yet)');

  const restarts = kept
    .map(({ before: b, after: a }) => ({ host: a.name, changes: changedSettings(b, a).filter((s) => !IDENTITY_SETTINGS.includes(s.name)) }))
    .filter((r) => r.changes.length > 0)
    .map((r) => `**${r.host}** restarts: ${r.changes.map((c) => `${c.name} ${c.before} → ${c.after}`).join(', ')}`);

  const sections = [
    { heading: 'Data at risk', lines: risks },
    {
      heading: 'Hosts added',
      lines: added.map((h) => `**${h.name}** (${describeHost(h)}); in a running cluster it starts from a mariabackup copy of a running host`
        + ` (${h.kind === 'replica' ? 'its source first' : 'another master'}), at the copy's GTID position`),
    },
    { heading: 'Hosts removed', lines: removed.map((h) => `**${h.name}** (${describeHost(h)})`) },
    { heading: 'Identity changes', lines: identity },
    { heading: 'Replication edges', lines: [...edgesAdded.map((e) => `added ${e}`), ...edgesRemoved.map((e) => `removed ${e}`)] },
    { heading: 'Changed in place', lines: inPlace },
    { heading: 'Not applied to running hosts', lines: notApplied },
    {
      heading: 'Switchover',
      lines: before && after && before.activeMaster !== after.activeMaster
        ? [`writes move from **${before.activeMaster}** to **${after.activeMaster}** (terraform apply runs mariadb-ha switchover: one writer at a time, a write window of tens of milliseconds)`]
        : [],
    },
    { heading: 'Restarts', lines: restarts },
  ].filter((s) => s.lines.length > 0);
  return { cluster: id, sections, mermaid: topologyDiagram(before, after), changed: sections.length > 0 };
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
  const facts = [h.kind === 'master' ? 'master' : `${h.role} replica of ${h.sources.join(', ')}`, `server_id ${h.serverId}`];
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
    const role = h.kind === 'master' ? (h.name === after?.activeMaster ? 'active master' : 'master') : `${h.role} replica`;
    return `"${h.name}<br/>${role} · id ${h.serverId}"`;
  };
  const lines = ['flowchart LR', ...all.map((h) => `  ${id.get(h.name)}[${label(h)}]`)];
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

/** Markdown for a pull request comment: one section per cluster, the diagram last. */
export function renderReview(reviews: ClusterReview[]): string {
  const out: string[] = [];
  for (const r of reviews) {
    out.push(`## MariaDB topology: ${r.cluster}`, '');
    if (!r.changed) out.push('No topology change: no host, identity, replication edge, writer or server setting changes.', '');
    for (const s of r.sections) out.push(`### ${s.heading}`, '', ...s.lines.map((l) => `- ${l}`), '');
    out.push('```mermaid', r.mermaid, '```', '');
  }
  return out.join('\n');
}
