// `mariadb-ha monitor`: the failover monitor, run in its own container (or anywhere that reaches the
// hosts): reads its configuration and the operator and replication passwords from files, keeps its
// state where the tools find it, and steers the writer endpoint through its runtime sockets.
import { existsSync, readFileSync, rmSync } from 'fs';
import { join } from 'path';
import { Worker } from 'worker_threads';
import { LocalHostAccess } from '../backends/local-host-access';
import type { MonitorConfig } from '../constructs/monitor-config';
import { SecretName } from '../model/accounts';
import { MONITOR_CONFIG_PATH, MONITOR_SECRETS_DIR, MONITOR_STALL_RECORD } from '../render/monitor-config';
import { FailoverMonitor } from '../operator/failover/monitor-loop';
import { MonitorState } from '../operator/monitor-state';
import { unixSocket } from '../routes/haproxy-runtime';
import { writerRouteOf } from '../routes/writer-route';

export interface MonitorCommandOptions {
  readonly configPath?: string;
  readonly secretsDir?: string;
  readonly log?: (line: string) => void;
  readonly stopped?: () => boolean;
}

/** A password file, read each time: a rotation replaces it in place. */
function secretFile(dir: string, secret: SecretName): () => string {
  return () => readFileSync(join(dir, secret), 'utf8').trim();
}

/**
 * How long the monitor's event loop may stand still before its watchdog ends the process (its
 * container restarts it, and the new run looks afresh). Every wait inside it is asynchronous and
 * bounded, so a loop that stops turning is a defect, and a monitor that stops is the worst one.
 */
const STALL_LIMIT_MS = 20_000;

/**
 * A second thread that ends the process when the main thread's timer stops beating: it records
 * why in the state volume first (a file, not the log: a blocked log pipe may be the cause).
 */
export function startWatchdog(limitMs = STALL_LIMIT_MS, record = MONITOR_STALL_RECORD): void {
  const beat = new BigInt64Array(new SharedArrayBuffer(8));
  Atomics.store(beat, 0, BigInt(Date.now()));
  setInterval(() => Atomics.store(beat, 0, BigInt(Date.now())), 1_000).unref();
  const worker = new Worker(`
    const { workerData } = require('worker_threads');
    const { writeFileSync } = require('fs');
    const beat = new BigInt64Array(workerData.buffer);
    setInterval(() => {
      const still = Date.now() - Number(Atomics.load(beat, 0));
      if (still < workerData.limitMs) return;
      try {
        writeFileSync(workerData.record, new Date().toISOString() + ': its event loop stood still for ' + still + ' ms; the watchdog ended it\\n');
      } finally {
        process.kill(process.pid, 'SIGKILL');
      }
    }, 1000);
  `, { eval: true, workerData: { buffer: beat.buffer, limitMs, record } });
  worker.unref();
}

function timestamped(line: string): void {
  console.log(`${new Date().toISOString()} ${line}`);
}

export async function monitorCommand(options: MonitorCommandOptions = {}): Promise<number> {
  const config: MonitorConfig = JSON.parse(readFileSync(options.configPath ?? MONITOR_CONFIG_PATH, 'utf8'));
  const secrets = options.secretsDir ?? MONITOR_SECRETS_DIR;
  const description = config.description;
  const route = description.endpoint && !description.galera
    ? writerRouteOf(description, (instance) => unixSocket(config.runtimeSockets[instance.backendName]))
    : undefined;
  const monitorLog = options.log ?? timestamped;
  const monitor = new FailoverMonitor({
    config,
    operatorPassword: secretFile(secrets, SecretName.OPERATOR),
    replicationPassword: secretFile(secrets, SecretName.REPLICATION),
    state: new MonitorState(new LocalHostAccess(), 'localhost'),
    route,
    log: monitorLog,
    stopped: options.stopped,
    // Its container restarts it; a test's in-process monitor only logs.
    stuck: options.stopped ? undefined : () => process.exit(75),
  });
  if (!options.stopped) {
    // The real process (a test's in-process monitor is never killed).
    if (existsSync(MONITOR_STALL_RECORD)) {
      monitorLog(`the last run was ended by its watchdog: ${readFileSync(MONITOR_STALL_RECORD, 'utf8').trim()}`);
      rmSync(MONITOR_STALL_RECORD, { force: true });
    }
    startWatchdog();
  }
  await monitor.run();
  return 0;
}
