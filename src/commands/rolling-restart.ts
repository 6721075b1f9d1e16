// Changed server settings reach a running Galera cluster one node at a time: Terraform never rebuilds
// a node (replacing them together would stop the cluster), so `mariadb-ha rolling-restart` writes each
// node's new files into its container and restarts it, once every node is synced, waiting until it
// is synced again before the next. The node the endpoint is most likely to write to goes last.
import type { ClusterDescription } from '../constructs/description';
import { ENTRYPOINT_PATH, SERVER_CONFIG_PATH } from '../render/entrypoint';
import { HostAccess } from '../backends/host-access';
import { hostAccessOf } from '../operator/cluster-ref';
import { readHostFile, writeHostFile } from '../operator/host-files';
import { nodeStatus } from './recover';

/** The files one node runs with, as rendered for the planned topology. */
export interface NodeFiles {
  readonly serverConfig: string;
  readonly entrypoint: string;
}

/** Settings a node reads only when it starts and that need no restart of their own (any listed peer lets it join). */
const READ_AT_START_ONLY = ['wsrep_cluster_address'];

/** Whether the new config differs from the running one in anything that needs a restart. */
export function needsRestart(running: string, planned: string): boolean {
  const significant = (text: string) => text.split('\n').filter((l) => !READ_AT_START_ONLY.some((s) => l.startsWith(`${s} = `))).join('\n');
  return significant(running) !== significant(planned);
}

export interface RolloutOptions {
  readonly description: ClusterDescription;
  /** Planned files by node name. */
  readonly files: { [node: string]: NodeFiles };
  readonly waitSeconds: number;
  readonly progress: (line: string) => void;
}

/** `<state> <members>` of a node ('' parts when it does not answer). */
async function nodeState(access: HostAccess, container: string): Promise<string> {
  return `${await nodeStatus(access, container, 'wsrep_local_state_comment')} ${await nodeStatus(access, container, 'wsrep_cluster_size')}`.trim();
}

/** Waits until every node is synced with at least `members` members; the states when it gives up. */
async function waitForSynced(access: HostAccess, containers: string[], members: number, seconds: number): Promise<string | undefined> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const states = await Promise.all(containers.map((c) => nodeState(access, c)));
    if (states.every((s) => s.startsWith('Synced ') && Number(s.split(' ')[1]) >= members)) return undefined;
    if (Date.now() > deadline) return containers.map((c, i) => `${c}: ${states[i] || 'no answer'}`).join(', ');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Brings every node to its planned files, restarting one node at a time; returns what it did. */
export async function rollingRestart(options: RolloutOptions): Promise<string> {
  const { description, files, progress } = options;
  const g = description.galera;
  if (!g) throw new Error(`refused: ${description.cluster} is not a Galera cluster`);
  const container = (node: string) => description.hosts.find((h) => h.name === node)!.backendName;
  const containers = g.nodes.map(container);
  const access = hostAccessOf(description);
  const restarted: string[] = [];
  const updated: string[] = [];
  // The first node is the endpoint's first choice: last, so the writes move at most once.
  for (const node of [...g.nodes].reverse()) {
    const planned = files[node];
    if (!planned) throw new Error(`no planned files for ${node}`);
    const [config, entrypoint] = await Promise.all([readHostFile(access, container(node), SERVER_CONFIG_PATH), readHostFile(access, container(node), ENTRYPOINT_PATH)]);
    if (config === planned.serverConfig && entrypoint === planned.entrypoint) continue;
    const restart = entrypoint !== planned.entrypoint || needsRestart(config, planned.serverConfig);
    if (restart) {
      const notSynced = await waitForSynced(access, containers, g.nodes.length, options.waitSeconds);
      if (notSynced) {
        throw new Error(`refused to restart ${node}: the cluster is not fully synced (${notSynced}); ${[...restarted, ...updated].join(', ') || 'no node'} runs the new settings so far; apply again once every node is synced`);
      }
    }
    await writeHostFile(access, container(node), SERVER_CONFIG_PATH, planned.serverConfig, { keepMode: true });
    await writeHostFile(access, container(node), ENTRYPOINT_PATH, planned.entrypoint, { keepMode: true });
    if (!restart) {
      progress(`  ${node}: new files written; nothing in them needs a restart (read at its next start)`);
      updated.push(node);
      continue;
    }
    const started = Date.now();
    progress(`  ${node}: restarting with its new settings`);
    await access.restart(container(node), 60);
    const stuck = await waitForSynced(access, containers, g.nodes.length, options.waitSeconds);
    if (stuck) throw new Error(`${node} was restarted with its new settings but the cluster is not synced again within ${options.waitSeconds} s (${stuck}); see docker logs ${container(node)}`);
    progress(`  ${node}: synced again after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    restarted.push(node);
  }
  if (restarted.length + updated.length === 0) return `every node of ${description.cluster} already runs its planned settings`;
  return `${description.cluster}: ${restarted.length > 0 ? `restarted ${restarted.join(', ')} one at a time` : 'no node restarted'}${updated.length > 0 ? `; new files on ${updated.join(', ')}` : ''}`;
}
