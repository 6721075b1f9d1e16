// The same topology on AWS, composed with the user's own network: a VPC, a subnet, a private
// hosted zone and the application's security group are the user's resources; the cluster places
// its EC2 hosts in them and the writer endpoint is a Route 53 failover record pair in the zone.
import { AwsProvider, AwsProviderEndpoints } from '@cdktf/provider-aws/lib/provider';
import { Route53Zone } from '@cdktf/provider-aws/lib/route53-zone';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { LocalBackend, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { AwsBackend, MariaDbReplicationCluster, ReplicaRole, Route53WriterEndpoint } from '../../src';

export const EXAMPLE_SUBNET = '10.220.1.0/24';

export interface AwsHaStackProps {
  readonly region: string;
  /**
   * An AWS API emulator (e.g. moto on 127.0.0.1) to send every call to, with fake keys; for tests.
   * @default - AWS itself, with the credentials of the environment
   */
  readonly emulatorUrl?: string;
}

export class AwsHaStack extends TerraformStack {
  public readonly cluster: MariaDbReplicationCluster;
  public readonly writer: Route53WriterEndpoint;

  constructor(scope: Construct, id: string, props: AwsHaStackProps) {
    super(scope, id);
    // No password reaches the state (write-only SSM values); it stays in the git-ignored .local/ (use an encrypted remote backend for real).
    new LocalBackend(this, { path: `../../../.local/terraform.${id}.tfstate` });
    new AwsProvider(this, 'aws', { region: props.region, ...(props.emulatorUrl ? emulatedProvider(props.emulatorUrl) : {}) });
    // An AMI id, not a data source: plans stay offline, and the image is a reviewed choice (Debian 12).
    const ami = new TerraformVariable(this, 'ami_id', { type: 'string', description: 'Debian 12 AMI of the MariaDB hosts' });

    // The user's own network.
    const vpc = new Vpc(this, 'vpc', { cidrBlock: '10.220.0.0/16', enableDnsSupport: true, enableDnsHostnames: true, tags: { Name: 'shop' } });
    const subnet = new Subnet(this, 'db-subnet', { vpcId: vpc.id, cidrBlock: EXAMPLE_SUBNET, availabilityZone: `${props.region}a`, tags: { Name: 'shop-db' } });
    const app = new SecurityGroup(this, 'app', { name: 'shop-app', description: 'The shop application', vpcId: vpc.id });
    const zone = new Route53Zone(this, 'zone', { name: 'db.shop.internal', vpc: [{ vpcId: vpc.id }] });

    this.cluster = new MariaDbReplicationCluster(this, 'shop', {
      masters: [{ name: 'db-a' }, { name: 'db-b' }],
      activeMaster: 'db-a',
      replicas: [{ name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS }],
      databaseName: 'shop',
      backend: new AwsBackend({
        vpcId: vpc.id,
        subnetId: subnet.id,
        subnetCidr: EXAMPLE_SUBNET,
        availabilityZone: subnet.availabilityZone,
        amiId: ami.stringValue,
        clientSecurityGroupIds: [app.id],
      }),
      identityLockFile: 'examples/aws/mariadb-ha.lock.json',
    });
    this.writer = new Route53WriterEndpoint(this, 'writer', {
      cluster: this.cluster,
      zoneId: zone.zoneId,
      recordName: 'writer.db.shop.internal',
      region: props.region,
    });
  }
}

/** Provider settings that send every call to an emulator and none to AWS. */
export function emulatedProvider(url: string): { accessKey: string; secretKey: string; skipCredentialsValidation: boolean; skipRequestingAccountId: boolean; skipMetadataApiCheck: string; endpoints: AwsProviderEndpoints[] } {
  const services = ['ec2', 'iam', 'ssm', 'route53', 'cloudwatch', 'sts'];
  return {
    accessKey: 'testing',
    secretKey: 'testing',
    skipCredentialsValidation: true,
    skipRequestingAccountId: true,
    skipMetadataApiCheck: 'true',
    endpoints: [Object.fromEntries(services.map((s) => [s, url]))],
  };
}
