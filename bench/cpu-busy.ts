// How CPU-bound a command is on this machine: runs it, reads /proc/stat every second, and prints
// its wall time, the mean share of all cores busy, and the share of seconds with every core busy.
// A suite that keeps the cores busy gains nothing from more test workers; one with idle cores may.
//   node dist/bench/cpu-busy.js -- npx jest --selectProjects live --maxWorkers=3
import { spawn } from 'child_process';
import { readFileSync } from 'fs';
import { cpus } from 'os';
import { fmt } from './stats';

/** Busy and total jiffies of all cores since boot (iowait counts as idle: a core waiting on disk could run a test). */
function cpuTimes(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

async function main(): Promise<void> {
  const dash = process.argv.indexOf('--');
  const [command, ...args] = dash >= 0 ? process.argv.slice(dash + 1) : [];
  if (!command) throw new Error('usage: node dist/bench/cpu-busy.js -- <command> [args...]');
  const shares: number[] = [];
  let last = cpuTimes();
  const sampler = setInterval(() => {
    const now = cpuTimes();
    if (now.total > last.total) shares.push((now.busy - last.busy) / (now.total - last.total));
    last = now;
  }, 1000);
  const started = Date.now();
  const code = await new Promise<number>((resolve) => spawn(command, args, { stdio: 'inherit' }).on('close', (c) => resolve(c ?? 1)));
  clearInterval(sampler);
  const mean = shares.reduce((a, b) => a + b, 0) / Math.max(1, shares.length);
  const saturated = shares.filter((s) => s >= 0.95).length / Math.max(1, shares.length);
  console.log(`cpu-busy: ${command} ${args.join(' ')}`);
  console.log(`  wall ${fmt((Date.now() - started) / 1000)} s on ${cpus().length} cores; busy ${fmt(mean * 100)}% of all cores on average; every core busy in ${fmt(saturated * 100)}% of the seconds; exit ${code}`);
  process.exitCode = code;
}

main().catch((error) => { console.error(error); process.exit(1); });
