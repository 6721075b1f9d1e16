// Deploy-to-replicating on local Docker: from `terraform apply` (after init) until every replication
// connection of the example topology runs without errors. Median of RUNS fresh deploys.
import { waitForHealthyReplication } from '../test/support/cluster-checks';
import { haDeployment } from '../test/support/ha-deployment';
import { fmt, median } from './stats';
import { LIVE_SLOTS } from '../test/support/live-slots';

const RUNS = Number(process.env.DEPLOY_RUNS ?? 3);

async function once(): Promise<{ applySeconds: number; replicatingSeconds: number; destroySeconds: number }> {
  const { live, hosts, monitor } = haDeployment({ ...LIVE_SLOTS.benchDeploy, withEndpoint: false });
  try {
    await live.terraform(['init', '-input=false']);
    const started = Date.now();
    await live.terraform(['apply', '-input=false', '-auto-approve']);
    const applySeconds = (Date.now() - started) / 1000;
    await waitForHealthyReplication(hosts, monitor, 60_000, 100);
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
