// What `mariadb-ha monitor` reads: the cluster's description as seen from its own network, and
// how fast to act. Pure: the endpoint construct writes it into the monitor's container.
import { FailoverMonitorOptions, monitorRuntimeSocket, resolveMonitorOptions } from '../render/monitor-config';
import { MARIADB_PORT } from '../render/server-config';
import { ClusterDescription, HOST_ACCESS_NONE } from './description';

/** What `mariadb-ha monitor` reads: the cluster as seen from its network, and how fast to act. */
export interface MonitorConfig {
  /** The cluster, each host at its address on the cluster's network. */
  readonly description: ClusterDescription;
  readonly options: Required<FailoverMonitorOptions>;
  /** Runtime API socket of each endpoint instance, by its backend name. */
  readonly runtimeSockets: { [instance: string]: string };
}

/** The monitor's configuration for a cluster described as the tools see it. */
export function renderMonitorConfig(description: ClusterDescription, options?: FailoverMonitorOptions): string {
  const config: MonitorConfig = {
    description: {
      ...description,
      // The monitor reaches hosts on the cluster's network, never through the host machine's ports.
      hosts: description.hosts.map((h) => ({ ...h, address: h.replicationAddress, port: MARIADB_PORT })),
      // It has no shell on the hosts: everything it does is SQL and the endpoint's runtime API.
      hostAccess: HOST_ACCESS_NONE,
    },
    options: resolveMonitorOptions(options),
    runtimeSockets: Object.fromEntries((description.endpoint?.haproxy?.instances ?? []).map((i) => [i.backendName, monitorRuntimeSocket(i.backendName)])),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
