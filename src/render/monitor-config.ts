// The failover monitor's files: where its container keeps its code, configuration, secrets and
// state, and how fast it acts (pure). The monitor is `mariadb-ha monitor`: the same
// TypeScript as the tools, run in its own container, reading this configuration.
export const MONITOR_DIR = '/etc/mariadb-ha/monitor';
/** The `mariadb-ha` command, bundled into one file with its dependencies. */
export const MONITOR_BUNDLE_PATH = `${MONITOR_DIR}/mariadb-ha.js`;
export const MONITOR_CONFIG_PATH = `${MONITOR_DIR}/config.json`;
/** Operator and replication passwords, one file each (a rotation replaces them in place). */
export const MONITOR_SECRETS_DIR = `${MONITOR_DIR}/secrets`;
/** The monitor's state, on a volume of its own so a replaced monitor keeps it. */
export const MONITOR_STATE_DIR = '/var/lib/mariadb-ha';
export const MONITOR_WRITER_FILE = `${MONITOR_STATE_DIR}/writer`;
export const MONITOR_LOCK_DIR = `${MONITOR_STATE_DIR}/lock`;
/** Why the monitor's watchdog ended the last run (its event loop stopped), for the next run to log. */
export const MONITOR_STALL_RECORD = `${MONITOR_STATE_DIR}/last-stall`;
/** A lock untouched for this long was left by an actor that died (holders touch it every 10 s); the next actor may take it. */
export const MONITOR_LOCK_STALE_SECONDS = 60;
/** Where the monitor finds each endpoint instance's runtime API (a shared volume per instance). */
export const MONITOR_RUNTIME_DIR = '/run/mariadb-ha/endpoints';

/** How the monitor decides a writer is lost. */
export interface FailoverMonitorOptions {
  /**
   * Milliseconds a master must be silent (no answer, its process not known to be gone) before
   * the monitor acts; a master paused or cut off for less is never failed over. A master whose
   * server process is gone (its connections closed, its port refusing) and whose peers lost it
   * too is failed over at once.
   * @default 3000
   */
  readonly detectionMs?: number;
  /**
   * Milliseconds between probes of every host (ten times as often while a master is suspect).
   * @default 500
   */
  readonly probeIntervalMs?: number;
  /**
   * Seconds a failover waits for the survivors to apply what they received from the lost writer
   * (and for the new writer to catch up with the most advanced of them) before it gives up and
   * retries; new writes wait that long at most.
   * @default 60
   */
  readonly catchUpTimeoutSeconds?: number;
  /**
   * Galera: when every node was lost, restart the cluster by itself, from the most advanced node,
   * once every node of the last primary component waits with its position (nodes that left it
   * earlier are behind and are not waited for); it never starts from a node that would lose a
   * committed transaction and refuses differing histories. Off: `mariadb-ha recover` does it.
   * @default true
   */
  readonly galeraRecovery?: boolean;
}

export function resolveMonitorOptions(o: FailoverMonitorOptions = {}): Required<FailoverMonitorOptions> {
  return { detectionMs: o.detectionMs ?? 3000, probeIntervalMs: o.probeIntervalMs ?? 500, catchUpTimeoutSeconds: o.catchUpTimeoutSeconds ?? 60, galeraRecovery: o.galeraRecovery ?? true };
}

/** The runtime socket path of an endpoint instance inside the monitor's container. */
export function monitorRuntimeSocket(instance: string): string {
  return `${MONITOR_RUNTIME_DIR}/${instance}/admin.sock`;
}
