// What one run of the checkout's `mariadb-ha` costs (a deploy runs it for every step): the cached
// bundle (bin/mariadb-ha.js) against transpiling the sources with ts-node on every run, as the
// command did before, in the same process, alternating. CPU is the children's, from /proc.
import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { fmt, median } from './stats';

const root = join(__dirname, '..', '..');
const RUNS = Number(process.env.CLI_RUNS ?? 7);
const TICKS_PER_SECOND = 100;

/** CPU seconds of every child this process has waited for (Linux: cutime + cstime). */
function childrenCpuSeconds(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_SECOND;
}

function once(args: string[]): { wall: number; cpu: number } {
  const cpu = childrenCpuSeconds();
  const started = Date.now();
  const result = spawnSync('node', args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${result.stderr}`);
  return { wall: (Date.now() - started) / 1000, cpu: childrenCpuSeconds() - cpu };
}

const variants: Array<[string, string[]]> = [
  ['ts-node transpile (before)', ['-e', "require('ts-node').register({ transpileOnly: true, project: 'tsconfig.json' }); require('./src/commands/cli.ts').main(['--help']).then((c) => process.exit(c))"]],
  ['cached bundle (bin/mariadb-ha.js)', ['bin/mariadb-ha.js', '--help']],
];
once(variants[1][1]); // builds the bundle of these sources, if it is not there yet
const seen = new Map<string, Array<{ wall: number; cpu: number }>>(variants.map(([name]) => [name, []]));
for (let i = 0; i < RUNS; i++) for (const [name, args] of variants) seen.get(name)!.push(once(args));
const cpuMedians = variants.map(([name]) => median(seen.get(name)!.map((r) => r.cpu)));
for (const [i, [name]] of variants.entries()) {
  const runs = seen.get(name)!;
  console.log(`${name.padEnd(34)} wall median ${fmt(median(runs.map((r) => r.wall)), 2)} s, CPU median ${fmt(cpuMedians[i], 2)} s over ${RUNS} runs`);
}
console.log(`CPU per CLI run: ${fmt(cpuMedians[0] / cpuMedians[1])}x less with the cached bundle`);
