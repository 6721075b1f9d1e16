// Deploy-to-replicating on local Docker: from `terraform apply` (after init) until every replication
// connection of the example topology runs without errors. Median of RUNS fresh deploys.
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { DockerBackend, MariaDbReplicationCluster, ReplicaRole } from '../src';
import { MONITOR_USER } from '../src/model/accounts';
import { channelHealthy, readClusterStatus } from '../src/tools/replication-status';
import { generatedPassword, LiveStack, waitFor } from '../test/support/live-stack';
import { fmt, median } from './stats';

const RUNS = Number(process.env.DEPLOY_RUNS ?? 3);
const PREFIX = 'benchdeploy';
const PORT_BASE = 25306;

async function once(): Promise<{ applySeconds: number; replicatingSeconds: number; destroySeconds: number }> {
  const passwords = { root: generatedPassword(), replication: generatedPassword(), monitor: generatedPassword(), application: generatedPassword() };
  const live = new LiveStack({
    dockerPrefix: PREFIX,
    variables: Object.fromEntries(Object.entries(passwords).map(([k, v]) => [`${PREFIX}_${k}_password`, v])),
    build: (stack) => {
      new DockerProvider(stack, 'docker');
      new MariaDbReplicationCluster(stack, PREFIX, {
        masters: [{ name: 'db-a' }, { name: 'db-b' }],
        replicas: [{ name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS }],
        backend: new DockerBackend({ subnet: '10.213.20.0/24', hostPortBase: PORT_BASE }),
      });
    },
  });
  const hosts = ['db-a', 'db-b', 'analytics'].map((name, i) => ({ name, host: '127.0.0.1', port: PORT_BASE + i }));
  try {
    await live.terraform(['init', '-input=false']);
    const started = Date.now();
    await live.terraform(['apply', '-input=false', '-auto-approve']);
    const applySeconds = (Date.now() - started) / 1000;
    await waitFor('replication running', 60_000, async () => {
      const status = await readClusterStatus(hosts, { user: MONITOR_USER, password: passwords.monitor });
      return status.every((h) => h.reachable && h.channels.length > 0 && h.channels.every(channelHealthy)) ? true : undefined;
    }, 100);
    const replicatingSeconds = (Date.now() - started) / 1000;
    const destroyStarted = Date.now();
    await live.destroy();
    return { applySeconds, replicatingSeconds, destroySeconds: (Date.now() - destroyStarted) / 1000 };
  } catch (error) {
    await live.destroy().catch(() => undefined);
    throw error;
  }
}

async function main(): Promise<void> {
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await once());
  console.log(`deploy benchmark: ${RUNS} fresh deploys of 2 masters + 1 analytics replica (seconds)`);
  results.forEach((r, i) => console.log(`  run ${i + 1}: apply ${fmt(r.applySeconds)}, replicating ${fmt(r.replicatingSeconds)}, destroy ${fmt(r.destroySeconds)}`));
  console.log(`median deploy-to-replicating: ${fmt(median(results.map((r) => r.replicatingSeconds)))} s (apply alone ${fmt(median(results.map((r) => r.applySeconds)))} s)`);
}

main().catch((error) => { console.error(error); process.exit(1); });
