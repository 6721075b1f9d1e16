// The jsii build rewrites lib/ and .jsii in the checkout: the test files that build or read the
// package hold this lock, so jest's parallel workers never read a half-built package.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';

const LOCKS = join(__dirname, '..', '..', '.local');

function ownerAlive(lock: string): boolean {
  try {
    process.kill(Number(readFileSync(join(lock, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the lock (a directory: mkdir is atomic) and returns its release; a dead owner's lock is taken over. */
export function acquireBuildLock(timeoutMs = 15 * 60_000): Promise<() => void> {
  return acquireLock('package-build', timeoutMs);
}

/** Waits for the named lock under .local/ and returns its release. */
export async function acquireLock(name: string, timeoutMs = 15 * 60_000): Promise<() => void> {
  const lock = join(LOCKS, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  mkdirSync(join(lock, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // An owner that died between mkdir and writing its pid looks dead for an instant: wait a second before judging.
    await new Promise((r) => setTimeout(r, 1000));
    if (!ownerAlive(lock)) rmSync(lock, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`${lock} still held after ${timeoutMs / 1000} s; remove it if no test runs`);
  }
}
