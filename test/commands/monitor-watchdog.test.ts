// The monitor's watchdog: a process whose event loop stands still is ended, and says why in its
// record; one whose loop turns is left alone. Real processes, a second or two each.
import { spawnSync } from 'child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const root = join(__dirname, '..', '..');
let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'watchdog-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `body` in a fresh node process after starting the watchdog with a 1.5 s limit. */
function withWatchdog(body: string) {
  const record = join(dir, 'last-stall');
  const script = `require('ts-node').register({ transpileOnly: true, project: ${JSON.stringify(join(root, 'tsconfig.json'))} });
    require(${JSON.stringify(join(root, 'src', 'commands', 'monitor.ts'))}).startWatchdog(1500, ${JSON.stringify(record)});
    ${body}`;
  const result = spawnSync('node', ['-e', script], { encoding: 'utf8', timeout: 30_000 });
  return { signal: result.signal, status: result.status, record: existsSync(record) ? readFileSync(record, 'utf8') : undefined };
}

describe("the monitor's watchdog", () => {
  test('a loop blocked for longer than the limit: the process is killed, and the record says why', () => {
    const seen = withWatchdog('const until = Date.now() + 8000; while (Date.now() < until) { /* blocked */ }');
    expect(seen.signal).toBe('SIGKILL');
    expect(seen.record).toMatch(/its event loop stood still for \d+ ms; the watchdog ended it/);
  });

  test('a loop that turns, however busy its awaits: the process ends by itself', () => {
    const seen = withWatchdog('setTimeout(() => process.exit(0), 3000);');
    expect(seen).toEqual({ signal: null, status: 0, record: undefined });
  });
});
