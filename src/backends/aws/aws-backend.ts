// Places a cluster on EC2: one instance per host at a fixed private address planned from the
// subnet (so a master's replication source is known before its peer exists), its data on a
// separate encrypted EBS volume, secrets in SSM SecureString parameters read at boot through the
// instance profile, and one security group that admits MariaDB between the hosts and from named
// clients only.
import { Annotations, Construct, Fn, TerraformData, Token } from '../../cdktf';
import { ClusterNetwork, ClusterPlacement, HostConnection, IReplicationBackend } from '../../constructs/backend';
import { HostKind, TopologyPlan } from '../../model/plan';
import { Problem } from '../../model/problems';
import { REPLICA_SERVER_ID_BASE } from '../../model/defaults';
import { isVersion, seriesOf } from '../../model/versions';
import { DEBIAN_12_INSTALL, HEALTH_METRIC, HEALTH_NAMESPACE, renderCloudInit, USER_DATA_LIMIT } from '../../render/cloud-init';
import { MARIADB_PORT } from '../../render/server-config';
import { hostRevision, replacedWith } from '../host-revision';
import { toolCommand } from '../../constructs/tool-command';
import { MASTER_SLOTS, placementSlot } from '../slots';
import { accountHostFor, addressAt, Ipv4Subnet, parseCidr, parseSubnet } from '../subnet';
import { aws, requireAwsProvider } from './provider';

/** AWS keeps a subnet's first four addresses; hosts start after the endpoint-free .10. */
export const FIRST_HOST_OFFSET = 10;
export const DEFAULT_INSTANCE_TYPE = 't3.medium';
export const DEFAULT_VOLUME_GIB = 20;
export const ROOT_VOLUME_GIB = 16;
export const DEFAULT_HEALTH_INTERVAL_SECONDS = 10;
export const DEFAULT_BOOT_TIMEOUT_SECONDS = 900;
const HTTPS_PORT = 443;
const HTTP_PORT = 80;

export interface AwsBackendProps {
  /** The VPC the hosts run in. */
  readonly vpcId: string;
  /** The subnet every host runs in. */
  readonly subnetId: string;
  /**
   * The subnet's IPv4 CIDR: each host gets a fixed private address in it (its slot after .10),
   * so replication sources and records are known before the instances exist.
   */
  readonly subnetCidr: string;
  /** The subnet's availability zone, where the data volumes are created. */
  readonly availabilityZone: string;
  /** AMI of the hosts; Debian 12 unless `installCommand` says how to install MariaDB 10.11. */
  readonly amiId: string;
  /**
   * EC2 instance type.
   * @default 't3.medium'
   */
  readonly instanceType?: string;
  /**
   * Size of each host's data volume (gp3, encrypted), in GiB.
   * @default 20
   */
  readonly dataVolumeGiB?: number;
  /**
   * Security groups whose members may connect to MariaDB (port 3306): the application's, and the
   * runner's that deploys and runs the tools.
   * @default - none
   */
  readonly clientSecurityGroupIds?: string[];
  /**
   * IPv4 networks that may connect to MariaDB (port 3306). A network of all addresses (/0) needs
   * `allowClientsFromAnywhere`.
   * @default - none
   */
  readonly clientCidrs?: string[];
  /**
   * Accept a `clientCidrs` entry, or an `accountCidr`, that admits every address (0.0.0.0/0).
   * @default false
   */
  readonly allowClientsFromAnywhere?: boolean;
  /**
   * The network MariaDB's network accounts accept logins from (the tools' runner and the
   * application must be in it); a CIDR.
   * @default - the subnet
   */
  readonly accountCidr?: string;
  /**
   * Shell command that installs mariadbd (10.11), mariadb-backup and the aws CLI on the AMI.
   * @default - apt-get on Debian 12
   */
  readonly installCommand?: string;
  /**
   * Prefix of the AWS objects' names (security group, role, SSM parameters, Name tags).
   * @default - the cluster construct's id
   */
  readonly namePrefix?: string;
  /**
   * Seconds between two health samples each host publishes to CloudWatch (the metric the Route 53
   * health checks of private addresses watch).
   * @default 10
   */
  readonly healthIntervalSeconds?: number;
  /**
   * Seconds `terraform apply` waits for a new host to boot, install MariaDB and answer.
   * @default 900
   */
  readonly bootTimeoutSeconds?: number;
}

/** EC2 hosts in the user's VPC. */
export class AwsBackend implements IReplicationBackend {
  /** The instance type when `instanceType` is not given. */
  public static readonly DEFAULT_INSTANCE_TYPE: string = DEFAULT_INSTANCE_TYPE;
  /** CloudWatch namespace of the hosts' health metric. */
  public static readonly HEALTH_NAMESPACE: string = HEALTH_NAMESPACE;
  /** The hosts' health metric: 1 while the server answers on its socket. */
  public static readonly HEALTH_METRIC: string = HEALTH_METRIC;

  /** The security group of the cluster's hosts (set by place()). */
  public securityGroupId?: string;
  private readonly subnet?: Ipv4Subnet;
  private placedFor?: string;

  constructor(private readonly props: AwsBackendProps) {
    this.subnet = parseSubnet(props.subnetCidr ?? '');
  }

  /** Seconds between two health samples. */
  public get healthIntervalSeconds(): number {
    return this.props.healthIntervalSeconds ?? DEFAULT_HEALTH_INTERVAL_SECONDS;
  }

  public validate(_scope: Construct, plan?: TopologyPlan): Problem[] {
    const p = this.props;
    const problems: Problem[] = [];
    if (this.placedFor !== undefined) problems.push({ property: 'backend', message: `this AwsBackend already places the cluster at '${this.placedFor}'; give each cluster its own AwsBackend` });
    if (plan?.galera) problems.push({ property: 'backend', message: 'Galera clusters are not placed on AWS yet (creating one needs a one-time bootstrap of its first node); use DockerBackend' });
    // The default install is Debian 12's MariaDB; a host must not silently run another series than declared.
    const otherSeries = p.installCommand === undefined
      ? (plan?.hosts ?? []).filter((h) => h.mariadbVersion !== undefined && isVersion(h.mariadbVersion) && seriesOf(h.mariadbVersion) !== '10.11') : [];
    problems.push(...otherSeries.map((h) => ({
      property: 'backend.installCommand',
      message: `${h.name} declares MariaDB ${h.mariadbVersion}, but the default install is Debian 12's MariaDB 10.11; give an installCommand (and amiId) that installs series ${seriesOf(h.mariadbVersion!)}`,
    })));
    for (const [name, value] of [['vpcId', p.vpcId], ['subnetId', p.subnetId], ['availabilityZone', p.availabilityZone], ['amiId', p.amiId]] as const) {
      if (typeof value !== 'string' || value.trim() === '') problems.push({ property: `backend.${name}`, message: 'is required' });
    }
    if (!this.subnet) {
      problems.push({ property: 'backend.subnetCidr', message: `'${p.subnetCidr}' is not an IPv4 network in CIDR form with a prefix of /8../29, e.g. 10.0.1.0/24` });
    } else if (plan) {
      const last = Math.max(0, ...plan.hosts.map((h) => placementSlot(plan, h) ?? 0));
      if (FIRST_HOST_OFFSET + last >= this.subnet.size - 1) problems.push({ property: 'backend.subnetCidr', message: `${p.subnetCidr} has no room for host slot ${last} at .${FIRST_HOST_OFFSET + last}; use a larger subnet` });
    }
    for (const h of (plan?.hosts ?? []).filter((host) => placementSlot(plan!, host) === undefined)) {
      problems.push({ property: 'backend', message: `${h.name} (server id ${h.serverId}) has no address: the AWS backend plans addresses by server id, masters 1..${MASTER_SLOTS} and replicas ${REPLICA_SERVER_ID_BASE + 1} and up` });
    }
    if (p.dataVolumeGiB !== undefined && !(Number.isInteger(p.dataVolumeGiB) && p.dataVolumeGiB >= 1 && p.dataVolumeGiB <= 16384)) {
      problems.push({ property: 'backend.dataVolumeGiB', message: `${p.dataVolumeGiB} is not a whole number of GiB in 1..16384 (gp3)` });
    }
    if (p.healthIntervalSeconds !== undefined && !(Number.isInteger(p.healthIntervalSeconds) && p.healthIntervalSeconds >= 1 && p.healthIntervalSeconds <= 60)) {
      problems.push({ property: 'backend.healthIntervalSeconds', message: `${p.healthIntervalSeconds} is not a whole number of seconds in 1..60` });
    }
    if (p.namePrefix !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,40}$/.test(p.namePrefix)) {
      problems.push({ property: 'backend.namePrefix', message: `'${p.namePrefix}' is not a valid name prefix (letters, digits, '_', '.', '-')` });
    }
    const account = p.accountCidr === undefined ? undefined : parseCidr(p.accountCidr);
    if (p.accountCidr !== undefined && !account) {
      problems.push({ property: 'backend.accountCidr', message: `'${p.accountCidr}' is not an IPv4 network in CIDR form` });
    } else if (account?.prefixLength === 0 && !p.allowClientsFromAnywhere) {
      problems.push({ property: 'backend.accountCidr', message: `${p.accountCidr} lets MariaDB's network accounts log in from every address; name the network of the tools and the application, or set allowClientsFromAnywhere: true if that is what you want` });
    }
    problems.push(...this.clientProblems());
    return problems;
  }

  private clientProblems(): Problem[] {
    const problems: Problem[] = [];
    (this.props.clientCidrs ?? []).forEach((cidr, i) => {
      const parsed = parseCidr(cidr);
      if (!parsed) problems.push({ property: `backend.clientCidrs[${i}]`, message: `'${cidr}' is not an IPv4 network in CIDR form` });
      else if (parsed.prefixLength === 0 && !this.props.allowClientsFromAnywhere) {
        problems.push({ property: `backend.clientCidrs[${i}]`, message: `${cidr} opens MariaDB to every address; name the application's networks or security groups, or set allowClientsFromAnywhere: true if that is what you want` });
      }
    });
    return problems;
  }

  public network(plan: TopologyPlan): ClusterNetwork {
    return {
      clientNetworkHost: this.props.accountCidr ? accountHostFor(parseCidr(this.props.accountCidr)!) : accountHostFor(this.subnet!),
      hostAddresses: Object.fromEntries(plan.hosts.map((h) => [h.name, this.addressOf(plan, h.name)])),
      hostShell: false,
    };
  }

  /** A host's fixed private address. */
  private addressOf(plan: TopologyPlan, name: string): string {
    return addressAt(this.subnet!, FIRST_HOST_OFFSET + placementSlot(plan, plan.hosts.find((h) => h.name === name)!)!);
  }

  /** Prefix of the AWS object names of the cluster at `scope`. */
  public namePrefix(scope: Construct): string {
    return this.props.namePrefix ?? scope.node.id;
  }

  public place(scope: Construct, placement: ClusterPlacement): HostConnection[] {
    requireAwsProvider(scope);
    this.placedFor = scope.node.path;
    const prefix = this.namePrefix(scope);
    const plan = placement.plan;
    if ((this.props.clientCidrs ?? []).some((c) => parseCidr(c)?.prefixLength === 0)) {
      Annotations.of(scope).addWarning('backend.clientCidrs: MariaDB accepts connections from every address (allowClientsFromAnywhere)');
    }
    const group = this.securityGroup(scope, prefix);
    this.securityGroupId = group.id;
    const parameters = this.secretParameters(scope, prefix, placement);
    const profile = this.instanceProfile(scope, prefix, Object.values(parameters).map((p) => p.arn));
    const secretParameters = Object.fromEntries(Object.keys(parameters).map((secret) => [secret, this.parameterName(prefix, secret)]));

    return plan.hosts.map((host) => {
      const files = placement.files.find((f) => f.hostName === host.name)!;
      const address = this.addressOf(plan, host.name);
      const userData = renderCloudInit({
        files, secretParameters, installCommand: this.props.installCommand ?? DEBIAN_12_INSTALL,
        cluster: prefix, host: host.name, healthIntervalSeconds: this.healthIntervalSeconds,
      });
      // Terraform would refuse it only at validate, in a message that prints the whole user data.
      if (userData.length > USER_DATA_LIMIT) {
        throw new Error(`${scope.node.path}: backend.installCommand: the user data of ${host.name} is ${userData.length} bytes, over EC2's limit of ${USER_DATA_LIMIT}; shorten installCommand or move it into the AMI`);
      }
      // As on Docker: what shapes the server rebuilds the host; what changes live (sources, keys) does not.
      const revision = hostRevision(scope, files);
      const volume = new (aws.ebsVolume().EbsVolume)(scope, `${host.name}-data`, {
        availabilityZone: this.props.availabilityZone,
        size: this.props.dataVolumeGiB ?? DEFAULT_VOLUME_GIB,
        type: 'gp3',
        encrypted: true,
        tags: { Name: `${prefix}-${host.name}-data` },
      });
      const instance = new (aws.instance().Instance)(scope, `${host.name}-instance`, {
        ami: this.props.amiId,
        instanceType: this.props.instanceType ?? DEFAULT_INSTANCE_TYPE,
        subnetId: this.props.subnetId,
        privateIp: address,
        associatePublicIpAddress: false,
        vpcSecurityGroupIds: [group.id],
        iamInstanceProfile: profile,
        userData,
        metadataOptions: { httpTokens: 'required', httpEndpoint: 'enabled' },
        // The OS and MariaDB's packages only: the data is on its own volume.
        rootBlockDevice: { encrypted: true, volumeType: 'gp3', volumeSize: ROOT_VOLUME_GIB },
        tags: { Name: `${prefix}-${host.name}`, 'mariadb-ha:cluster': prefix, 'mariadb-ha:role': host.kind === HostKind.MASTER ? 'master' : host.replicaRole ?? host.kind },
        lifecycle: { ignoreChanges: ['user_data'], replaceTriggeredBy: [replacedWith(revision)] },
      });
      const attachment = new (aws.volumeAttachment().VolumeAttachment)(scope, `${host.name}-data-attachment`, {
        deviceName: '/dev/sdf',
        volumeId: volume.id,
        instanceId: instance.id,
        // The server stops with the instance; detaching first would pull its disk away.
        stopInstanceBeforeDetaching: true,
      });
      // The host's resource for the cluster (named after the host): done once the server answers,
      // so the cluster's own steps (writers, rotation, switchover) never find it still booting.
      new TerraformData(scope, host.name, {
        triggersReplace: { instance: instance.id },
        dependsOn: [attachment],
        provisioners: [{
          type: 'local-exec',
          command: toolCommand(['wait-ready', '--cluster', scope.node.id, '--host', host.name, '--address', address, '--timeout', String(this.props.bootTimeoutSeconds ?? DEFAULT_BOOT_TIMEOUT_SECONDS)]),
        }],
      });
      return { hostName: host.name, address, port: MARIADB_PORT, backendName: instance.id, networkAddress: address };
    });
  }

  private parameterName(prefix: string, secret: string): string {
    return `/mariadb-ha/${prefix}/${secret}`;
  }

  private secretParameters(scope: Construct, prefix: string, placement: ClusterPlacement) {
    const { SsmParameter } = aws.ssmParameter();
    return Object.fromEntries(Object.entries(placement.secrets).map(([secret, value]) => [secret, new SsmParameter(scope, `${secret}-secret`, {
      name: this.parameterName(prefix, secret),
      type: 'SecureString',
      // Write-only (Terraform >= 1.11): the password reaches SSM but never the plan or the state.
      valueWo: value,
      valueWoVersion: writeOnlyVersion(value),
      description: `MariaDB ${secret} password of ${prefix} (read by its hosts at boot)`,
    })]));
  }

  /** Reads the cluster's own parameters and publishes the health metric; nothing else. */
  private instanceProfile(scope: Construct, prefix: string, parameterArns: string[]): string {
    const role = new (aws.iamRole().IamRole)(scope, 'host-role', {
      name: `${prefix}-mariadb-host`,
      assumeRolePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    });
    new (aws.iamRolePolicy().IamRolePolicy)(scope, 'host-policy', {
      name: 'mariadb-ha-host',
      role: role.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: parameterArns },
          { Effect: 'Allow', Action: ['cloudwatch:PutMetricData'], Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': HEALTH_NAMESPACE } } },
        ],
      }),
    });
    return new (aws.iamInstanceProfile().IamInstanceProfile)(scope, 'host-profile', { name: `${prefix}-mariadb-host`, role: role.name }).name;
  }

  private securityGroup(scope: Construct, prefix: string) {
    const rule = (description: string, extra: { selfAttribute?: boolean; securityGroups?: string[]; cidrBlocks?: string[] }, port = MARIADB_PORT) => ({
      description, fromPort: port, toPort: port, protocol: 'tcp',
      cidrBlocks: [], ipv6CidrBlocks: [], prefixListIds: [], securityGroups: [], selfAttribute: false, ...extra,
    });
    const ingress = [
      rule('MariaDB replication between the cluster hosts', { selfAttribute: true }),
      ...((this.props.clientSecurityGroupIds ?? []).length > 0 ? [rule('MariaDB clients (security groups)', { securityGroups: this.props.clientSecurityGroupIds })] : []),
      ...((this.props.clientCidrs ?? []).length > 0 ? [rule('MariaDB clients (networks)', { cidrBlocks: this.props.clientCidrs })] : []),
    ];
    return new (aws.securityGroup().SecurityGroup)(scope, 'hosts', {
      name: `${prefix}-mariadb-hosts`,
      description: `MariaDB hosts of ${prefix}`,
      vpcId: this.props.vpcId,
      ingress,
      // What a host reaches: its peers' MariaDB, AWS's APIs (SSM, CloudWatch) over HTTPS, package
      // mirrors over HTTP(S). The VPC's DNS, time service and instance metadata pass security groups by.
      egress: [
        rule('MariaDB replication between the cluster hosts', { selfAttribute: true }),
        rule('AWS APIs (SSM, CloudWatch) and package mirrors over HTTPS', { cidrBlocks: ['0.0.0.0/0'] }, HTTPS_PORT),
        rule('Package mirrors over HTTP (signed packages)', { cidrBlocks: ['0.0.0.0/0'] }, HTTP_PORT),
      ],
      tags: { Name: `${prefix}-mariadb-hosts` },
    });
  }
}

/**
 * The version Terraform compares to send a write-only value again: a number from the password's
 * SHA-256 (48 bits), so it changes when the password does. State already holds a digest of the
 * passwords (the rotation's trigger); this adds no other trace of them.
 */
function writeOnlyVersion(value: string): number {
  return Token.asNumber(Fn.parseint(Fn.substr(Fn.sha256(value), 0, 12), 16));
}
