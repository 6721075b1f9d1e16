// The AWS backend and the Route 53 writer endpoint at synth: one renderer, two placements (the
// cloud-init of each EC2 host carries the Docker host's files), secrets never in user data, and
// bad input reported all at once with its construct path and property.
import { createHash } from 'crypto';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack, Testing } from 'cdktf';
import { AwsBackend, AwsBackendProps, MariaDbReplicationCluster, Route53HealthCheckType, Route53WriterEndpoint, Route53WriterEndpointProps } from '../../src';
import { BOOTSTRAP_SQL_PATH, ENTRYPOINT_PATH, SERVER_CONFIG_PATH } from '../../src/render/entrypoint';
import { BOOT_SCRIPT_PATH, cloudInitFiles } from '../../src/render/cloud-init';
import { AwsHaStack } from '../../examples/aws/stack';
import { LocalHaStack } from '../../examples/local-docker/stack';
import { ACTIVE_PASSIVE } from '../support/topologies';

function synthesized(build: (app: App) => TerraformStack): any {
  return JSON.parse(Testing.synth(build(Testing.app()), true));
}

const aws = synthesized((app) => new AwsHaStack(app, 'aws-ha', { region: 'eu-west-1' }));
const docker = synthesized((app) => new LocalHaStack(app, 'local-ha'));
const HOSTS = ['db-a', 'db-b', 'analytics'];
const ADDRESSES: Record<string, string> = { 'db-a': '10.220.1.10', 'db-b': '10.220.1.11', analytics: '10.220.1.20' };

function awsFiles(host: string): Record<string, string> {
  const instance = Object.values(aws.resource.aws_instance).find((i: any) => i.tags.Name === `shop-${host}`) as any;
  return cloudInitFiles(instance.user_data);
}

function dockerFile(host: string, path: string): string {
  const container = Object.values(docker.resource.docker_container).find((c: any) => c.name === `shop-${host}`) as any;
  return container.upload.find((u: any) => u.file === path).content;
}

describe('AwsBackend: one renderer, two placements', () => {
  test('the user data (files gzipped) stays well inside EC2\'s 16 KB limit', () => {
    for (const instance of Object.values(aws.resource.aws_instance) as any[]) expect(instance.user_data.length).toBeLessThan(12_000);
  });

  test.each(HOSTS)('%s runs with the same server config and entrypoint as on Docker, and the same bootstrap but for peer addresses', (host) => {
    const files = awsFiles(host);
    expect(files[SERVER_CONFIG_PATH]).toBe(dockerFile(host, SERVER_CONFIG_PATH));
    expect(files[SERVER_CONFIG_PATH]).toMatch(/server_id = \d+/);
    expect(files[ENTRYPOINT_PATH]).toBe(dockerFile(host, ENTRYPOINT_PATH));
    // Both reach peers by planned address: the same slots, in the Docker network or the VPC subnet.
    // The operator account aside: on Docker only the monitor's and the tools' addresses, on AWS the tools' network.
    const withoutOperator = (sql: string) => sql.split('\n').filter((l) => !l.includes('ha_operator')).join('\n');
    const inDockerNetwork = withoutOperator(files[BOOTSTRAP_SQL_PATH]).split('10.220.1.').join('10.213.0.');
    expect(files[BOOTSTRAP_SQL_PATH]).toMatch(new RegExp(`MASTER_HOST=''(${Object.values(ADDRESSES).join('|')})''`));
    expect(inDockerNetwork).toBe(withoutOperator(dockerFile(host, BOOTSTRAP_SQL_PATH)));
    expect(files[BOOTSTRAP_SQL_PATH]).toContain("TO 'ha_operator'@'10.220.1.0/255.255.255.0';");
  });

  test('each host has a fixed private address planned from the subnet, no public address, an encrypted data volume and IMDSv2', () => {
    const instances = Object.values(aws.resource.aws_instance) as any[];
    expect(Object.fromEntries(instances.map((i) => [i.tags.Name, i.private_ip]))).toEqual({ 'shop-db-a': '10.220.1.10', 'shop-db-b': '10.220.1.11', 'shop-analytics': '10.220.1.20' });
    for (const i of instances) {
      expect(i).toMatchObject({ associate_public_ip_address: false, metadata_options: { http_tokens: 'required' }, root_block_device: { encrypted: true } });
      // The user data changes on the running host (sources) are applied live; only what shapes the server rebuilds it.
      expect(i.lifecycle).toEqual({ ignore_changes: ['user_data'], replace_triggered_by: [expect.stringMatching(/^terraform_data\.shop_[\w-]+-files_\w+$/)] });
    }
    for (const v of Object.values(aws.resource.aws_ebs_volume) as any[]) expect(v).toMatchObject({ encrypted: true, type: 'gp3', size: 20 });
  });

  test('no secret is in user data or the synthesized JSON: passwords reach SSM SecureString parameters as variables, write-only (never in plan or state), hosts read them at boot', () => {
    for (const host of HOSTS) {
      const instance = Object.values(aws.resource.aws_instance).find((i: any) => i.tags.Name === `shop-${host}`) as any;
      expect(instance.user_data).not.toMatch(/password|\$\{/);
      expect(awsFiles(host)[BOOT_SCRIPT_PATH]).toContain("fetch_secret operator '/mariadb-ha/shop/operator'");
    }
    const parameters = Object.values(aws.resource.aws_ssm_parameter) as any[];
    expect(parameters.map((p) => [p.name, p.type, p.value, p.value_wo, p.value_wo_version]).sort()).toEqual(['application', 'monitor', 'operator', 'replication', 'root']
      .map((s) => [`/mariadb-ha/shop/${s}`, 'SecureString', undefined, `\${var.shop_${s}_password}`, `\${parseint(substr(sha256(var.shop_${s}_password), 0, 12), 16)}`]));
    for (const s of ['application', 'monitor', 'operator', 'replication', 'root']) expect(aws.variable[`shop_${s}_password`].sensitive).toBe(true);
    const policy = JSON.parse((Object.values(aws.resource.aws_iam_role_policy)[0] as any).policy);
    expect(policy.Statement[0]).toEqual({ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: expect.arrayContaining([expect.stringMatching(/^\$\{aws_ssm_parameter\.shop_\w+-secret_\w+\.arn\}$/)]) });
  });

  test('MariaDB is open only between the hosts and to the named client group', () => {
    const group = aws.resource.aws_security_group.shop_hosts_E0E71BD2;
    expect(group.ingress.map((r: any) => ({ from: r.from_port, to: r.to_port, self: r.self, groups: r.security_groups, cidrs: r.cidr_blocks }))).toEqual([
      { from: 3306, to: 3306, self: true, groups: [], cidrs: [] },
      { from: 3306, to: 3306, self: false, groups: ['${aws_security_group.app.id}'], cidrs: [] },
    ]);
  });

  test('hosts reach only their peers\' MariaDB, HTTPS (AWS APIs, mirrors) and HTTP (mirrors): no other port or protocol', () => {
    const group = aws.resource.aws_security_group.shop_hosts_E0E71BD2;
    expect(group.egress.map((r: any) => ({ protocol: r.protocol, from: r.from_port, to: r.to_port, self: r.self, cidrs: r.cidr_blocks }))).toEqual([
      { protocol: 'tcp', from: 3306, to: 3306, self: true, cidrs: [] },
      { protocol: 'tcp', from: 443, to: 443, self: false, cidrs: ['0.0.0.0/0'] },
      { protocol: 'tcp', from: 80, to: 80, self: false, cidrs: ['0.0.0.0/0'] },
    ]);
  });
});

describe('Route53WriterEndpoint', () => {
  const records = aws.resource.aws_route53_record;
  test('PRIMARY answers with the active master, SECONDARY with the other candidate, each with its host\'s health check; constant set identifiers', () => {
    expect(records.writer_primary_D612A2E4).toMatchObject({
      set_identifier: 'shop-primary', failover_routing_policy: { type: 'PRIMARY' }, ttl: 10, type: 'A',
      records: [expect.stringMatching(/^\$\{local\.writer_address-by-host_\w+\[var\.shop_active_master\]\}$/)],
      depends_on: [expect.stringMatching(/^terraform_data\.writer_switchover_\w+$/)],
    });
    expect(records.writer_secondary_044CD719).toMatchObject({ set_identifier: 'shop-secondary', failover_routing_policy: { type: 'SECONDARY' } });
    expect(Object.values(aws.locals).find((l: any) => l['db-a'] === '10.220.1.10')).toEqual({ 'db-a': '10.220.1.10', 'db-b': '10.220.1.11', analytics: '10.220.1.20' });
  });

  test('private addresses are judged by a CloudWatch alarm on each host\'s health metric; a missing sample is a failure', () => {
    const checks = Object.values(aws.resource.aws_route53_health_check) as any[];
    expect(checks.map((c) => c.type)).toEqual(['CLOUDWATCH_METRIC', 'CLOUDWATCH_METRIC']);
    expect(checks[0]).toMatchObject({ insufficient_data_health_status: 'Unhealthy', cloudwatch_alarm_region: 'eu-west-1' });
    const alarm = aws.resource.aws_cloudwatch_metric_alarm['writer_db-a-alarm_8F3FA298'];
    expect(alarm).toMatchObject({ namespace: 'MariaDbHa', metric_name: 'ServerAvailable', dimensions: { Cluster: 'shop', Host: 'db-a' }, period: 60, evaluation_periods: 2, treat_missing_data: 'breaching' });
  });

  test('the cluster description tells tools the endpoint kind and the worst-case failover time', () => {
    expect(aws.output.shop_cluster.value.endpoint).toEqual({
      kind: 'route53-failover', address: 'writer.db.shop.internal', port: 3306,
      route53: { zoneId: '${aws_route53_zone.zone.zone_id}', recordName: 'writer.db.shop.internal', ttlSeconds: 10, healthCheck: 'cloudwatch-metric', detectionSeconds: 160, worstCaseFailoverSeconds: 170 },
    });
  });
});

describe('AWS bad input', () => {
  const backendProps: AwsBackendProps = { vpcId: 'vpc-1', subnetId: 'subnet-1', subnetCidr: '10.0.1.0/24', availabilityZone: 'eu-west-1a', amiId: 'ami-1' };
  function build(backend: Partial<AwsBackendProps>, endpoint: Partial<Route53WriterEndpointProps> = {}): { stack: TerraformStack } {
    const stack = new TerraformStack(Testing.app(), 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const cluster = new MariaDbReplicationCluster(stack, 'shop', { ...ACTIVE_PASSIVE, backend: new AwsBackend({ ...backendProps, ...backend }) });
    new Route53WriterEndpoint(stack, 'writer', { cluster, zoneId: 'Z1', recordName: 'writer.db.internal', region: 'eu-west-1', ...endpoint });
    return { stack };
  }

  test('MariaDB open to 0.0.0.0/0 is refused without the opt-in, and every backend problem is listed at once', () => {
    expect(() => build({ clientCidrs: ['0.0.0.0/0', '10.0.0.0/33'], subnetCidr: '10.0.1.0', amiId: '' })).toThrow(new RegExp([
      'test/shop\\.backend\\.amiId: is required',
      'test/shop\\.backend\\.subnetCidr: \'10\\.0\\.1\\.0\' is not an IPv4 network',
      'test/shop\\.backend\\.clientCidrs\\[0\\]: 0\\.0\\.0\\.0/0 opens MariaDB to every address; name the application\'s networks or security groups, or set allowClientsFromAnywhere: true',
      'test/shop\\.backend\\.clientCidrs\\[1\\]: \'10\\.0\\.0\\.0/33\' is not an IPv4 network',
    ].join('[\\s\\S]*')));
  });

  test('a record name that is not a DNS name, and network accounts open to every address without the opt-in, are refused together', () => {
    expect(() => build({ accountCidr: '0.0.0.0/0' }, { recordName: 'writer db.internal' })).toThrow(new RegExp([
      'test/shop\\.backend\\.accountCidr: 0\\.0\\.0\\.0/0 lets MariaDB\'s network accounts log in from every address; name the network of the tools and the application, or set allowClientsFromAnywhere: true',
    ].join('[\\s\\S]*')));
    expect(() => build({}, { recordName: 'writer db.internal' })).toThrow(/test\/writer\.recordName: 'writer db\.internal' is not a DNS name/);
    expect(() => build({}, { recordName: '-writer.db.internal' })).toThrow(/recordName: '-writer\.db\.internal' is not a DNS name/);
    expect(() => build({ accountCidr: '0.0.0.0/0', allowClientsFromAnywhere: true }, { recordName: 'writer.db.internal.' })).not.toThrow();
  });

  test('user data over EC2\'s 16 KB is a synth error naming the host, not a validate error printing it all', () => {
    // Hex of chained hashes: text gzip cannot shrink below the limit.
    let noise = '';
    for (let i = 0; noise.length < 40_000; i++) noise += createHash('sha256').update(String(i)).digest('hex');
    expect(() => build({ installCommand: `echo ${noise}` })).toThrow(/test\/shop: backend\.installCommand: the user data of db-a is \d+ bytes, over EC2's limit of 16384/);
  });

  test('a version the default install does not provide is refused, not ignored', () => {
    const stack = new TerraformStack(Testing.app(), 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    const versions = { masters: [{ name: 'db-a', mariadbVersion: '11.8' }, { name: 'db-b', mariadbVersion: '11.8' }], replicas: [{ name: 'analytics', source: 'db-b', mariadbVersion: '11.8' }] };
    expect(() => new MariaDbReplicationCluster(stack, 'shop', { ...ACTIVE_PASSIVE, ...versions, backend: new AwsBackend(backendProps) }))
      .toThrow(/test\/shop\.backend\.installCommand: db-a declares MariaDB 11\.8, but the default install is Debian 12's MariaDB 10\.11[\s\S]*analytics declares/);
  });

  test('with the opt-in, 0.0.0.0/0 is accepted and synth warns', () => {
    const { stack } = build({ clientCidrs: ['0.0.0.0/0'], allowClientsFromAnywhere: true });
    const json = JSON.parse(Testing.synth(stack, true));
    expect((Object.values(json.resource.aws_security_group)[0] as any).ingress[1].cidr_blocks).toEqual(['0.0.0.0/0']);
    expect(Testing.synth(stack)).toBeDefined();
  });

  test('a TCP health check on private addresses is refused, naming the CloudWatch-metric alternative', () => {
    expect(() => build({}, { healthCheck: { type: Route53HealthCheckType.TCP } })).toThrow(
      /test\/writer\.healthCheck\.type: db-a is at the private address 10\.0\.1\.10, which Route 53's health checkers cannot reach; use Route53HealthCheckType\.CLOUDWATCH_METRIC[\s\S]*test\/writer\.healthCheck\.type: db-b is at the private address 10\.0\.1\.11/);
  });

  test('a TTL too long for failover is an error; a long one within bounds is a named warning; a budget the settings exceed is an error', () => {
    expect(() => build({}, { ttlSeconds: 3600 })).toThrow(/test\/writer\.ttlSeconds: 3600 is not a whole number of seconds in 1\.\.300; resolvers keep a lost primary's address for the whole TTL/);
    expect(() => build({}, { ttlSeconds: 200, failoverBudgetSeconds: 120, healthCheck: { alarmPeriodSeconds: 30 } })).toThrow(new RegExp([
      'test/writer\\.healthCheck\\.alarmPeriodSeconds: 30 is not a multiple of 60 seconds',
      'test/writer\\.failoverBudgetSeconds: the settings allow 300 s from a lost primary to clients resolving the secondary \\(detection 100 s \\+ TTL 200 s\\), over the budget of 120 s',
    ].join('[\\s\\S]*')));
    const { stack } = build({}, { ttlSeconds: 120 });
    expect(JSON.stringify(stack.node.findChild('writer').node.metadata)).toMatch(/ttlSeconds: 120 s keeps clients on a lost primary up to 120 s after Route 53 answers with the secondary/);
  });

  test('a Galera cluster is refused on AWS for now, saying what to use', async () => {
    const { MariaDbGaleraCluster } = await import('../../src');
    const stack = new TerraformStack(Testing.app(), 'test');
    new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
    expect(() => new MariaDbGaleraCluster(stack, 'g', { nodes: [{ name: 'n1' }, { name: 'n2' }, { name: 'n3' }], databaseName: 'shop', backend: new AwsBackend(backendProps) }))
      .toThrow(/test\/g\.backend: Galera clusters are not placed on AWS yet[\s\S]*use DockerBackend/);
  });
});
