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
  const haproxy = description.endpoint?.haproxy;
  const config: MonitorConfig = {
    description: {
      ...description,
      // Only what the monitor uses, and nothing Terraform resolves later (the active master is a
      // variable, container names are references): the configuration is fixed at synth.
      activeMaster: '',
      endpoint: description.endpoint && { ...description.endpoint, haproxy: haproxy && { ...haproxy, monitorContainer: undefined } },
      // The monitor reaches hosts on the cluster's network, never through the host machine's ports.
      // It judges replication by what the hosts report, not by their plan: a replica's new source
      // or a master's new key slot leaves its configuration, and the monitor, as they are.
      hosts: description.hosts.map((h) => ({
        ...h, address: h.replicationAddress, port: MARIADB_PORT, backendName: h.name, sources: [], delaySeconds: 0, settings: {},
      })),
      // It has no shell on the hosts: everything it does is SQL and the endpoint's runtime API.
      hostAccess: HOST_ACCESS_NONE,
    },
    options: resolveMonitorOptions(options),
    runtimeSockets: Object.fromEntries((description.endpoint?.haproxy?.instances ?? []).map((i) => [i.backendName, monitorRuntimeSocket(i.backendName)])),
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}
