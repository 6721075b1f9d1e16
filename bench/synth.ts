// Synth time of the Docker and AWS examples against a bare stack with the same two providers (Docker and AWS),
// each in a fresh Node process as `cdktf synth` runs it, alternating, median of RUNS.
import { execFileSync } from 'child_process';
import { join } from 'path';
import { fmt, median } from './stats';

const RUNS = Number(process.env.SYNTH_RUNS ?? 9);
const target = join(__dirname, 'synth-target.js');

interface Timing { kind: string; loadMs: number; constructMs: number; synthMs: number; totalMs: number; wallMs: number }

function once(kind: string): Timing {
  const started = process.hrtime.bigint();
  const out = execFileSync(process.execPath, [target, kind], { encoding: 'utf8' });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  return { ...JSON.parse(out.trim().split('\n').pop()!), wallMs };
}

const runs: Record<string, Timing[]> = { bare: [], example: [], 'aws-example': [] };
once('bare'); // warm the file cache so neither side pays for it
for (let i = 0; i < RUNS; i++) {
  runs.bare.push(once('bare'));
  runs.example.push(once('example'));
  runs['aws-example'].push(once('aws-example'));
}
const m = (kind: string, key: keyof Timing) => median(runs[kind].map((t) => t[key] as number));
console.log(`synth benchmark: ${RUNS} alternating runs each, medians (ms)`);
console.log('stack          process-wall   in-process   module-load   construct   synth');
for (const kind of ['bare', 'example', 'aws-example']) {
  console.log(`${kind.padEnd(14)} ${fmt(m(kind, 'wallMs')).padStart(12)}   ${fmt(m(kind, 'totalMs')).padStart(10)}   ${fmt(m(kind, 'loadMs')).padStart(11)}   ${fmt(m(kind, 'constructMs')).padStart(9)}   ${fmt(m(kind, 'synthMs')).padStart(5)}`);
}
for (const kind of ['example', 'aws-example']) {
  console.log(`ratio ${kind}/bare: process wall ${fmt(m(kind, 'wallMs') / m('bare', 'wallMs'), 2)}x, in-process ${fmt(m(kind, 'totalMs') / m('bare', 'totalMs'), 2)}x`);
}
