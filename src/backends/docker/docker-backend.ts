// Places a cluster on a Docker engine: one network, one volume and one container per host.
import { Container } from '@cdktf/provider-docker/lib/container';
import { Network } from '@cdktf/provider-docker/lib/network';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Annotations, Construct, ITerraformDependable, TerraformData, IConstruct, TerraformStack } from '../../cdktf';
import { ClusterNetwork, ClusterPlacement, HostConnection, HostFiles, IReplicationBackend } from '../../constructs/backend';
import { Problem } from '../../model/problems';
import { GaleraPlan, HostKind, PlannedHost, TopologyPlan } from '../../model/plan';
import { REPLICA_SERVER_ID_BASE } from '../../model/defaults';
import { ARBITRATOR_SLOT, MASTER_SLOTS, placementSlot } from '../slots';
import { hostRevision, replacedWith } from '../host-revision';
import { toolCommand } from '../../constructs/tool-command';
import { BOOTSTRAP_SQL_PATH, DATA_DIR, ENTRYPOINT_PATH, SECRETS_DIR, SERVER_CONFIG_PATH } from '../../render/entrypoint';
import { GALERA_PORT, MARIADB_PORT, SERVER_SOCKET } from '../../render/server-config';
import { GALERA_SYNCED, galeraStateQuery } from '../../render/sql';
import { MariaDbImage, PROJECT_IMAGES_BY_SERIES } from './image';
import { isVersion, seriesOf } from '../../model/versions';
import { accountHostFor, addressAt, Ipv4Subnet, isIpv4, isLoopback, parseSubnet, subnetContains, subnetsOverlap } from '../subnet';
import { DOCKER_PROVIDER_CONSTRAINT, requireDockerProvider } from './provider';
import { hardened, SERVER_CAPABILITIES } from './hardening';

export const DEFAULT_SUBNET = '10.213.0.0/24';
/** Docker's own default bridge network: a network overlapping it is refused when it is created. */
const DOCKER_DEFAULT_BRIDGE = parseSubnet('172.17.0.0/16')!;
export const DEFAULT_HOST_PORT_BASE = 23306;
export const LOOPBACK = '127.0.0.1';
/** Address plan inside the subnet: .1 gateway, .4 virtual IP, .5-.8 endpoints, .9 monitor, hosts from .10. */
export const VIRTUAL_IP_OFFSET = 4;
export const ENDPOINT_OFFSET = 5;
export const MONITOR_OFFSET = 9;
export const FIRST_HOST_OFFSET = 10;

export { ARBITRATOR_SLOT, MASTER_SLOTS, placementSlot };

/** What each stack's Docker clusters occupy, so a second cluster cannot collide with a first. */
const PLACED = new WeakMap<IConstruct, Array<{ path: string; subnet: Ipv4Subnet; ports: [number, number]; prefix: string }>>();

export interface DockerBackendProps {
  /**
   * Prefix of every Docker object's name (network, volumes, containers).
   * @default - the cluster construct's id
   */
  readonly namePrefix?: string;
  /**
   * IPv4 subnet of the cluster's own bridge network; accounts accept clients from it only.
   * @default '10.213.0.0/24'
   */
  readonly subnet?: string;
  /**
   * MariaDB server image of the hosts that declare no `mariadbVersion`.
   * @default MariaDbImage.PROJECT_DEBIAN_10_11
   */
  readonly image?: MariaDbImage;
  /**
   * Server image by MariaDB series (`major.minor`, e.g. `11.8`) for hosts that declare a
   * `mariadbVersion`: changing a host's version re-creates its container from the series' image,
   * on the same data volume (a rolling upgrade, host by host).
   * @default - the project's images (10.11 on Debian 12, 11.8 on Debian 13) when `image` is not set
   */
  readonly images?: { [series: string]: MariaDbImage };
  /**
   * Host port of the master with server id 1: a master's port is this + server id - 1, a
   * replica's this + 10 + server id - 101 (ports follow identities, so adding or removing a host
   * moves no other).
   * @default 23306
   */
  readonly hostPortBase?: number;
  /**
   * Host address ports are published on. Anything but a loopback address exposes the databases
   * beyond this machine, and needs `publishBeyondLoopback`.
   * @default '127.0.0.1'
   */
  readonly publishAddress?: string;
  /**
   * Allow a `publishAddress` outside 127.0.0.0/8. Published ports reach the hosts from the
   * network's gateway, so the cluster-network accounts then accept clients from that address too;
   * synth warns.
   * @default false
   */
  readonly publishBeyondLoopback?: boolean;
  /**
   * Seconds `terraform apply` waits for a container to report healthy.
   * @default 180
   */
  readonly healthyTimeoutSeconds?: number;
  /**
   * Start a host added to a running cluster from a mariabackup copy of a running host (streamed
   * from its container). Without it a new host replays its sources' binary logs from the first,
   * which fails once any has been purged (`tuning.binlogRetentionDays`).
   * @default true
   */
  readonly seedNewHosts?: boolean;
}

/** Local Docker: the default place to run and prove a topology. */
export class DockerBackend implements IReplicationBackend {
  /** The cluster network when `subnet` is not given. */
  public static readonly DEFAULT_SUBNET: string = DEFAULT_SUBNET;
  /** First host port when `hostPortBase` is not given (masters from it by server id, replicas from it + 10). */
  public static readonly DEFAULT_HOST_PORT_BASE: number = DEFAULT_HOST_PORT_BASE;
  /** The `kreuzwerker/docker` versions the library is tested with, for `required_providers`. */
  public static readonly PROVIDER_CONSTRAINT: string = DOCKER_PROVIDER_CONSTRAINT;

  /** The Docker network the cluster's hosts are on (set by place()). */
  public networkName?: string;
  private readonly subnet?: Ipv4Subnet;
  /** Path of the cluster this backend placed; a backend serves one cluster. */
  private placedFor?: string;

  constructor(private readonly props: DockerBackendProps = {}) {
    this.subnet = parseSubnet(props.subnet ?? DEFAULT_SUBNET);
  }

  public validate(scope: Construct, plan?: TopologyPlan): Problem[] {
    const problems: Problem[] = [];
    if (this.placedFor !== undefined) {
      problems.push({ property: 'backend', message: `this DockerBackend already places the cluster at '${this.placedFor}'; give each cluster its own DockerBackend` });
    }
    problems.push(...this.clashProblems(plan, scope));
    const unplaced = (plan?.hosts ?? []).filter((h) => placementSlot(plan!, h) === undefined);
    problems.push(...unplaced.map((h) => ({
      property: 'backend',
      message: h.kind === HostKind.GALERA_NODE
        ? `${h.name} has no place: the Docker backend places at most ${MASTER_SLOTS} Galera nodes`
        : `${h.name} (server id ${h.serverId}) has no place: the Docker backend numbers ports and addresses by server id, masters 1..${MASTER_SLOTS} and replicas ${REPLICA_SERVER_ID_BASE + 1} and up; give ${h.name} a server id in its range`,
    })));
    const [, last] = this.portRange(plan);
    const lastSlot = last - this.hostPortBase;
    if (!this.subnet) {
      problems.push({ property: 'backend.subnet', message: `'${this.props.subnet}' is not an IPv4 network in CIDR form with a prefix of /8../29, e.g. ${DEFAULT_SUBNET}` });
    } else if (subnetsOverlap(this.subnet, DOCKER_DEFAULT_BRIDGE)) {
      problems.push({ property: 'backend.subnet', message: `${this.subnet.network}/${this.subnet.prefixLength} overlaps Docker's default bridge network (172.17.0.0/16): Docker refuses to create it at deploy; choose another range, e.g. ${DEFAULT_SUBNET}` });
    } else if (plan && FIRST_HOST_OFFSET + Math.max(lastSlot, plan.galera?.arbitrator ? ARBITRATOR_SLOT : 0) >= this.subnet.size - 1) {
      problems.push({ property: 'backend.subnet', message: `${this.props.subnet ?? DEFAULT_SUBNET} has no room for host slot ${lastSlot} at .${FIRST_HOST_OFFSET + lastSlot}; use a larger network` });
    }
    const base = this.hostPortBase;
    if (!Number.isInteger(base) || base < 1024 || last > 65535) {
      problems.push({ property: 'backend.hostPortBase', message: `${base} leaves host ports ${base}..${last}; they must lie in 1024..65535` });
    }
    if (this.props.namePrefix !== undefined && !/^[a-z0-9][a-z0-9_.-]{0,40}$/.test(this.props.namePrefix)) {
      problems.push({ property: 'backend.namePrefix', message: `'${this.props.namePrefix}' is not a valid Docker name prefix (a-z, 0-9, '_', '.', '-')` });
    }
    problems.push(...this.publishProblems());
    problems.push(...(plan?.hosts ?? []).filter((h) => h.mariadbVersion !== undefined && isVersion(h.mariadbVersion) && !this.imageOf(h))
      .map((h) => ({
        property: 'backend.images',
        message: `${h.name} declares MariaDB ${h.mariadbVersion} but no image runs series ${seriesOf(h.mariadbVersion!)}: give backend.images a '${seriesOf(h.mariadbVersion!)}' entry`
          + (this.props.image ? '' : ` (the project builds ${Object.keys(PROJECT_IMAGES_BY_SERIES).join(' and ')})`),
      })));
    return problems;
  }

  /** The image a host runs: its version's series when it declares one, the cluster's image otherwise. */
  private imageOf(host: PlannedHost): MariaDbImage | undefined {
    if (host.mariadbVersion === undefined) return this.clusterImage;
    const series = seriesOf(host.mariadbVersion);
    // A user's own `image` says nothing of its version, so the project's images stand in only without one.
    return this.props.images?.[series] ?? (this.props.image ? undefined : PROJECT_IMAGES_BY_SERIES[series]);
  }

  /** The image of hosts that declare no version, and of the Galera arbitrator. */
  private get clusterImage(): MariaDbImage {
    return this.props.image ?? MariaDbImage.PROJECT_DEBIAN_10_11;
  }

  /** The reference a host's container uses (a pulled image is one resource per series). */
  private boundImage(scope: Construct, host: PlannedHost): string {
    const image = this.imageOf(host)!;
    return host.mariadbVersion === undefined ? image.bind(scope) : image.bind(scope, `image-${seriesOf(host.mariadbVersion).replace('.', '-')}`);
  }

  /** Another cluster of the same stack on an overlapping network, host ports or Docker names. */
  private clashProblems(plan: TopologyPlan | undefined, scope: Construct): Problem[] {
    const others = PLACED.get(TerraformStack.of(scope)) ?? [];
    const ports = this.portRange(plan);
    const prefix = this.namePrefix(scope);
    return others.flatMap((o) => [
      ...(this.subnet && subnetsOverlap(this.subnet, o.subnet)
        ? [{ property: 'backend.subnet', message: `${this.subnet.network}/${this.subnet.prefixLength} overlaps the network of the cluster at '${o.path}'; give each cluster its own subnet` }] : []),
      ...(ports[0] <= o.ports[1] && o.ports[0] <= ports[1]
        ? [{ property: 'backend.hostPortBase', message: `host ports ${ports[0]}..${ports[1]} overlap ${o.ports[0]}..${o.ports[1]} of the cluster at '${o.path}'` }] : []),
      ...(prefix === o.prefix
        ? [{ property: 'backend.namePrefix', message: `'${prefix}' already names the Docker objects of the cluster at '${o.path}'; set a different namePrefix` }] : []),
    ]);
  }

  private portRange(plan: TopologyPlan | undefined): [number, number] {
    const slots = (plan?.hosts ?? []).map((h) => placementSlot(plan!, h)).filter((slot): slot is number => slot !== undefined);
    return slots.length === 0 ? [this.hostPortBase, this.hostPortBase] : [this.hostPortBase + Math.min(...slots), this.hostPortBase + Math.max(...slots)];
  }

  private publishProblems(): Problem[] {
    const address = this.props.publishAddress;
    if (address === undefined) return [];
    if (!isIpv4(address)) return [{ property: 'backend.publishAddress', message: `'${address}' is not an IPv4 address` }];
    if (!isLoopback(address) && !this.props.publishBeyondLoopback) {
      return [{ property: 'backend.publishAddress', message: `${address} publishes every database port beyond this machine; use 127.0.0.1, or set publishBeyondLoopback: true if that is what you want` }];
    }
    return [];
  }

  public network(plan: TopologyPlan): ClusterNetwork {
    // Hosts reach each other by name through the network's DNS (each container has its host name as alias).
    return {
      clientNetworkHost: accountHostFor(this.subnet!),
      // The monitor's container, and the tools, which reach the hosts through published ports (from the gateway).
      operatorAccountHosts: [this.subnet!.gateway, this.addressAt(MONITOR_OFFSET)],
      hostAddresses: Object.fromEntries(plan.hosts.map((h) => [h.name, h.name])),
      // By address: the name of a removed container is looked up upstream, which cannot answer here.
      replicationAddresses: Object.fromEntries(plan.hosts.map((h) => [h.name, this.addressAt(FIRST_HOST_OFFSET + placementSlot(plan, h)!)])),
    };
  }

  /** Prefix length of the cluster's network. */
  public get prefixLength(): number {
    return this.subnet!.prefixLength;
  }

  /** True when `address` lies in the cluster's network. */
  public contains(address: string): boolean {
    return this.subnet !== undefined && subnetContains(this.subnet, address);
  }

  /** The address of the subnet position `offset` (see the address plan above). */
  public addressAt(offset: number): string {
    return addressAt(this.subnet!, offset);
  }

  /** Prefix of the Docker object names of the cluster at `scope`. */
  public namePrefix(scope: Construct): string {
    return this.props.namePrefix ?? scope.node.id;
  }

  public place(scope: Construct, placement: ClusterPlacement): HostConnection[] {
    requireDockerProvider(scope);
    const prefix = this.namePrefix(scope);
    this.placedFor = scope.node.path;
    const stack = TerraformStack.of(scope);
    PLACED.set(stack, [...(PLACED.get(stack) ?? []), { path: scope.node.path, subnet: this.subnet!, ports: this.portRange(placement.plan), prefix }]);
    const publishAddress = this.props.publishAddress ?? LOOPBACK;
    if (!isLoopback(publishAddress)) {
      Annotations.of(scope).addWarning(`backend.publishAddress: database ports are published on ${publishAddress}, beyond this machine; the cluster-network accounts accept connections through them`);
    }
    const network = new Network(scope, 'network', {
      name: `${prefix}-net`,
      driver: 'bridge',
      ipamConfig: [{ subnet: `${this.subnet!.network}/${this.subnet!.prefixLength}`, gateway: this.subnet!.gateway }],
    });
    this.networkName = network.name;
    const plan = placement.plan;
    const galera = plan.galera;
    const containers = new Map<string, Container>();
    const connections = plan.hosts.map((host) => {
      const files = placement.files.find((f) => f.hostName === host.name)!;
      const hostImage = this.boundImage(scope, host);
      const slot = placementSlot(plan, host)!;
      const port = this.hostPortBase + slot;
      const networkAddress = this.addressAt(FIRST_HOST_OFFSET + slot);
      const volume = new Volume(scope, `${host.name}-data`, { name: `${prefix}-${host.name}-data` });
      const isNode = host.kind === HostKind.GALERA_NODE;
      // A changed password must not restart the server (a rotation sets it live); the files that
      // shape the server do. The uploaded secrets serve the first bootstrap only. Galera nodes are
      // not rebuilt by Terraform: replacing them together would stop the whole cluster.
      const revision = isNode ? undefined : hostRevision(scope, files);
      const before: ITerraformDependable[] = [];
      if (isNode && host.name === galera!.bootstrapNode) {
        // Created once, with the cluster: only then does the first node start a new cluster. A node
        // created later (a replaced volume, a node added) joins by state transfer.
        before.push(new TerraformData(scope, 'genesis', {
          dependsOn: [volume],
          provisioners: [{ type: 'local-exec', command: toolCommand(['seed', '--volume', volume.name, '--image', hostImage, '--new-cluster']) }],
        }));
      } else if (isNode) {
        // A joiner needs a running member to receive its state from, and joins alone: two nodes
        // joining at once can fail the incremental transfer after their copies (seen with galera
        // 26.4.23: "IST didn't contain all write sets") and wait for a restart.
        const previous = galera!.nodes[galera!.nodes.indexOf(host.name) - 1];
        before.push(containers.get(previous)!);
      } else if (this.props.seedNewHosts !== false) {
        // A host added to a running cluster starts from a copy of a running host, not from empty.
        before.push(new TerraformData(scope, `${host.name}-seed`, {
          triggersReplace: { volume: volume.name },
          provisioners: [{
            type: 'local-exec',
            command: toolCommand(['seed', '--volume', volume.name, '--image', hostImage, '--donors', seedDonors(plan, host).map((d) => `${prefix}-${d}`).join(',')]),
          }],
        }));
      }
      const container = new Container(scope, host.name, {
        name: `${prefix}-${host.name}`,
        image: hostImage,
        hostname: host.name,
        entrypoint: ['/bin/bash', ENTRYPOINT_PATH],
        ...hardened(SERVER_CAPABILITIES),
        networksAdvanced: [{ name: network.name, aliases: [host.name], ipv4Address: networkAddress }],
        ports: [{ internal: MARIADB_PORT, external: port, ip: publishAddress, protocol: 'tcp' }],
        volumes: [{ volumeName: volume.name, containerPath: DATA_DIR }],
        upload: this.uploads(files, placement),
        healthcheck: {
          // A Galera node is healthy once it is a synced member of the primary component.
          test: isNode ? ['CMD-SHELL', galeraSyncedCheck()] : ['CMD', 'mariadb-admin', `--socket=${SERVER_SOCKET}`, '--silent', 'ping'],
          interval: '2s',
          timeout: '5s',
          retries: 3,
          startPeriod: '2m0s', // the provider normalizes durations; '120s' would show a diff on every plan
        },
        wait: true,
        waitTimeout: this.props.healthyTimeoutSeconds ?? 180,
        restart: 'unless-stopped',
        mustRun: true,
        // InnoDB gets time for a clean shutdown before Docker kills the server.
        stopTimeout: 60,
        destroyGraceSeconds: 60,
        lifecycle: { ignoreChanges: ['upload'], replaceTriggeredBy: revision ? [replacedWith(revision)] : undefined },
        dependsOn: before.length > 0 ? before : undefined,
      });
      containers.set(host.name, container);
      return { hostName: host.name, address: publishAddress, port, backendName: container.name, networkAddress };
    });
    if (galera?.arbitrator) this.placeArbitrator(scope, prefix, this.clusterImage.bind(scope), network, galera, [...containers.values()]);
    return connections;
  }

  /** garbd in the server image: a voting member with no data, on the cluster's network only. */
  private placeArbitrator(scope: Construct, prefix: string, image: string, network: Network, galera: GaleraPlan, nodes: Container[]): void {
    const name = galera.arbitrator!;
    new Container(scope, name, {
      name: `${prefix}-${name}`,
      image,
      hostname: name,
      entrypoint: ['garbd'],
      // garbd only talks to its peers.
      ...hardened([]),
      command: [
        '--address', `gcomm://${galera.nodes.map((n) => `${n}:${GALERA_PORT}`).join(',')}`,
        '--group', galera.clusterName,
        '--name', name,
        '--options', `gmcast.listen_addr=tcp://0.0.0.0:${GALERA_PORT}`,
      ],
      networksAdvanced: [{ name: network.name, aliases: [name], ipv4Address: this.addressAt(FIRST_HOST_OFFSET + ARBITRATOR_SLOT) }],
      restart: 'unless-stopped',
      mustRun: true,
      // SIGINT makes garbd leave the cluster cleanly (SIGTERM too, after it).
      stopSignal: 'SIGINT',
      stopTimeout: 10,
      dependsOn: nodes,
    });
  }

  private get hostPortBase(): number {
    return this.props.hostPortBase ?? DEFAULT_HOST_PORT_BASE;
  }

  private uploads(files: HostFiles, placement: ClusterPlacement) {
    const secrets = Object.entries(placement.secrets).map(([name, value]) => ({
      file: `${SECRETS_DIR}/${name}`,
      content: value,
      permissions: '0400',
    }));
    return [
      { file: SERVER_CONFIG_PATH, content: files.serverConfig, permissions: '0644' },
      { file: BOOTSTRAP_SQL_PATH, content: files.bootstrapSql, permissions: '0600' },
      { file: ENTRYPOINT_PATH, content: files.entrypoint, executable: true },
      ...secrets,
    ];
  }
}


/** Hosts a new host may be copied from, best first: a replica's sources, then the writers (masters or Galera nodes). */
function seedDonors(plan: TopologyPlan, host: PlannedHost): string[] {
  return [...new Set([...host.sources.map((e) => e.source), ...plan.writers])].filter((name) => name !== host.name);
}

/** True (exit 0) when the local server is a synced member of the primary component and answers queries. */
export function galeraSyncedCheck(): string {
  return `[ "$(mariadb --socket=${SERVER_SOCKET} --batch --skip-column-names --execute="${galeraStateQuery("'")}")" = '${GALERA_SYNCED}' ]`;
}
