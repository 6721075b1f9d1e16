// The test suite's time, file by file, from jest's own timings of a run (.local/jest-timings.json,
// written by test/support/summary-reporter.js): per-project totals and the 10 slowest files.
//   node dist/bench/suite.js          the table of the last `npm test` (or any jest run)
//   node dist/bench/suite.js fast     runs `npm run test:fast` FAST_RUNS times (default 3), prints
//                                     its wall-time median, then that run's table
import { spawnSync } from 'child_process';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { fmt, median } from './stats';

interface TestTiming { title: string; seconds: number; status: string }
interface FileTiming { file: string; project: string; seconds: number; passed: number; failed: number; tests?: TestTiming[] }
interface Timings { wallSeconds: number; files: FileTiming[] }

const root = join(__dirname, '..', '..');
const timingsPath = join(root, '.local', 'jest-timings.json');

function readTimings(): Timings {
  if (!existsSync(timingsPath)) throw new Error(`${timingsPath} is missing: run \`npm test\` (or any jest run) first`);
  return JSON.parse(readFileSync(timingsPath, 'utf8'));
}

function printTable(t: Timings): void {
  const byProject = new Map<string, FileTiming[]>();
  for (const f of t.files) byProject.set(f.project, [...(byProject.get(f.project) ?? []), f]);
  const sum = (fs: FileTiming[], key: 'seconds' | 'passed' | 'failed') => fs.reduce((n, f) => n + f[key], 0);
  console.log(`jest wall time ${fmt(t.wallSeconds)} s; ${sum(t.files, 'passed')} passed, ${sum(t.files, 'failed')} failed in ${t.files.length} files`);
  console.log('project     files   seconds   passed   failed');
  for (const [project, fs] of byProject) {
    console.log(`${project.padEnd(10)} ${String(fs.length).padStart(6)} ${fmt(sum(fs, 'seconds')).padStart(9)} ${String(sum(fs, 'passed')).padStart(8)} ${String(sum(fs, 'failed')).padStart(8)}`);
  }
  // Outside the tests: loading the file, and its beforeAll/afterAll (a live file's deploy and destroy).
  const outside = (f: FileTiming) => (f.tests ? `${fmt(f.seconds - f.tests.reduce((n, x) => n + x.seconds, 0)).padStart(9)}` : '');
  console.log('the 10 slowest files (seconds; then the part outside its tests: load, deploy, destroy):');
  for (const f of [...t.files].sort((a, b) => b.seconds - a.seconds).slice(0, 10)) {
    console.log(`${fmt(f.seconds).padStart(8)}  ${outside(f)}  ${f.project.padEnd(8)} ${f.file}`);
  }
  const tests = t.files.flatMap((f) => (f.tests ?? []).map((x) => ({ ...x, file: f.file })));
  if (tests.length === 0) return;
  const live = t.files.filter((f) => f.project === 'live' && f.tests);
  console.log(`live files: ${fmt(sum(live, 'seconds'))} s, of which outside their tests ${fmt(live.reduce((n, f) => n + f.seconds - f.tests!.reduce((m, x) => m + x.seconds, 0), 0))} s`);
  console.log('the 10 slowest tests (seconds):');
  for (const x of tests.sort((a, b) => b.seconds - a.seconds).slice(0, 10)) {
    console.log(`${fmt(x.seconds).padStart(8)}  ${x.file.replace(/^test\//, '')}: ${x.title.slice(0, 110)}`);
  }
}

if (process.argv[2] === 'fast') {
  const runs = Number(process.env.FAST_RUNS ?? 3);
  const walls: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = Date.now();
    const result = spawnSync('npm', ['run', '--silent', 'test:fast'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`npm run test:fast failed:\n${result.stderr.split('\n').slice(-40).join('\n')}`);
    walls.push((Date.now() - started) / 1000);
  }
  console.log(`npm run test:fast: median ${fmt(median(walls))} s over ${runs} runs (${walls.map((w) => fmt(w)).join(', ')})`);
}
printTable(readTimings());
