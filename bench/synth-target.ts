// One synth in a fresh process: the Docker or the AWS example stack, or a bare stack with the same two providers.
// Prints JSON timings; bench/synth.ts runs it repeatedly and compares.
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const started = process.hrtime.bigint();
const ms = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e6;
const kind = process.argv[2];
const outdir = mkdtempSync(join(tmpdir(), 'synth-bench-'));

const { App, TerraformStack } = require('cdktf');
const { DockerProvider } = require('@cdktf/provider-docker/lib/provider');
const { AwsProvider } = require('@cdktf/provider-aws/lib/provider');
const loaded = ms(started);

const app = new App({ outdir });
if (kind === 'aws-example') {
  const { AwsHaStack } = require('../examples/aws/stack');
  new AwsHaStack(app, 'aws-ha', { region: 'eu-west-1' });
} else if (kind === 'example') {
  const { LocalHaStack } = require('../examples/local-docker/stack');
  const stack = new LocalHaStack(app, 'local-ha');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
} else {
  const stack = new TerraformStack(app, 'bare');
  new DockerProvider(stack, 'docker');
  new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
}
const constructed = ms(started);
app.synth();
const total = ms(started);
rmSync(outdir, { recursive: true, force: true });
console.log(JSON.stringify({ kind, loadMs: loaded, constructMs: constructed - loaded, synthMs: total - constructed, totalMs: total }));
