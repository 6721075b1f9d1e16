import { Container } from '@cdktf/provider-docker/lib/container';
import 'cdktf/lib/testing/adapters/jest';
import { join } from 'path';
import { Testing } from 'cdktf';
import { HaproxyWriterEndpoint, MariaDbReplicationCluster, VirtualIpOptions, WriteMode } from '../../src';
import { clusterProps, dockerStack } from '../support/stacks';

function synthEndpoint(activeMaster = 'db-a', virtualIp?: VirtualIpOptions) {
  const stack = dockerStack();
  const cluster = new MariaDbReplicationCluster(stack, 'shop', clusterProps({ activeMaster }));
  new HaproxyWriterEndpoint(stack, 'writer', { cluster, hostPort: 23300, virtualIp });
  const text = Testing.synth(stack, true);
  return { text, json: JSON.parse(text) };
}

describe('HaproxyWriterEndpoint', () => {
  const { text, json } = synthEndpoint();
  const haproxy = Object.values(json.resource.docker_container).find((c: any) => c.name === 'shop-writer') as any;
  const switchover = Object.entries(json.resource.terraform_data).find(([k]) => k.includes('switchover'))![1] as any;

  test('HAProxy publishes the client port on 127.0.0.1 only; its runtime API is a unix socket, not a port', () => {
    expect(text).toHaveResourceWithProperties(Container, {
      name: 'shop-writer',
      ports: [{ internal: 3306, external: 23300, ip: '127.0.0.1', protocol: 'tcp' }],
    });
    const config = (Object.values(json.locals)[0] as any)['db-a'];
    expect(config).toContain('stats socket /run/haproxy/admin.sock mode 600 user haproxy group haproxy level admin');
    expect(config).not.toMatch(/stats socket .*(ipv4@|:\d+ )/);
    expect(config).toMatch(/\n {2}user haproxy\n {2}group haproxy\n/);
  });

  test('HAProxy checks through the check agents it starts beside itself, under Docker\'s init', () => {
    const agents = haproxy.upload.find((u: any) => u.file === '/etc/haproxy/mariadb-ha/check-agents.sh');
    expect(agents).toMatchObject({ permissions: '0755' });
    expect(agents.content.split('\n').filter((l: string) => l.startsWith('agent '))).toEqual(['agent db-a 1 10.213.0.10 &', 'agent db-b 2 10.213.0.11 &']);
    expect(haproxy.command[2]).toContain('{ /etc/haproxy/mariadb-ha/check-agents.sh & } && exec haproxy -W -db -f /etc/haproxy/mariadb-ha/haproxy.cfg');
    expect(haproxy.init).toBe(true);
  });

  test('a removed master leaves before a switchover of the same apply, so removing the writer is refused, not raced', () => {
    const membership = Object.entries(json.resource.terraform_data).find(([k]) => /membership/.test(k))![1] as any;
    expect(membership.depends_on).toContainEqual(expect.stringMatching(/^terraform_data\.writer_switchover_\w+$/));
  });

  test('the active master is a validated variable defaulting to the declared one', () => {
    const variable = json.variable.shop_active_master;
    expect(variable.default).toBe('db-a');
    expect(variable.validation[0].condition).toBe('${contains(["db-a","db-b"], var.shop_active_master)}');
  });

  test('changing the active master cannot restart HAProxy: its config upload is ignored, real config changes replace it', () => {
    expect(haproxy.lifecycle.ignore_changes).toEqual(['upload']);
    expect(haproxy.lifecycle.replace_triggered_by).toEqual([expect.stringMatching(/^terraform_data\.writer_config-revision_\w+$/)]);
    expect(haproxy.upload[0].content).toMatch(/^\$\{local\.writer_config-by-active-master_\w+\[var\.shop_active_master\]\}$/);
  });

  test('a switchover is a terraform_data replaced when the variable changes, running mariadb-ha without secrets in its config', () => {
    expect(switchover.triggers_replace).toEqual({ activeMaster: '${var.shop_active_master}' });
    const exec = switchover.provisioner[0]['local-exec'];
    // Every argument single-quoted: nothing in an id or a variable reaches the shell as code.
    expect(exec.command).toMatch(/^node "\$\(node -p "process\.env\.MARIADB_HA_CLI \|\| require\.resolve\('cdktf-mariadb-ha\/bin\/mariadb-ha\.js'\)"\)" 'switchover' '--cluster' 'shop' '--to' '\$\{var\.shop_active_master\}' '--max-lag' '5'/);
    expect(JSON.stringify(exec)).not.toMatch(/password/i);
    expect(JSON.parse(exec.environment.MARIADB_HA_DESCRIPTION).endpoint).toEqual({
      kind: 'haproxy',
      address: '127.0.0.1',
      port: 23300,
      haproxy: {
        backend: 'writer', configPath: '/etc/haproxy/mariadb-ha/haproxy.cfg',
        instances: [{ clientAddress: '127.0.0.1', clientPort: 23300, backendName: 'shop-writer' }],
        monitorContainer: expect.stringMatching(/^\$\{docker_container\.writer_monitor_[0-9A-F]+\.name\}$/),
      },
    });
  });

  test('one failover monitor container runs mariadb-ha monitor (the bundled command) with its configuration, the operator and replication secrets as references, and a state volume', () => {
    const monitor = Object.values(json.resource.docker_container).find((c: any) => c.name === 'shop-monitor') as any;
    expect(monitor.command).toEqual(['node', '/etc/mariadb-ha/monitor/mariadb-ha.js', 'monitor', '--config', '/etc/mariadb-ha/monitor/config.json']);
    expect(monitor.networks_advanced[0].ipv4_address).toBe('10.213.0.9');
    expect(monitor.ports).toBeUndefined();
    const upload = (file: string) => monitor.upload.find((u: any) => u.file === file);
    expect(upload('/etc/mariadb-ha/monitor/secrets/operator').content).toBe('${var.shop_operator_password}');
    expect(upload('/etc/mariadb-ha/monitor/secrets/replication').content).toBe('${var.shop_replication_password}');
    // The program is a file asset of the stack, not inline JSON.
    expect(upload('/etc/mariadb-ha/monitor/mariadb-ha.js')).toMatchObject({ source: expect.stringMatching(/^assets\/.+\/mariadb-ha\.js$/), source_hash: expect.any(String) });
    // The configuration: every host at its address on the cluster network, nothing Terraform resolves later.
    const config = JSON.parse(upload('/etc/mariadb-ha/monitor/config.json').content);
    expect(config.description.hosts.map((h: any) => [h.name, h.address, h.port])).toEqual([['db-a', '10.213.0.10', 3306], ['db-b', '10.213.0.11', 3306], ['analytics', '10.213.0.20', 3306]]);
    expect(config.options).toEqual({ detectionMs: 3000, probeIntervalMs: 500, catchUpTimeoutSeconds: 60, galeraRecovery: true });
    expect(config.runtimeSockets).toEqual({ 'shop-writer': '/run/mariadb-ha/endpoints/shop-writer/admin.sock' });
    expect(JSON.stringify(config)).not.toMatch(/\$\{/);
    // Its state and the endpoint's runtime socket on volumes; a rotation updates the secrets in place.
    expect(monitor.volumes.map((v: any) => v.container_path).sort()).toEqual(['/run/mariadb-ha/endpoints/shop-writer', '/var/lib/mariadb-ha']);
    const haproxy = Object.values(json.resource.docker_container).find((c: any) => c.name === 'shop-writer') as any;
    expect(haproxy.volumes).toEqual([{ container_path: '/run/haproxy', volume_name: expect.stringMatching(/^\$\{docker_volume\.writer_haproxy-runtime_\w+\.name\}$/) }]);
    expect(monitor.lifecycle.ignore_changes).toEqual(['upload']);
    expect(monitor.lifecycle.replace_triggered_by).toEqual([expect.stringMatching(/^terraform_data\.writer_monitor-revision_\w+$/)]);
  });

  test('with a virtual IP there are two HAProxy instances but still one monitor: one actor decides', () => {
    const pair = synthEndpoint('db-a', {}).json;
    const names = Object.values(pair.resource.docker_container).map((c: any) => c.name).sort();
    expect(names.filter((n: string) => n.startsWith('shop-writer'))).toEqual(['shop-writer-1', 'shop-writer-2']);
    expect(names.filter((n: string) => n.includes('monitor'))).toEqual(['shop-monitor']);
  });

  test('bad monitor settings and a monitor on a cluster where every master writes are refused, all at once', () => {
    const stack = dockerStack();
    const cluster = new MariaDbReplicationCluster(stack, 'shop', clusterProps({}));
    expect(() => new HaproxyWriterEndpoint(stack, 'writer', { cluster, monitor: { probeIntervalMs: 50, detectionMs: 90 } }))
      .toThrow(/\(2 problems\):\n {2}- test\/writer\.monitor\.probeIntervalMs: 50 is not a whole number of milliseconds in 100\.\.10000\n {2}- test\/writer\.monitor\.detectionMs: 90 must be a whole number of milliseconds from two probe intervals/);
    const every = dockerStack();
    const writable = new MariaDbReplicationCluster(every, 'shop', clusterProps({ writeMode: WriteMode.EVERY_MASTER }));
    expect(() => new HaproxyWriterEndpoint(every, 'writer', { cluster: writable, monitor: { detectionMs: 5000 } }))
      .toThrow(/monitor: the failover monitor serves clusters with one writer at a time; this cluster's writeMode is every-master/);
  });

  test('the synthesized JSON names no path of the checkout that synthesized it (provisioners find the CLI by package name)', () => {
    const root = join(__dirname, '..', '..');
    expect(text.includes(root)).toBe(false);
  });

  test('an application container joins the cluster network and reaches the endpoint without casts', () => {
    const stack = dockerStack();
    const cluster = new MariaDbReplicationCluster(stack, 'shop', clusterProps({}));
    const writer = new HaproxyWriterEndpoint(stack, 'writer', { cluster, hostPort: 23300 });
    new Container(stack, 'app', {
      name: 'shop-app', image: 'my-app',
      networksAdvanced: [{ name: writer.networkName }],
      env: [`DB_HOST=${writer.networkAddress}`, `DB_PORT=${writer.networkPort}`],
    });
    const app = Object.values(JSON.parse(Testing.synth(stack)).resource.docker_container).find((c: any) => c.name === 'shop-app') as any;
    expect(app.networks_advanced).toEqual([{ name: expect.stringMatching(/^\$\{docker_network\.shop_network_\w+\.name\}$/) }]);
    expect(app.env).toEqual(['DB_HOST=10.213.0.5', 'DB_PORT=3306']);
    expect([writer.address, writer.port]).toEqual(['127.0.0.1', 23300]);
  });

  test('the declared active master changes only the variable default', () => {
    const other = synthEndpoint('db-b').json;
    expect(other.resource).toEqual(json.resource);
    expect(other.variable.shop_active_master.default).toBe('db-b');
  });

  test('the description output names the endpoint and reports the variable as the active master', () => {
    expect(json.output.shop_cluster.value).toMatchObject({ activeMaster: '${var.shop_active_master}', candidates: ['db-a', 'db-b'], endpoint: { port: 23300 } });
  });
});

describe('every container of a cluster and its endpoint is hardened', () => {
  const { json } = synthEndpoint();
  const containers = Object.values(json.resource.docker_container) as any[];

  test('Docker\'s default capabilities dropped, no-new-privileges, and only what each process needs added back', () => {
    expect(Object.fromEntries(containers.map((c) => [c.name, c.capabilities.add]))).toEqual({
      'shop-db-a': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'],
      'shop-db-b': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'],
      'shop-analytics': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'],
      'shop-writer': ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_SETUID', 'CAP_SETGID', 'CAP_KILL'],
      'shop-monitor': ['CAP_DAC_OVERRIDE'],
    });
    for (const c of containers) {
      expect({ name: c.name, drop: c.capabilities.drop, securityOpts: c.security_opts }).toEqual({ name: c.name, drop: ['ALL'], securityOpts: ['no-new-privileges:true'] });
    }
  });
});

describe('HaproxyWriterEndpoint with a virtual IP', () => {
  const { json } = synthEndpoint('db-a', {});
  const containers = (Object.values(json.resource.docker_container) as any[]).filter((c) => c.name.startsWith('shop-writer')).sort((a, b) => a.name.localeCompare(b.name));

  test('two instances, each with HAProxy and keepalived, sharing the network\'s .4 address', () => {
    expect(containers.map((c) => [c.name, c.networks_advanced[0].ipv4_address, c.ports.map((p: any) => p.external)])).toEqual([
      ['shop-writer-1', '10.213.0.5', [23300]],
      ['shop-writer-2', '10.213.0.6', [23301]],
    ]);
    for (const c of containers) {
      expect(c.command.join(' ')).toMatch(/keepalived --dont-fork .* & mkdir .* && exec haproxy -W -db/);
      expect(c.capabilities).toEqual({ drop: ['ALL'], add: expect.arrayContaining(['CAP_NET_ADMIN', 'CAP_NET_BROADCAST', 'CAP_NET_RAW']) });
    }
    const keepalived = containers[1].upload.find((u: any) => u.file === '/etc/keepalived/mariadb-ha.conf').content;
    expect(keepalived).toMatch(/check_unicast_src\n {2}unicast_src_ip 10\.213\.0\.6\n {2}unicast_peer \{\n {4}10\.213\.0\.5\n/);
    expect(keepalived).toContain('10.213.0.4/24 dev eth0');
  });

  test('clients and tools find the virtual IP and every instance', () => {
    expect(json.output.shop_cluster.value.endpoint).toMatchObject({ address: '10.213.0.4', port: 3306, haproxy: { virtualIp: '10.213.0.4' } });
    expect(json.output.shop_cluster.value.endpoint.haproxy.instances.map((i: any) => i.backendName)).toEqual(['shop-writer-1', 'shop-writer-2']);
  });

  test('bad virtual IP settings are rejected with their property', () => {
    expect(() => synthEndpoint('db-a', { routerId: 300, address: '10.213.0' })).toThrow(/writer\.virtualIp\.routerId: 300 is not a VRRP router id[\s\S]*writer\.virtualIp\.address: '10\.213\.0' is not an IPv4 address/);
  });
});
