// The writer endpoint of a Galera cluster on local Docker: HAProxy in front of the nodes, published
// on 127.0.0.1, sending writes to one synced node at a time (or to every synced node), and a
// monitor that restarts the cluster when every node was lost and re-points asynchronous replicas
// when the node they follow is lost.
import { Container } from '@cdktf/provider-docker/lib/container';
import { Construct, TerraformData } from '../../cdktf';
import type { MariaDbGaleraCluster } from '../../constructs/galera-cluster';
import { EndpointDescription, EndpointKind } from '../../constructs/endpoint';
import { MONITOR_USER } from '../../model/accounts';
import { GaleraWriteMode, SstMethod } from '../../model/galera-topology';
import { HostKind } from '../../model/plan';
import { throwIfProblems } from '../../model/problems';
import { HAPROXY_CONFIG_PATH, renderCheckAgents, renderGaleraCheck, renderGaleraHaproxyConfig, WRITER_BACKEND, WriterHealthCheck } from '../../render/haproxy-config';
import { FailoverMonitorOptions } from '../../render/monitor-config';
import { renderMonitorConfig } from '../../constructs/monitor-config';
import { MARIADB_PORT } from '../../render/server-config';
import { DockerBackend, ENDPOINT_OFFSET, LOOPBACK, MONITOR_OFFSET } from './docker-backend';
import { sha256 } from '../host-revision';
import { haproxyContainer, monitorContainer, PROJECT_HAPROXY_IMAGE } from './endpoint-containers';
import { DEFAULT_ENDPOINT_PORT, healthCheckProblems, monitorOptionProblems, portProblems } from './haproxy-endpoint';

export interface GaleraWriterEndpointProps {
  /** The Galera cluster whose nodes the endpoint fronts (on a DockerBackend). */
  readonly cluster: MariaDbGaleraCluster;
  /**
   * Host port clients connect to (published on 127.0.0.1).
   * @default 23300
   */
  readonly hostPort?: number;
  /**
   * HAProxy image; it needs the `mariadb` client for the health check.
   * @default HaproxyWriterEndpoint.PROJECT_IMAGE
   */
  readonly image?: string;
  /**
   * How a node is judged healthy (a synced member of the primary component).
   * @default - see WriterHealthCheck
   */
  readonly healthCheck?: WriterHealthCheck;
  /**
   * The monitor: it restarts the cluster when every node was lost (`galeraRecovery`) and re-points
   * a replica whose node is lost. It runs unless automatic recovery is off and there is no replica.
   * @default - see FailoverMonitorOptions
   */
  readonly monitor?: FailoverMonitorOptions;
}

export class GaleraWriterEndpoint extends Construct {
  /** The HAProxy container. */
  public readonly container: Container;
  /** Where clients on the Docker host connect. */
  public readonly address: string;
  public readonly port: number;
  /** Where containers on the cluster's network connect. */
  public readonly networkAddress: string;
  public readonly networkPort: number;
  /** The Docker network to attach application containers to, so they reach `networkAddress`. */
  public readonly networkName: string;
  /** The monitor's container (unless automatic recovery is off and the cluster has no replica). */
  public readonly monitorContainer?: Container;

  constructor(scope: Construct, id: string, props: GaleraWriterEndpointProps) {
    super(scope, id);
    const { cluster } = props;
    const backend = cluster.backend;
    if (!(backend instanceof DockerBackend)) {
      throw new Error(`${this.node.path}: GaleraWriterEndpoint needs a cluster on a DockerBackend`);
    }
    const hostPort = props.hostPort ?? DEFAULT_ENDPOINT_PORT;
    const taken = cluster.connections.map((c) => ({ port: c.port, address: c.networkAddress, host: c.hostName }));
    throwIfProblems(this.node.path, [
      ...portProblems(hostPort, 1, taken),
      ...healthCheckProblems(props.healthCheck),
      ...monitorOptionProblems(props.monitor),
    ]);
    const plan = cluster.plan;
    const prefix = backend.namePrefix(cluster);
    const image = props.image ?? PROJECT_HAPROXY_IMAGE;
    this.address = LOOPBACK;
    this.port = hostPort;
    this.networkAddress = backend.addressAt(ENDPOINT_OFFSET);
    this.networkPort = MARIADB_PORT;
    this.networkName = backend.networkName!;
    const addresses = Object.fromEntries(cluster.connections.map((c) => [c.hostName, c.networkAddress]));
    const config = renderGaleraHaproxyConfig(plan, { addresses, healthCheck: props.healthCheck, checkUser: MONITOR_USER });
    const g = plan.galera!;
    const checkScript = renderGaleraCheck(MONITOR_USER, g.writeMode === GaleraWriteMode.ONE_NODE, g.sstMethod === SstMethod.MARIABACKUP, props.healthCheck);
    const checkAgents = renderCheckAgents(plan, addresses);
    const name = `${prefix}-writer`;
    this.container = haproxyContainer(this, {
      id: 'haproxy',
      name,
      image,
      networkName: this.networkName,
      ip: this.networkAddress,
      clientPort: hostPort,
      config,
      checkScript,
      checkAgents,
      monitorSecret: cluster.secrets.monitor,
      revision: new TerraformData(this, 'config-revision', { input: { config: sha256(config + checkScript + checkAgents) } }),
    });
    if (props.monitor?.galeraRecovery !== false || plan.hosts.some((h) => h.kind === HostKind.REPLICA)) {
      this.monitorContainer = monitorContainer(this, {
        name: `${prefix}-monitor`,
        image,
        networkName: this.networkName,
        ip: backend.addressAt(MONITOR_OFFSET),
        config: () => renderMonitorConfig(cluster.describe(), props.monitor),
        operatorSecret: cluster.secrets.operator,
        replicationSecret: cluster.secrets.replication,
        runtimeVolumes: {},
      });
    }
    const description: EndpointDescription = {
      kind: EndpointKind.HAPROXY,
      address: this.address,
      port: this.port,
      haproxy: {
        backend: WRITER_BACKEND,
        configPath: HAPROXY_CONFIG_PATH,
        instances: [{ clientAddress: LOOPBACK, clientPort: hostPort, backendName: name }],
        monitorContainer: this.monitorContainer?.name,
      },
    };
    cluster.attachEndpoint(description);
  }
}
