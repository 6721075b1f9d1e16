// The jsii build rewrites lib/ and .jsii in the checkout: the test files that build or read the
// package hold this lock, so jest's parallel workers never read a half-built package.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { join } from 'path';

const LOCK = join(__dirname, '..', '..', '.local', 'package-build.lock');

function ownerAlive(): boolean {
  try {
    process.kill(Number(readFileSync(join(LOCK, 'pid'), 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits for the lock (a directory: mkdir is atomic) and returns its release; a dead owner's lock is taken over. */
export async function acquireBuildLock(timeoutMs = 15 * 60_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  mkdirSync(join(LOCK, '..'), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    // An owner that died between mkdir and writing its pid looks dead for an instant: wait a second before judging.
    await new Promise((r) => setTimeout(r, 1000));
    if (!ownerAlive()) rmSync(LOCK, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`${LOCK} still held after ${timeoutMs / 1000} s; remove it if no test runs`);
  }
}
