// The one-actor rule between a switchover and the failover monitor: whoever moves the writer holds
// a lock directory in the monitor's container, and records the new writer there before letting go.
import { MONITOR_LOCK_DIR, MONITOR_LOCK_STALE_SECONDS, MONITOR_WRITER_FILE } from '../render/monitor-script';
import { run, RunResult } from './process';

function exec(container: string, script: string): Promise<RunResult> {
  return run('docker', ['exec', container, 'sh', '-c', script], { timeoutMs: 20_000 });
}

/** A held lock; `release` records the writer (when given) and lets the monitor act again. */
export interface MonitorLock {
  release(writer?: string): Promise<void>;
}

/** Takes the lock within `timeoutMs` (the monitor holds it only while it fails over), or throws saying who holds it. */
export async function takeMonitorLock(container: string, owner: string, timeoutMs: number): Promise<MonitorLock> {
  const deadline = Date.now() + timeoutMs;
  const staleMinutes = Math.ceil(MONITOR_LOCK_STALE_SECONDS / 60);
  for (;;) {
    const taken = await exec(container, [
      // A lock older than the stale bound was left by an actor that died.
      `[ -n "$(find ${MONITOR_LOCK_DIR} -maxdepth 0 -mmin +${staleMinutes} 2>/dev/null)" ] && rm -rf ${MONITOR_LOCK_DIR}`,
      `mkdir -p $(dirname ${MONITOR_LOCK_DIR})`,
      `mkdir ${MONITOR_LOCK_DIR} 2>/dev/null && echo ${owner} > ${MONITOR_LOCK_DIR}/owner`,
    ].join('; '));
    if (taken.code === 0) break;
    if (Date.now() > deadline) {
      const holder = (await exec(container, `cat ${MONITOR_LOCK_DIR}/owner 2>/dev/null`)).stdout.trim() || 'unknown';
      throw new Error(`the writer is being moved by another actor (${holder} holds ${MONITOR_LOCK_DIR} in ${container}); retry when it is done (see its log: docker logs ${container})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    release: async (writer?: string) => {
      const record = writer ? `echo ${writer} > ${MONITOR_WRITER_FILE}; ` : '';
      const result = await exec(container, `${record}rm -rf ${MONITOR_LOCK_DIR}`);
      if (result.code !== 0) throw new Error(`could not release the lock in ${container}: ${result.stderr.trim()}`);
    },
  };
}

