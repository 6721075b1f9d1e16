import 'cdktf/lib/testing/adapters/jest';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Network } from '@cdktf/provider-docker/lib/network';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { TerraformStack, TerraformVariable, Testing } from 'cdktf';
import { DockerBackend, MariaDbImage, MariaDbReplicationCluster, MultiMasterLayout, ReplicaRole, WriteMode } from '../../src';
import { clusterProps, dockerStack, synthCluster } from '../support/stacks';

function upload(json: any, container: string, file: string): string {
  const resource = Object.values(json.resource.docker_container).find((c: any) => c.name === container) as any;
  return resource.upload.find((u: any) => u.file === file).content;
}

describe('MariaDbReplicationCluster on Docker', () => {
  describe('GIVEN the active/passive topology with an analytics replica', () => {
    const { json, text } = synthCluster();

    test('THEN one network, one volume per host and one container per host are synthesized', () => {
      expect(text).toHaveResourceWithProperties(Network, { name: 'shop-net', ipam_config: [{ subnet: '10.213.0.0/24', gateway: '10.213.0.1' }] });
      for (const host of ['db-a', 'db-b', 'analytics']) {
        expect(text).toHaveResourceWithProperties(Volume, { name: `shop-${host}-data` });
        expect(text).toHaveResourceWithProperties(Container, { name: `shop-${host}`, hostname: host, restart: 'unless-stopped', wait: true });
      }
    });

    test('THEN ports are published on 127.0.0.1 only, numbered by server id (masters from the base, replicas 10 above)', () => {
      expect(text).toHaveResourceWithProperties(Container, { name: 'shop-db-a', ports: [{ internal: 3306, external: 23306, ip: '127.0.0.1', protocol: 'tcp' }] });
      expect(text).toHaveResourceWithProperties(Container, { name: 'shop-analytics', ports: [{ internal: 3306, external: 23316, ip: '127.0.0.1', protocol: 'tcp' }] });
    });

    test('THEN every container has a health check the apply waits for', () => {
      for (const container of Object.values(json.resource.docker_container) as any[]) {
        expect(container.healthcheck.test).toEqual(['CMD', 'mariadb-admin', '--socket=/run/mysqld/mysqld.sock', '--silent', 'ping']);
        expect(container).toMatchObject({ wait: true, wait_timeout: 180 });
      }
    });

    test('THEN each host gets its own server config with its id and offset', () => {
      expect(upload(json, 'shop-db-a', '/etc/mysql/ha/server.cnf')).toMatch(/server_id = 1\n[\s\S]*auto_increment_increment = 2\n[\s\S]*auto_increment_offset = 1\n/);
      expect(upload(json, 'shop-db-b', '/etc/mysql/ha/server.cnf')).toMatch(/server_id = 2\n[\s\S]*auto_increment_offset = 2\n/);
      expect(upload(json, 'shop-analytics', '/etc/mysql/ha/server.cnf')).toMatch(/read_only = ON/);
    });

    test('THEN every password is a sensitive variable and no secret value is in the JSON', () => {
      for (const account of ['root', 'replication', 'monitor', 'operator', 'application']) {
        const variable = json.variable[`shop_${account}_password`];
        expect(variable).toMatchObject({ sensitive: true, type: 'string', nullable: false });
        expect(variable.validation[0].condition).toContain(`length(trimspace(var.shop_${account}_password)) > 0`);
        expect(variable.validation[0].condition).toContain(`!can(regex("[[:cntrl:]]", var.shop_${account}_password))`);
        expect(variable.validation[0].condition.includes(`length(var.shop_${account}_password) <= 32`)).toBe(account === 'replication');
        expect(upload(json, 'shop-db-a', `/etc/mysql/ha/secrets/${account}`)).toBe(`\${var.shop_${account}_password}`);
      }
      const sql = upload(json, 'shop-db-a', '/etc/mysql/ha/bootstrap.sql');
      const secretSlots = [...sql.matchAll(/(IDENTIFIED BY |MASTER_PASSWORD=|USING PASSWORD\()(.{0,30})/g)].map((m) => m[2]);
      expect(secretSlots).toHaveLength(7);
      secretSlots.forEach((slot) => expect(slot).toMatch(/^', QUOTE\(@secret_\w+\)/));
      expect(JSON.stringify(json.variable)).not.toMatch(/"default"/);
    });

    test('THEN the operator account (fences, promotes, closes sessions) logs in only from the monitor and the tools (the gateway of published ports)', () => {
      const sql = upload(json, 'shop-db-a', '/etc/mysql/ha/bootstrap.sql');
      expect([...sql.matchAll(/^GRANT [^\n]* TO 'ha_operator'@'([^']+)';$/gm)].map((m) => m[1])).toEqual(['10.213.0.1', '10.213.0.9']);
      expect(json.output.shop_cluster.value.operatorAccountHosts).toEqual(['10.213.0.1', '10.213.0.9']);
    });

    test('THEN the application account is granted its own database only, with GRANT wildcards escaped', () => {
      const { json: underscored } = synthCluster({ databaseName: 'my_ql' });
      const sql = upload(underscored, 'shop-db-a', '/etc/mysql/ha/bootstrap.sql');
      // Unescaped, `my_ql` would match the `mysql` schema (seen: ALL PRIVILEGES on mysql after a restart).
      expect(sql).toContain("ON `my\\_ql`.* TO 'app'@'10.213.0.0/255.255.255.0';");
      expect(sql).toContain('CREATE DATABASE IF NOT EXISTS `my_ql`;');
    });

    test('THEN the tools get a description output without secrets', () => {
      const output = json.output.shop_cluster.value;
      expect(output.activeMaster).toBe('db-a');
      expect(output.hosts.map((h: any) => [h.name, h.port, h.role])).toEqual([
        ['db-a', 23306, 'master'], ['db-b', 23307, 'master'], ['analytics', 23316, 'analytics'],
      ]);
    });

    test('THEN the Docker provider accepts the 3.6.2 bindings and the 4.x line', () => {
      expect(json.terraform.required_providers.docker).toEqual({ source: 'kreuzwerker/docker', version: '>= 3.6.2, < 5.0.0' });
    });
  });

  test('WHEN only the active master changes THEN no resource changes (provisioners are not part of a plan)', () => {
    const withoutProvisioners = (resources: any) => JSON.parse(JSON.stringify(resources, (k, v) => (k === 'provisioner' ? undefined : v)));
    const a = synthCluster({ activeMaster: 'db-a' }).json.resource;
    const b = synthCluster({ activeMaster: 'db-b' }).json.resource;
    expect(withoutProvisioners(b)).toEqual(withoutProvisioners(a));
  });

  test('WHEN a replica\'s source or delay changes THEN only its repoint resource changes: the container is not rebuilt', () => {
    const dataOf = (json: any, suffix: string) => Object.entries(json.resource.terraform_data).find(([k]) => k.startsWith(`shop_${suffix}_`))![1] as any;
    const before = synthCluster().json;
    const after = synthCluster({ replicas: [{ name: 'analytics', source: 'db-a', role: ReplicaRole.ANALYTICS, delaySeconds: 60 }] }).json;
    expect(dataOf(after, 'analytics-files').input).toEqual(dataOf(before, 'analytics-files').input);
    expect(dataOf(before, 'analytics-sources').triggers_replace).toEqual({ sources: ['db-b'], delaySeconds: 0 });
    expect(dataOf(after, 'analytics-sources').triggers_replace).toEqual({ sources: ['db-a'], delaySeconds: 60 });
    expect(dataOf(after, 'analytics-sources').provisioner[0]['local-exec'].command).toMatch(/'repoint' '--cluster' 'shop' '--host' 'analytics'$/);
  });

  test('WHEN hosts come and go THEN no other host\'s port or address moves: they follow server ids', () => {
    const portsOf = (json: any) => Object.fromEntries(json.output.shop_cluster.value.hosts.map((h: any) => [h.name, h.port]));
    const addressesOf = (json: any) => Object.fromEntries(Object.values(json.resource.docker_container).map((c: any) => [c.hostname, c.networks_advanced[0].ipv4_address]));
    const before = synthCluster().json;
    const grown = synthCluster({ masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }], replicas: [...clusterProps().replicas!, { name: 'reports', source: 'db-a' }] }).json;
    expect(portsOf(grown)).toEqual({ ...portsOf(before), 'db-c': 23308, reports: 23317 });
    expect(addressesOf(grown)).toEqual({ ...addressesOf(before), 'db-c': '10.213.0.12', reports: '10.213.0.21' });
    expect(addressesOf(before)).toEqual({ 'db-a': '10.213.0.10', 'db-b': '10.213.0.11', analytics: '10.213.0.20' });
  });

  test('WHEN a host\'s server id is outside the backend\'s ranges THEN it is named with the ranges', () => {
    expect(() => synthCluster({ masters: [{ name: 'db-a' }, { name: 'db-b', serverId: 11 }] }))
      .toThrow(/test\/shop\.backend: db-b \(server id 11\) has no place: the Docker backend numbers ports and addresses by server id, masters 1\.\.10 and replicas 101 and up/);
  });

  test('WHEN a master joins THEN no running host is rebuilt: the writers step moves connections and key slots live', () => {
    const dataOf = (json: any, suffix: string) => Object.entries(json.resource.terraform_data).find(([k]) => k.startsWith(`shop_${suffix}_`))![1] as any;
    const before = synthCluster().json;
    const after = synthCluster({ masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }] }).json;
    for (const host of ['db-a', 'db-b', 'analytics']) expect(dataOf(after, `${host}-files`).input).toEqual(dataOf(before, `${host}-files`).input);
    expect(dataOf(before, 'writers').triggers_replace).toEqual({ writers: ['db-a<-db-b:2/1', 'db-b<-db-a:2/2'] });
    expect(dataOf(after, 'writers').triggers_replace).toEqual({ writers: ['db-a<-db-b+db-c:3/1', 'db-b<-db-a+db-c:3/2', 'db-c<-db-a+db-b:3/3'] });
    expect(dataOf(after, 'writers').provisioner[0]['local-exec'].command).toMatch(/'writers' '--cluster' 'shop'$/);
    expect(dataOf(after, 'writers').depends_on).toEqual([
      expect.stringMatching(/^docker_container\.shop_db-a_/), expect.stringMatching(/^docker_container\.shop_db-b_/),
      expect.stringMatching(/^docker_container\.shop_db-c_/), expect.stringMatching(/^terraform_data\.shop_password-rotation_/),
    ]);
  });

  test('WHEN masters are placed THEN a membership instance per master runs leave at destroy, before any master\'s container goes', () => {
    const { json } = synthCluster();
    const [[name, membership]] = Object.entries(json.resource.terraform_data).filter(([k]) => /membership/.test(k)) as Array<[string, any]>;
    expect(name).toMatch(/^shop_membership_\w+$/);
    // One resource block with an instance per master: Terraform runs a destroy provisioner only while its block is configured.
    expect(membership.for_each).toBe('${toset(["db-a", "db-b"])}');
    expect(membership.provisioner[0]['local-exec']).toMatchObject({
      when: 'destroy',
      command: expect.stringMatching(/'leave' '--cluster' 'shop' '--host' '\$\{each\.key\}'$/),
      environment: { MARIADB_HA_DESCRIPTION: '${self.input.description}' },
    });
    expect(membership.depends_on).toEqual([
      expect.stringMatching(/^docker_container\.shop_db-a_/), expect.stringMatching(/^docker_container\.shop_db-b_/), expect.stringMatching(/^terraform_data\.shop_writers_/),
    ]);
    expect(JSON.parse(membership.input.description).hosts.map((h: any) => h.name)).toEqual(['db-a', 'db-b']);
  });

  test('WHEN hosts are placed THEN each container waits for its seed step, which copies a running donor into a new volume (a replica\'s source first)', () => {
    const { json } = synthCluster();
    const seeds = Object.entries(json.resource.terraform_data).filter(([k]) => /-seed_/.test(k));
    expect(seeds.map(([k]) => k.replace(/_[0-9A-F]+$/, '')).sort()).toEqual(['shop_analytics-seed', 'shop_db-a-seed', 'shop_db-b-seed']);
    const command = (host: string) => (seeds.find(([k]) => k.startsWith(`shop_${host}-seed_`))![1] as any).provisioner[0]['local-exec'].command;
    expect(command('analytics')).toMatch(/'seed' '--volume' '\$\{docker_volume\.shop_analytics-data_\w+\.name\}' '--image' 'cdktf-mariadb-ha\/mariadb:10\.11-bookworm' '--donors' 'shop-db-b,shop-db-a'$/);
    expect(command('db-a')).toMatch(/'--donors' 'shop-db-b'$/);
    for (const [name, container] of Object.entries(json.resource.docker_container) as Array<[string, any]>) {
      const host = name.replace(/^shop_/, '').replace(/_[0-9A-F]+$/, '');
      expect(container.depends_on).toEqual([expect.stringMatching(new RegExp(`^terraform_data\\.shop_${host}-seed_\\w+$`))]);
    }
  });

  test('WHEN seeding is turned off THEN there is no seed step and new hosts replay the binary logs', () => {
    const { json } = synthCluster({ backend: new DockerBackend({ seedNewHosts: false }) });
    expect(Object.keys(json.resource.terraform_data).filter((k) => /-seed_/.test(k))).toEqual([]);
    for (const container of Object.values(json.resource.docker_container) as any[]) expect(container.depends_on).toBeUndefined();
  });

  test('WHEN a password changes THEN a rotation sets it on the running hosts, which are not replaced', () => {
    const { json } = synthCluster();
    const rotation = Object.entries(json.resource.terraform_data).find(([k]) => k.includes('password-rotation'))![1] as any;
    expect(rotation.triggers_replace.passwords).toMatch(/^\$\{sha256\(base64encode\(jsonencode\(\{"root" = var\.shop_root_password, /);
    expect(rotation.provisioner[0]['local-exec'].command).toMatch(/'rotate-passwords' '--cluster' 'shop'$/);
    for (const container of Object.values(json.resource.docker_container) as any[]) {
      expect(container.lifecycle.ignore_changes).toEqual(['upload']);
      expect(container.lifecycle.replace_triggered_by).toEqual([expect.stringMatching(/^terraform_data\.shop_[\w-]+-files_\w+$/)]);
    }
  });

  test('WHEN passwords are given as sensitive variables THEN the JSON refers to them', () => {
    const stack = dockerStack();
    const mine = new TerraformVariable(stack, 'my_root', { type: 'string', sensitive: true });
    new MariaDbReplicationCluster(stack, 'shop', clusterProps({ writeMode: WriteMode.EVERY_MASTER, credentials: { rootPassword: mine.stringValue } }));
    const json = JSON.parse(Testing.synth(stack, true));
    expect(json.variable.shop_root_password).toBeUndefined();
    expect(upload(json, 'shop-db-a', '/etc/mysql/ha/secrets/root')).toBe('${var.my_root}');
  });

  test('WHEN an image is to be pulled THEN a docker_image resource feeds the containers', () => {
    const { json } = synthCluster({ backend: new DockerBackend({ image: MariaDbImage.pull('mariadb:10.11') }) });
    const image = Object.values(json.resource.docker_image)[0] as any;
    expect(image).toMatchObject({ name: 'mariadb:10.11', keep_locally: true });
    const container = Object.values(json.resource.docker_container)[0] as any;
    expect(container.image).toMatch(/^\$\{docker_image\.\w+\.image_id\}$/);
  });

  describe('WHEN hosts declare MariaDB versions (a rolling upgrade under way)', () => {
    const versions = (a: string, b: string, analytics: string) => ({
      masters: [{ name: 'db-a', mariadbVersion: a }, { name: 'db-b', mariadbVersion: b }],
      replicas: [{ name: 'analytics', source: 'db-b', role: ReplicaRole.ANALYTICS, mariadbVersion: analytics }],
      promotion: { allowRisky: ['db-b'] },
    });
    const imageOf = (json: any, host: string) => (Object.values(json.resource.docker_container).find((c: any) => c.name === `shop-${host}`) as any).image;

    test('THEN each host runs its series\' image, on the same data volume, and the description carries the version', () => {
      const { json } = synthCluster(versions('10.11.14', '11.8', '11.8.3'));
      expect(['db-a', 'db-b', 'analytics'].map((h) => imageOf(json, h)))
        .toEqual(['cdktf-mariadb-ha/mariadb:10.11-bookworm', 'cdktf-mariadb-ha/mariadb:11.8-trixie', 'cdktf-mariadb-ha/mariadb:11.8-trixie']);
      expect(json.output.shop_cluster.value.hosts.map((h: any) => h.mariadbVersion)).toEqual(['10.11.14', '11.8', '11.8.3']);
    });

    test('THEN a pulled image per series is one docker_image resource each', () => {
      const images = { '10.11': MariaDbImage.pull('mariadb:10.11'), '11.8': MariaDbImage.pull('mariadb:11.8') };
      const { json } = synthCluster({ ...versions('10.11', '11.8', '11.8'), backend: new DockerBackend({ images }) });
      expect(Object.values(json.resource.docker_image).map((i: any) => i.name).sort()).toEqual(['mariadb:10.11', 'mariadb:11.8']);
      expect(imageOf(json, 'db-b')).toMatch(/^\$\{docker_image\.\w*image-11-8\w*\.image_id\}$/);
    });

    test('THEN a series with no image is refused, as is a series the user\'s own image may not be', () => {
      expect(() => synthCluster({ ...versions('10.11', '12.3', '12.3'), backend: new DockerBackend() })).toThrow(new RegExp([
        "test/shop\\.backend\\.images: db-b declares MariaDB 12\\.3 but no image runs series 12\\.3: give backend\\.images a '12\\.3' entry \\(the project builds 10\\.11 and 11\\.8\\)",
        'test/shop\\.backend\\.images: analytics declares MariaDB 12\\.3',
      ].join('[\\s\\S]*')));
      expect(() => synthCluster({ ...versions('10.11', '11.8', '11.8'), backend: new DockerBackend({ image: MariaDbImage.local('my/mariadb:latest') }) }))
        .toThrow(/backend\.images: db-a declares MariaDB 10\.11 but no image runs series 10\.11: give backend\.images a '10\.11' entry\n/);
    });
  });

  test('WHEN publishing beyond loopback is opted into THEN the ports use it and synth warns', () => {
    const stack = dockerStack();
    const cluster = new MariaDbReplicationCluster(stack, 'shop', clusterProps({ writeMode: WriteMode.EVERY_MASTER, backend: new DockerBackend({ publishAddress: '0.0.0.0', publishBeyondLoopback: true }) }));
    const text = Testing.synth(stack, true);
    expect(text).toHaveResourceWithProperties(Container, { name: 'shop-db-a', ports: [{ internal: 3306, external: 23306, ip: '0.0.0.0', protocol: 'tcp' }] });
    expect(JSON.stringify(cluster.node.metadata)).toMatch(/backend\.publishAddress: database ports are published on 0\.0\.0\.0, beyond this machine/);
  });

  test('WHEN one writer at a time is asked for with no writer endpoint THEN synth says what to add', () => {
    const stack = dockerStack();
    new MariaDbReplicationCluster(stack, 'shop', clusterProps({}));
    expect(() => Testing.synth(stack, true)).toThrow(/test\/shop: writeMode: with WriteMode\.ONE_WRITER \(the default\) every master starts read-only and only a writer endpoint \(HaproxyWriterEndpoint\) makes one writable; add an endpoint for this cluster, or set writeMode: WriteMode\.EVERY_MASTER/);
  });

  test('WHEN three masters form a ring THEN synth warns', () => {
    const stack = dockerStack();
    new MariaDbReplicationCluster(stack, 'ring', clusterProps({
      masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }],
      layout: MultiMasterLayout.RING,
      writeMode: WriteMode.EVERY_MASTER,
      replicas: [],
    }));
    const manifest = Testing.fullSynth(stack);
    const stackManifest = JSON.parse(require('fs').readFileSync(`${manifest}/manifest.json`, 'utf8')).stacks.test;
    expect(JSON.stringify(stackManifest.annotations)).toMatch(/ring of 3/);
  });

  test('WHEN the stack has no Docker provider THEN synth says what to add', () => {
    const stack = new TerraformStack(Testing.app(), 'bare');
    expect(() => new MariaDbReplicationCluster(stack, 'shop', clusterProps())).toThrow(/no Docker provider; add `new DockerProvider/);
  });
});

describe('bad input fails at synth naming the construct path and the property', () => {
  const cases: Array<[string, Parameters<typeof clusterProps>[0], RegExp]> = [
    ['duplicate server ids', { masters: [{ name: 'db-a', serverId: 7 }, { name: 'db-b', serverId: 7 }] },
      /test\/shop\.masters\[1\]\.serverId: 7 is already the server_id of masters\[0\] \(db-a\)/],
    ['a replica reusing a master server id', { replicas: [{ name: 'analytics', source: 'db-b', serverId: 2 }] },
      /test\/shop\.replicas\[0\]\.serverId: 2 is already the server_id of masters\[1\]/],
    ['two writers with the same offset', { masters: [{ name: 'db-a' }, { name: 'db-b', autoIncrementOffset: 1 }] },
      /test\/shop\.masters\[1\]\.autoIncrementOffset: 1 is already the offset of masters\[0\] \(db-a\)/],
    ['increment smaller than the writer count', { masters: [{ name: 'db-a' }, { name: 'db-b' }, { name: 'db-c' }], autoIncrementIncrement: 2 },
      /test\/shop\.autoIncrementIncrement: 2 is smaller than the number of writers \(3\)/],
    ['overlapping key ranges', { masters: [{ name: 'db-a', keyRange: { start: 1, end: 1000 } }, { name: 'db-b', keyRange: { start: 500, end: 2000 } }] },
      /test\/shop\.masters\[1\]\.keyRange: \[500, 2000\] overlaps \[1, 1000\] of masters\[0\] \(db-a\)/],
    ['a key range on one writer only', { masters: [{ name: 'db-a', keyRange: { start: 1, end: 1000 } }, { name: 'db-b' }] },
      /test\/shop\.masters\[1\]\.keyRange: is missing/],
    ['an analytics replica of a host that does not exist', { replicas: [{ name: 'analytics', source: 'db-z', role: ReplicaRole.ANALYTICS }] },
      /test\/shop\.replicas\[0\]\.source: 'db-z' is not a host of this cluster; choose one of: db-a, db-b/],
    ['an empty password', { credentials: { rootPassword: '' } },
      /test\/shop\.credentials\.rootPassword: is empty or whitespace/],
    ['a whitespace password', { credentials: { replicationPassword: '   \t' } },
      /test\/shop\.credentials\.replicationPassword: is empty or whitespace/],
    ['a plain-text password', { credentials: { applicationPassword: 'hunter2hunter2' } },
      /test\/shop\.credentials\.applicationPassword: is a plain-text string and would be written into the synthesized JSON/],
    ['a topology with no standby', { masters: [{ name: 'db-a' }], replicas: [] },
      /test\/shop\.masters: declares 1 master\(s\); active\/passive needs an active master and at least one standby master/],
    ['an active master that is a replica', { activeMaster: 'analytics' },
      /test\/shop\.activeMaster: 'analytics' is a replica \(replicas\[0\]\), not a master/],
    ['duplicate host names', { replicas: [{ name: 'db-a', source: 'db-b' }] },
      /test\/shop\.replicas\[0\]\.name: 'db-a' is already the name of masters\[0\]/],
    ['a replica chain with no master', { replicas: [{ name: 'r1', source: 'r2' }, { name: 'r2', source: 'r1' }] },
      /test\/shop\.replicas\[0\]\.source: replication chain r1 <- r2 loops without reaching a master/],
    ['an invalid subnet', { backend: new DockerBackend({ subnet: '10.0.0.7/24' }) },
      /test\/shop\.backend\.subnet: '10\.0\.0\.7\/24' is not an IPv4 network/],
    ['publishing beyond loopback without opting in', { backend: new DockerBackend({ publishAddress: '0.0.0.0' }) },
      /test\/shop\.backend\.publishAddress: 0\.0\.0\.0 publishes every database port beyond this machine; use 127\.0\.0\.1, or set publishBeyondLoopback: true/],
    ['an invalid publish address', { backend: new DockerBackend({ publishAddress: 'localhost:80' }) },
      /test\/shop\.backend\.publishAddress: 'localhost:80' is not an IPv4 address/],
    ...['mysql', 'information_schema', 'PERFORMANCE_SCHEMA', 'sys'].map((databaseName): [string, Parameters<typeof clusterProps>[0], RegExp] =>
      [`the system schema ${databaseName} as the application database`, { databaseName },
        new RegExp(`test\\/shop\\.databaseName: '${databaseName}' is a MariaDB system schema`)]),
  ];

  test.each(cases)('%s', (_name, overrides, message) => {
    expect(() => new MariaDbReplicationCluster(dockerStack(), 'shop', clusterProps(overrides))).toThrow(message);
  });

  test.each(['`touch PWNED`', 'shop;id', 'shop 1', '1shop', "shop'"])('a cluster id that is not a plain name: %s', (id) => {
    expect(() => new MariaDbReplicationCluster(dockerStack(), id, clusterProps())).toThrow(/\.id: '.*' is not a cluster id: a letter, then up to 39 letters, digits, '-' or '_'/);
  });

  test('every problem is listed at once', () => {
    const attempt = () => new MariaDbReplicationCluster(dockerStack(), 'shop', clusterProps({
      masters: [{ name: 'db-a', serverId: 5 }, { name: 'db-b', serverId: 5, autoIncrementOffset: 1 }],
      replicas: [{ name: 'analytics', source: 'nowhere' }],
      credentials: { rootPassword: ' ' },
    }));
    expect(attempt).toThrow(/\(4 problems\)/);
    expect(attempt).toThrow(/masters\[1\]\.serverId[\s\S]*masters\[1\]\.autoIncrementOffset[\s\S]*replicas\[0\]\.source[\s\S]*credentials\.rootPassword/);
  });
});
