// Offline `terraform plan` of the AWS example (provider from the local mirror, no AWS reachable)
// against a bare stack with the same provider settings, alternating, median of PLAN_RUNS; then the
// worst-case failover time the example's settings allow, as `mariadb-ha review` prints it for a PR.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AwsHaStack, emulatedProvider } from '../examples/aws/stack';
import { runChecked } from '../src/process';
import { main } from '../src/commands/cli';
import { fmt, median } from './stats';

const RUNS = Number(process.env.PLAN_RUNS ?? 3);
const STACK = 'aws-ha';
const OFFLINE = 'http://127.0.0.1:9'; // nothing listens here: a plan that called AWS would fail

async function prepared(kind: 'bare' | 'aws-example'): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), `aws-plan-bench-${kind}-`));
  const app = new App({ outdir: join(root, 'out') });
  if (kind === 'aws-example') {
    // The example's own stack id: its identity lock file records that path.
    new AwsHaStack(app, STACK, { region: 'eu-west-1', emulatorUrl: OFFLINE });
  } else {
    const stack = new TerraformStack(app, STACK);
    new AwsProvider(stack, 'aws', { region: 'eu-west-1', ...emulatedProvider(OFFLINE) });
  }
  app.synth();
  const dir = join(root, 'out', 'stacks', STACK);
  await runChecked('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, timeoutMs: 300_000 });
  return dir;
}

async function planMs(dir: string): Promise<number> {
  const started = Date.now();
  await runChecked('terraform', ['plan', '-input=false', '-lock=false', '-refresh=false', '-no-color'], {
    cwd: dir, timeoutMs: 300_000, env: { ...process.env, TF_VAR_ami_id: 'ami-0123456789abcdef0', ...Object.fromEntries(['root', 'replication', 'monitor', 'operator', 'application'].map((s) => [`TF_VAR_shop_${s}_password`, 'Pw-bench-0123456789'])) },
  });
  return Date.now() - started;
}

async function benchmark(): Promise<void> {
  const dirs = { bare: await prepared('bare'), example: await prepared('aws-example') };
  const runs: Record<string, number[]> = { bare: [], example: [] };
  await planMs(dirs.bare); // warm the provider binary into the page cache
  for (let i = 0; i < RUNS; i++) {
    runs.bare.push(await planMs(dirs.bare));
    runs.example.push(await planMs(dirs.example));
  }
  console.log(`AWS plan benchmark: ${RUNS} alternating offline plans each, medians`);
  console.log(`  bare stack (AWS provider only): ${fmt(median(runs.bare) / 1000, 2)} s`);
  console.log(`  AWS example:                    ${fmt(median(runs.example) / 1000, 2)} s`);
  console.log(`  ratio example/bare: ${fmt(median(runs.example) / median(runs.bare), 2)}x`);
  await main(['review', dirs.example, dirs.example], (line) => console.log(line.split('\n').filter((l) => /worst case/.test(l)).join('\n')));
  for (const dir of Object.values(dirs)) rmSync(join(dir, '..', '..', '..'), { recursive: true, force: true });
}

benchmark().catch((error) => {
  console.error(error);
  process.exit(1);
});
