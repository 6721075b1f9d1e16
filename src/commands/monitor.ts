// `mariadb-ha monitor`: the failover monitor, run in its own container (or anywhere that reaches the
// hosts): reads its configuration and the operator and replication passwords from files, keeps its
// state where the tools find it, and steers the writer endpoint through its runtime sockets.
import { readFileSync } from 'fs';
import { join } from 'path';
import { LocalHostAccess } from '../backends/local-host-access';
import type { MonitorConfig } from '../constructs/monitor-config';
import { SecretName } from '../model/accounts';
import { MONITOR_CONFIG_PATH, MONITOR_SECRETS_DIR } from '../render/monitor-config';
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
  const monitor = new FailoverMonitor({
    config,
    operatorPassword: secretFile(secrets, SecretName.OPERATOR),
    replicationPassword: secretFile(secrets, SecretName.REPLICATION),
    state: new MonitorState(new LocalHostAccess(), 'localhost'),
    route,
    log: options.log ?? timestamped,
    stopped: options.stopped,
  });
  await monitor.run();
  return 0;
}
