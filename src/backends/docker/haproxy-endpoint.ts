// The writer endpoint on local Docker: HAProxy in front of the masters, published on 127.0.0.1,
// optionally two instances sharing a keepalived virtual IP. Which master is active is one
// Terraform variable (defaulting to the cluster's `activeMaster`); changing it replaces only a
// terraform_data whose provisioner runs `mariadb-ha switchover`.
import { Container } from '@cdktf/provider-docker/lib/container';
import { Construct, TerraformData, Fn, Lazy, TerraformLocal, TerraformVariable } from '../../cdktf';
import { IReplicationClusterLike } from '../../constructs/cluster-like';
import { throwIfProblems, Problem } from '../../model/problems';
import { MONITOR_USER } from '../../model/accounts';
import {
  HAPROXY_CONFIG_PATH, renderCheckAgents, renderHaproxyConfig, renderWriterCheck, renderWriterGate, resolveHealthCheck, WRITER_BACKEND, WriterHealthCheck,
} from '../../render/haproxy-config';
import { MARIADB_PORT } from '../../render/server-config';
import { FailoverMonitorOptions, resolveMonitorOptions } from '../../render/monitor-config';
import { renderMonitorConfig } from '../../constructs/monitor-config';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { WriteMode } from '../../model/topology';
import { renderKeepalivedConfig } from '../../render/keepalived-config';
import { EndpointDescription, EndpointKind, switchoverArguments, SwitchoverSettings } from '../../constructs/endpoint';
import { toolCommand } from '../../constructs/tool-command';
import { activeMasterVariable } from '../../constructs/cluster-support';
import { DockerBackend, ENDPOINT_OFFSET, LOOPBACK, MONITOR_OFFSET, VIRTUAL_IP_OFFSET } from './docker-backend';
import { sha256 } from '../host-revision';
import { haproxyContainer, monitorContainer, PROJECT_HAPROXY_IMAGE } from './endpoint-containers';
import { isIpv4 } from '../subnet';

export const DEFAULT_ENDPOINT_PORT = 23300;
export type { SwitchoverSettings };

/** A virtual IP on the cluster's Docker network, held by one of two endpoint instances. */
export interface VirtualIpOptions {
  /**
   * The virtual address.
   * @default - the network's .4 address
   */
  readonly address?: string;
  /**
   * VRRP router id, unique among keepalived instances on the network (1..255).
   * @default 51
   */
  readonly routerId?: number;
  /**
   * Seconds between VRRP advertisements; the standby instance takes over after about three missed.
   * @default 0.2
   */
  readonly advertIntervalSeconds?: number;
}

export interface HaproxyWriterEndpointProps {
  /** The cluster whose masters the endpoint fronts (on a DockerBackend). */
  readonly cluster: IReplicationClusterLike;
  /**
   * Host port clients connect to (published on 127.0.0.1).
   * @default 23300
   */
  readonly hostPort?: number;
  /**
   * HAProxy image; it needs the `mariadb` client for the writer health check.
   * @default PROJECT_HAPROXY_IMAGE
   */
  readonly image?: string;
  /**
   * How a server is judged a healthy writer.
   * @default - see WriterHealthCheck
   */
  readonly healthCheck?: WriterHealthCheck;
  /**
   * How an apply that changes the active master switches over.
   * @default - see SwitchoverSettings
   */
  readonly switchover?: SwitchoverSettings;
  /**
   * Run two endpoint instances sharing a keepalived virtual IP on the cluster's network (clients
   * on that network, or on the Docker host, connect to it on port 3306). Each instance also
   * publishes its own client port on 127.0.0.1: instance n uses hostPort + n - 1.
   * @default - one instance, no virtual IP
   */
  readonly virtualIp?: VirtualIpOptions;
  /**
   * The failover monitor (one container, the only actor that fails over): how fast it acts.
   * Runs when the cluster has one writer at a time (WriteMode.ONE_WRITER).
   * @default - see FailoverMonitorOptions
   */
  readonly monitor?: FailoverMonitorOptions;
}

export class HaproxyWriterEndpoint extends Construct {
  /** Host port clients connect to when `hostPort` is not given. */
  public static readonly DEFAULT_PORT: number = DEFAULT_ENDPOINT_PORT;
  /** The project's offline-built HAProxy image (run scripts/build-images.sh first). */
  public static readonly PROJECT_IMAGE: string = PROJECT_HAPROXY_IMAGE;

  /** The variable that names the active master; `-var <cluster>_active_master=db-b` switches over. */
  public readonly activeMasterVariable: TerraformVariable;
  /** The HAProxy containers (two with a virtual IP). */
  public readonly containers: Container[];
  /** Where clients on the Docker host connect: 127.0.0.1, or the virtual IP. */
  public readonly address: string;
  public readonly port: number;
  /** Where containers on the cluster's network connect (the virtual IP, or the endpoint's own address). */
  public readonly networkAddress: string;
  public readonly networkPort: number;
  /** The Docker network to attach application containers to, so they reach `networkAddress`. */
  public readonly networkName: string;
  /** The failover monitor's container (with one writer at a time). */
  public readonly monitorContainer?: Container;

  constructor(scope: Construct, id: string, props: HaproxyWriterEndpointProps) {
    super(scope, id);
    const { cluster } = props;
    const backend = cluster.backend;
    if (!(backend instanceof DockerBackend)) {
      throw new Error(`${this.node.path}: HaproxyWriterEndpoint needs a cluster on a DockerBackend`);
    }
    const hostPort = props.hostPort ?? DEFAULT_ENDPOINT_PORT;
    const instanceCount = props.virtualIp ? 2 : 1;
    const taken = cluster.connections.map((c) => ({ port: c.port, address: c.networkAddress, host: c.hostName }));
    throwIfProblems(this.node.path, [
      ...portProblems(hostPort, instanceCount, taken),
      ...virtualIpProblems(props.virtualIp, backend, taken),
      ...healthCheckProblems(props.healthCheck),
      ...monitorProblems(props.monitor, cluster.plan.writeMode),
    ]);
    const virtualIp = props.virtualIp ? props.virtualIp.address ?? backend.addressAt(VIRTUAL_IP_OFFSET) : undefined;
    this.address = virtualIp ?? LOOPBACK;
    this.port = virtualIp ? MARIADB_PORT : hostPort;
    this.networkAddress = virtualIp ?? backend.addressAt(ENDPOINT_OFFSET);
    this.networkPort = MARIADB_PORT;
    this.networkName = backend.networkName!;

    const plan = cluster.plan;
    const prefix = backend.namePrefix(cluster);
    const addresses = Object.fromEntries(cluster.connections.map((c) => [c.hostName, c.networkAddress]));
    const render = (activeMaster: string): string => renderHaproxyConfig(plan, { activeMaster, addresses, healthCheck: props.healthCheck, checkUser: MONITOR_USER });
    const configs = Object.fromEntries(plan.candidates.map((c) => [c, render(c)]));
    const checkScript = renderWriterCheck(MONITOR_USER, props.healthCheck);
    const gateScript = renderWriterGate();
    const checkAgents = renderCheckAgents(plan, addresses);

    this.activeMasterVariable = activeMasterVariable(this, cluster.variablePrefix, plan, 'The master the writer endpoint sends writes to');
    const active = this.activeMasterVariable.stringValue;
    // A local, not an inline map: cdktf 0.21 mis-escapes quotes inside inline map expressions.
    const configByActive = new TerraformLocal(this, 'config-by-active-master', configs);
    const activeConfig = Fn.lookup(configByActive.asAnyMap, active);

    // The container is replaced only when its config changes for a reason other than the active
    // master; a switchover must not restart HAProxy and drop every client connection.
    const canonical = plan.hosts.find((h) => plan.candidates.includes(h.name))!.name;
    const revision = new TerraformData(this, 'config-revision', {
      input: {
        // Not the monitor password: a rotation updates it inside the running endpoint.
        config: sha256(configs[canonical] + checkScript + checkAgents + gateScript),
      },
    });

    const instances = Array.from({ length: instanceCount }, (_, k) => ({
      id: k === 0 ? 'haproxy' : `haproxy-${k + 1}`,
      name: instanceCount === 1 ? `${prefix}-writer` : `${prefix}-writer-${k + 1}`,
      ip: backend.addressAt(ENDPOINT_OFFSET + k),
      clientPort: hostPort + k,
    }));
    // Each instance's runtime socket lives on a volume the failover monitor mounts too.
    const withMonitor = plan.writeMode === WriteMode.ONE_WRITER;
    const runtimeVolumes = withMonitor
      ? Object.fromEntries(instances.map((instance) => [instance.name, new Volume(this, `${instance.id}-runtime`, { name: `${instance.name}-runtime` })]))
      : {};
    this.containers = instances.map((instance, k) => {
      const keepalived = virtualIp ? renderKeepalivedConfig({
        address: virtualIp,
        prefixLength: backend.prefixLength,
        self: instance.ip,
        peers: instances.filter((other) => other !== instance).map((other) => other.ip),
        priority: 150 - 10 * k,
        routerId: props.virtualIp!.routerId ?? 51,
        advertIntervalSeconds: props.virtualIp!.advertIntervalSeconds ?? 0.2,
      }) : undefined;
      return haproxyContainer(this, {
        ...instance,
        image: props.image ?? PROJECT_HAPROXY_IMAGE,
        networkName: backend.networkName!,
        config: activeConfig,
        checkScript,
        checkAgents,
        gateScript,
        monitorSecret: cluster.secrets.monitor,
        keepalived,
        revision,
        runtimeVolume: runtimeVolumes[instance.name],
      });
    });

    if (withMonitor) {
      this.monitorContainer = monitorContainer(this, {
        name: `${prefix}-monitor`,
        image: props.image ?? PROJECT_HAPROXY_IMAGE,
        networkName: backend.networkName!,
        ip: backend.addressAt(MONITOR_OFFSET),
        config: () => renderMonitorConfig(cluster.describe(), props.monitor),
        operatorSecret: cluster.secrets.operator,
        replicationSecret: cluster.secrets.replication,
        runtimeVolumes,
      });
    }

    const endpointDescription: EndpointDescription = {
      kind: EndpointKind.HAPROXY,
      address: this.address,
      port: this.port,
      haproxy: {
        backend: WRITER_BACKEND,
        configPath: HAPROXY_CONFIG_PATH,
        instances: instances.map((i) => ({
          clientAddress: LOOPBACK, clientPort: i.clientPort, backendName: i.name,
        })),
        virtualIp,
        monitorContainer: this.monitorContainer?.name,
      },
    };
    const hosts = cluster.node.findAll().filter((c): c is Container => c instanceof Container);
    const switchover = new TerraformData(this, 'switchover', {
      input: { activeMaster: active },
      triggersReplace: { activeMaster: active },
      dependsOn: [...this.containers, ...(this.monitorContainer ? [this.monitorContainer] : []), ...hosts, cluster.passwordRotation],
      provisioners: [{
        type: 'local-exec',
        // No secret in this block: Terraform would hide the tool's progress. The tool reads the
        // monitor password from the environment `terraform apply` runs in.
        // Every argument quoted for the shell; the active master is also validated against the candidates.
        command: toolCommand([
          'switchover', '--cluster', cluster.node.id, '--to', active, ...switchoverArguments(props.switchover),
        ]),
        environment: {
          // Lazy: the description includes this endpoint, attached below.
          MARIADB_HA_DESCRIPTION: Lazy.stringValue({ produce: () => JSON.stringify(cluster.describe()) }),
          MARIADB_HA_ENDPOINT_CONFIG_B64: Fn.base64encode(activeConfig),
        },
      }],
    });
    cluster.attachEndpoint(endpointDescription, active, switchover);
  }
}

interface TakenBy {
  readonly port: number;
  readonly address: string;
  readonly host: string;
}

export function portProblems(port: number, instances: number, taken: TakenBy[]): Problem[] {
  const last = port + instances - 1;
  if (!Number.isInteger(port) || port < 1024 || last > 65535) {
    return [{ property: 'hostPort', message: `${port} leaves ports ${port}..${last} for ${instances} instance(s); they must lie in 1024..65535` }];
  }
  return taken.filter((t) => t.port >= port && t.port <= last)
    .map((t) => ({ property: 'hostPort', message: `${port}..${last} includes ${t.port}, the host port of ${t.host}; choose ports the cluster does not publish` }));
}

function virtualIpProblems(v: VirtualIpOptions | undefined, backend: DockerBackend, taken: TakenBy[]): Problem[] {
  if (!v) return [];
  const problems: Problem[] = [];
  if (v.routerId !== undefined && !(Number.isInteger(v.routerId) && v.routerId >= 1 && v.routerId <= 255)) {
    problems.push({ property: 'virtualIp.routerId', message: `${v.routerId} is not a VRRP router id in 1..255` });
  }
  if (v.advertIntervalSeconds !== undefined && !(v.advertIntervalSeconds >= 0.01 && v.advertIntervalSeconds <= 40.95)) {
    problems.push({ property: 'virtualIp.advertIntervalSeconds', message: `${v.advertIntervalSeconds} is not in 0.01..40.95 (VRRPv3)` });
  }
  if (v.address !== undefined) {
    if (!isIpv4(v.address)) {
      problems.push({ property: 'virtualIp.address', message: `'${v.address}' is not an IPv4 address` });
    } else if (!backend.contains(v.address)) {
      problems.push({ property: 'virtualIp.address', message: `${v.address} is not in the cluster's network; the virtual IP must be on it` });
    } else {
      const reserved = [
        ...taken.map((t) => ({ address: t.address, what: `the address of ${t.host}` })),
        { address: backend.addressAt(1), what: 'the gateway' },
        ...[0, 1].map((k) => ({ address: backend.addressAt(ENDPOINT_OFFSET + k), what: `the address of endpoint instance ${k + 1}` })),
      ];
      const clash = reserved.find((r) => r.address === v.address);
      if (clash) problems.push({ property: 'virtualIp.address', message: `${v.address} is ${clash.what}; choose a free address (default: the network's .${VIRTUAL_IP_OFFSET})` });
    }
  }
  return problems;
}

function monitorProblems(monitor: FailoverMonitorOptions | undefined, writeMode: WriteMode): Problem[] {
  if (!monitor) return [];
  if (writeMode !== WriteMode.ONE_WRITER) {
    return [{ property: 'monitor', message: `the failover monitor serves clusters with one writer at a time; this cluster's writeMode is ${writeMode}` }];
  }
  return monitorOptionProblems(monitor);
}

/** Probe interval and detection budget the monitor could not keep. */
export function monitorOptionProblems(monitor: FailoverMonitorOptions | undefined): Problem[] {
  if (!monitor) return [];
  const o = resolveMonitorOptions(monitor);
  const problems: Problem[] = [];
  if (!(Number.isInteger(o.probeIntervalMs) && o.probeIntervalMs >= 100 && o.probeIntervalMs <= 10_000)) {
    problems.push({ property: 'monitor.probeIntervalMs', message: `${o.probeIntervalMs} is not a whole number of milliseconds in 100..10000` });
  }
  if (!(Number.isInteger(o.detectionMs) && o.detectionMs >= 2 * o.probeIntervalMs && o.detectionMs <= 600_000)) {
    problems.push({ property: 'monitor.detectionMs', message: `${o.detectionMs} must be a whole number of milliseconds from two probe intervals (${2 * o.probeIntervalMs}) to 600000; a shorter budget fails over on one missed probe` });
  }
  return problems;
}

export function healthCheckProblems(check: WriterHealthCheck | undefined): Problem[] {
  const limits: Array<[keyof WriterHealthCheck, number]> = [['intervalMs', 100], ['timeoutMs', 50], ['fall', 1], ['rise', 1], ['connectionErrorLimit', 1]];
  const problems: Problem[] = limits
    .filter(([name, min]) => check?.[name] !== undefined && !(Number.isInteger(check[name]) && check[name]! >= min))
    .map(([name, min]) => ({ property: `healthCheck.${name}`, message: `${check![name]} is not a whole number of at least ${min}` }));
  const resolved = resolveHealthCheck(check);
  if (problems.length === 0 && resolved.timeoutMs >= resolved.intervalMs) {
    problems.push({ property: 'healthCheck.timeoutMs', message: `${resolved.timeoutMs} ms is not below intervalMs (${resolved.intervalMs} ms); HAProxy kills a check still running at the next interval` });
  }
  return problems;
}
