// The failover monitor's state, kept in its container's state volume and reached through the host
// access (the monitor's own is local, a tool's is `docker exec`): the actor lock, the writer it
// knows, and the masters it detached when it lost them. One implementation for the monitor and
// every tool, so the lock protocol is written once.
import { execChecked, HostAccess } from '../backends/host-access';
import { MONITOR_LOCK_DIR, MONITOR_LOCK_STALE_SECONDS, MONITOR_STATE_DIR, MONITOR_WRITER_FILE } from '../render/monitor-config';
import { shellQuote } from '../render/shell';

const DETACHED_PREFIX = `${MONITOR_STATE_DIR}/detached.`;

/** A held lock: `release` records the writer (when given) and lets the monitor act again. */
export interface MonitorLock {
  release(writer?: string): Promise<void>;
}

/** How often a held lock is touched: a lock untouched for MONITOR_LOCK_STALE_SECONDS was left by an actor that died. */
const LOCK_HEARTBEAT_MS = 10_000;

/** Seconds since the lock was taken or last touched, in the shell; empty when it is free. */
const LOCK_AGE = `$( [ -d ${MONITOR_LOCK_DIR} ] && echo $(( $(date +%s) - $(stat -c %Y ${MONITOR_LOCK_DIR}) )) )`;

/** What a look at the shared state read: the lock's holder and its age, the recorded writer, the detached masters. */
export interface StateSnapshot {
  readonly holder?: string;
  /** Seconds since the holder took or last touched the lock. */
  readonly lockAgeSeconds?: number;
  readonly writer?: string;
  readonly detached: string[];
}

/**
 * The actor the monitor must wait for: another holder of a lock it still touches. A lock nobody
 * touched for the stale bound was left by an actor that died, and acting takes it over.
 */
export function otherLiveHolder(snapshot: StateSnapshot, self: string): string | undefined {
  const stale = (snapshot.lockAgeSeconds ?? 0) > MONITOR_LOCK_STALE_SECONDS;
  return snapshot.holder && snapshot.holder !== self && !stale ? snapshot.holder : undefined;
}

export class MonitorState {
  constructor(private readonly access: HostAccess, private readonly host: string) {}

  private async sh(script: string, input?: string): Promise<string> {
    return (await execChecked(this.access, this.host, ['sh', '-c', script], { input, timeoutMs: 20_000 })).stdout;
  }

  /** Takes the lock when it is free (or left stale by an actor that died); false when another holds it. */
  public async tryLock(owner: string): Promise<boolean> {
    const taken = await this.sh([
      `mkdir -p ${MONITOR_STATE_DIR}`,
      // Holders touch the lock while they hold it: one untouched for the stale bound was left by an actor that died.
      `age=${LOCK_AGE}; [ -n "$age" ] && [ "$age" -gt ${MONITOR_LOCK_STALE_SECONDS} ] && rm -rf ${MONITOR_LOCK_DIR}`,
      `if mkdir ${MONITOR_LOCK_DIR} 2>/dev/null; then echo ${shellQuote(owner)} > ${MONITOR_LOCK_DIR}/owner; echo taken; fi`,
    ].join('; '));
    return taken.trim() === 'taken';
  }

  /** The lock, taken when free, touched while held so no one takes it for stale; undefined when another holds it. */
  public async tryHold(owner: string): Promise<MonitorLock | undefined> {
    if (!(await this.tryLock(owner))) return undefined;
    // `touch -c`: a beat landing after the release must not create the lock's path again.
    const heartbeat = setInterval(() => { this.sh(`touch -c ${MONITOR_LOCK_DIR}`).catch(() => undefined); }, LOCK_HEARTBEAT_MS);
    heartbeat.unref();
    return {
      release: async (writer?: string) => {
        clearInterval(heartbeat);
        await this.unlock(writer);
      },
    };
  }

  /** Who holds the lock, if anyone. */
  public async holder(): Promise<string | undefined> {
    return (await this.sh(`cat ${MONITOR_LOCK_DIR}/owner 2>/dev/null || true`)).trim() || undefined;
  }

  /** Lets the lock go, recording the writer first when given (the monitor learns it from whoever moved it). */
  public async unlock(writer?: string): Promise<void> {
    await this.sh(`${writer ? `echo ${shellQuote(writer)} > ${MONITOR_WRITER_FILE}; ` : ''}rm -rf ${MONITOR_LOCK_DIR}`);
  }

  /** The writer last recorded by the monitor or a switchover. */
  public async writer(): Promise<string | undefined> {
    return (await this.sh(`cat ${MONITOR_WRITER_FILE} 2>/dev/null || true`)).trim() || undefined;
  }

  public async recordWriter(writer: string): Promise<void> {
    await this.sh(`mkdir -p ${MONITOR_STATE_DIR} && echo ${shellQuote(writer)} > ${MONITOR_WRITER_FILE}`);
  }

  /**
   * The lock's holder (with the seconds since it was last touched), the recorded writer and the
   * detached masters, read at once (the monitor's every tick).
   */
  public async snapshot(): Promise<StateSnapshot> {
    const out = await this.sh([
      // Taken but its owner not written yet still counts as held.
      `[ -d ${MONITOR_LOCK_DIR} ] && echo "holder=$(cat ${MONITOR_LOCK_DIR}/owner 2>/dev/null || echo unknown)" && echo "age=${LOCK_AGE}"`,
      `echo "writer=$(cat ${MONITOR_WRITER_FILE} 2>/dev/null)"`,
      `for f in ${DETACHED_PREFIX}*; do [ -e "$f" ] && echo "detached=\${f#${DETACHED_PREFIX}}"; done; true`,
    ].join('; '));
    const lines = out.split('\n');
    const value = (key: string) => lines.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1) || undefined;
    const age = value('age');
    return { holder: value('holder'), lockAgeSeconds: age === undefined ? undefined : Number(age), writer: value('writer'), detached: lines.filter((l) => l.startsWith('detached=')).map((l) => l.slice(9)) };
  }

  /** Masters lost as the writer and detached: never promoted, never followed, until `rejoin`. */
  public async detached(): Promise<string[]> {
    const listed = await this.sh(`for f in ${DETACHED_PREFIX}*; do [ -e "$f" ] && echo "\${f#${DETACHED_PREFIX}}"; done; true`);
    return listed.split('\n').filter(Boolean);
  }

  public async markDetached(master: string): Promise<void> {
    await this.sh(`mkdir -p ${MONITOR_STATE_DIR} && touch ${shellQuote(`${DETACHED_PREFIX}${master}`)}`);
  }

  public async clearDetached(master: string): Promise<void> {
    await this.sh(`rm -f ${shellQuote(`${DETACHED_PREFIX}${master}`)}`);
  }

  /**
   * Takes the lock within `timeoutMs` (the monitor holds it only while it fails over), or throws
   * saying who holds it.
   */
  public async lock(owner: string, timeoutMs: number): Promise<MonitorLock> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const held = await this.tryHold(owner);
      if (held) return held;
      if (Date.now() > deadline) {
        const holder = (await this.holder()) ?? 'unknown';
        throw new Error(`the writer is being moved by another actor (${holder} holds ${MONITOR_LOCK_DIR} in ${this.host}); retry when it is done`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
