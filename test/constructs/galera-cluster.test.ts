// MariaDbGaleraCluster and GaleraWriterEndpoint synthesized on Docker: what Terraform is asked to
// create, in which order, and what the tools are told.
import 'cdktf/lib/testing/adapters/jest';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Testing } from 'cdktf';
import { DockerBackend, FailoverMonitorOptions, GaleraWriteMode, GaleraWriterEndpoint, MariaDbGaleraCluster, MariaDbGaleraClusterProps, MariaDbReplicationCluster, ReplicaRole } from '../../src';
import { clusterProps, dockerStack } from '../support/stacks';

const NODES = [{ name: 'node-1' }, { name: 'node-2' }, { name: 'node-3' }];

function synthGalera(overrides: Partial<MariaDbGaleraClusterProps> = {}, endpoint = true, monitor?: FailoverMonitorOptions) {
  const stack = dockerStack();
  const cluster = new MariaDbGaleraCluster(stack, 'shop', {
    nodes: NODES,
    replicas: [{ name: 'analytics', source: 'node-1', role: ReplicaRole.ANALYTICS }],
    backend: new DockerBackend(),
    ...overrides,
  });
  if (endpoint) new GaleraWriterEndpoint(stack, 'writer', { cluster, monitor });
  const text = Testing.synth(stack, true);
  return { json: JSON.parse(text), text, cluster };
}

const containerNamed = (json: any, name: string) => Object.entries(json.resource.docker_container).find(([, c]: any) => c.name === name) as [string, any];

describe('MariaDbGaleraCluster on Docker', () => {
  describe('GIVEN three nodes, an analytics replica and the endpoint', () => {
    const { json, text } = synthGalera();

    test('THEN each node and the replica get a volume and a container on 127.0.0.1, numbered in declaration order', () => {
      ['node-1', 'node-2', 'node-3'].forEach((n, i) => expect(text).toHaveResourceWithProperties(Container, {
        name: `shop-${n}`, ports: [{ internal: 3306, external: 23306 + i, ip: '127.0.0.1', protocol: 'tcp' }],
      }));
      expect(text).toHaveResourceWithProperties(Container, { name: 'shop-analytics', ports: [{ internal: 3306, external: 23316, ip: '127.0.0.1', protocol: 'tcp' }] });
    });

    test('THEN only the first node\'s volume is marked to start a new cluster, once, by a resource created with the cluster', () => {
      const genesis = Object.entries(json.resource.terraform_data).filter(([id]) => id.includes('genesis'));
      expect(genesis).toHaveLength(1);
      const [, resource] = genesis[0] as [string, any];
      expect(resource.provisioner[0]['local-exec'].command).toMatch(/'seed' '--volume' '\$\{docker_volume\.shop_node-1-data_\w+\.name\}' '--image' '.*' '--new-cluster'$/);
      expect(resource.triggers_replace).toBeUndefined();
      const [, first] = containerNamed(json, 'shop-node-1');
      expect(first.depends_on).toEqual([expect.stringMatching(/^terraform_data\.shop_genesis_/)]);
    });

    test('THEN each other node joins once the one before it is a synced member, and no node is rebuilt by Terraform (that would stop them all)', () => {
      // One at a time, each after the one before it.
      for (const [previous, n] of [['node-1', 'node-2'], ['node-2', 'node-3']]) {
        expect(containerNamed(json, `shop-${n}`)[1].depends_on).toEqual([`docker_container.${containerNamed(json, `shop-${previous}`)[0]}`]);
      }
      for (const n of ['node-1', 'node-2', 'node-3']) {
        const [, node] = containerNamed(json, `shop-${n}`);
        expect(node.lifecycle).toEqual({ ignore_changes: ['upload'] });
        expect(node.healthcheck.test[0]).toBe('CMD-SHELL');
        expect(node.healthcheck.test[1]).toContain("= 'NONE Primary 4' ]");
      }
      expect(Object.keys(json.resource.terraform_data).filter((id) => /node-\d-files/.test(id))).toEqual([]);
      expect(containerNamed(json, 'shop-analytics')[1].lifecycle.replace_triggered_by).toEqual([expect.stringMatching(/^terraform_data\.shop_analytics-files_/)]);
    });

    test('THEN changed settings reach the nodes through one rollout step, after every node, carrying the planned files (no secret)', () => {
      const [, rollout] = Object.entries(json.resource.terraform_data).find(([id]) => id.includes('rollout')) as [string, any];
      const exec = rollout.provisioner[0]['local-exec'];
      expect(exec.command).toMatch(/'rolling-restart' '--cluster' 'shop'$/);
      const files = JSON.parse(Buffer.from(exec.environment.MARIADB_HA_NODE_FILES_B64, 'base64').toString('utf8'));
      expect(Object.keys(files)).toEqual(['node-1', 'node-2', 'node-3']);
      expect(files['node-2'].serverConfig).toContain('wsrep_node_name = node-2');
      expect(JSON.stringify(files)).not.toMatch(/var\.shop_\w+_password/);
      expect(rollout.depends_on.filter((d: string) => d.startsWith('docker_container.'))).toHaveLength(3);
    });

    test('THEN the endpoint fronts the nodes and a monitor watches them for the replica; the tools are told of both', () => {
      expect(text).toHaveResourceWithProperties(Container, { name: 'shop-writer', ports: [{ internal: 3306, external: 23300, ip: '127.0.0.1', protocol: 'tcp' }] });
      expect(text).toHaveResourceWithProperties(Container, { name: 'shop-monitor' });
      const description = json.output.shop_cluster.value;
      expect(description.galera).toEqual({ clusterName: 'shop', nodes: ['node-1', 'node-2', 'node-3'], bootstrapNode: 'node-1', voters: 3, writeMode: 'one-node' });
      expect(description.endpoint.haproxy).toMatchObject({ monitorContainer: expect.stringMatching(/^\$\{docker_container\.writer_monitor_\w+\.name\}$/), instances: [{ backendName: 'shop-writer', clientPort: 23300 }] });
      expect(description.hosts.map((h: any) => [h.name, h.kind, h.serverId, h.sources])).toEqual([
        ['node-1', 'galera-node', 1, []], ['node-2', 'galera-node', 1, []], ['node-3', 'galera-node', 1, []], ['analytics', 'replica', 101, ['node-1']],
      ]);
    });

    test('THEN every password is a sensitive variable, referenced, never a value', () => {
      for (const account of ['root', 'replication', 'monitor', 'operator', 'application']) expect(json.variable[`shop_${account}_password`]).toMatchObject({ sensitive: true });
      const [, node] = containerNamed(json, 'shop-node-2');
      expect(node.upload.find((u: any) => u.file === '/etc/mysql/ha/secrets/root').content).toBe('${var.shop_root_password}');
      expect(JSON.stringify(json.variable)).not.toMatch(/"default"/);
    });
  });

  describe('GIVEN an arbitrator', () => {
    test('THEN garbd runs in the server image on the cluster network, after the nodes, in the cluster\'s group, publishing nothing', () => {
      const { json } = synthGalera({ nodes: NODES.slice(0, 2), arbitrator: { name: 'arbiter' }, replicas: [] }, false);
      const [, arbiter] = containerNamed(json, 'shop-arbiter');
      expect(arbiter).toMatchObject({
        entrypoint: ['garbd'],
        command: ['--address', 'gcomm://node-1:4567,node-2:4567', '--group', 'shop', '--name', 'arbiter', '--options', 'gmcast.listen_addr=tcp://0.0.0.0:4567'],
        networks_advanced: [{ aliases: ['arbiter'], ipv4_address: '10.213.0.39' }],
        stop_signal: 'SIGINT',
      });
      expect(arbiter.ports).toBeUndefined();
      expect(arbiter.depends_on).toHaveLength(2);
      expect(json.output.shop_cluster.value.galera.voters).toBe(3);
    });
  });

  describe('GIVEN no replica', () => {
    const names = (json: any) => Object.values(json.resource.docker_container).map((c: any) => c.name).sort();
    test('THEN the monitor still runs: it restarts the cluster when every node was lost', () => {
      const { json } = synthGalera({ replicas: [], writeMode: GaleraWriteMode.ALL_NODES });
      expect(names(json)).toEqual(['shop-monitor', 'shop-node-1', 'shop-node-2', 'shop-node-3', 'shop-writer']);
      const config = JSON.parse(containerNamed(json, 'shop-monitor')[1].upload.find((u: any) => u.file.endsWith('config.json')).content);
      expect(config.options.galeraRecovery).toBe(true);
    });

    test('AND automatic recovery off THEN no monitor runs: no replica needs moving, and a node outside the primary component refuses writes by itself', () => {
      const { json } = synthGalera({ replicas: [], writeMode: GaleraWriteMode.ALL_NODES }, true, { galeraRecovery: false });
      expect(names(json)).toEqual(['shop-node-1', 'shop-node-2', 'shop-node-3', 'shop-writer']);
    });
  });

  describe('GIVEN bad input', () => {
    test('WHEN nodes are too few and the engine is not InnoDB THEN synth names the construct path and each property, all at once', () => {
      expect(() => synthGalera({ nodes: NODES.slice(0, 2), defaultStorageEngine: 'Aria' })).toThrow(
        /Invalid MariaDB topology at 'test\/shop' \(2 problems\):\n {2}- test\/shop\.nodes: 2 voters [^\n]*\n {2}- test\/shop\.defaultStorageEngine: 'Aria'/);
    });

    test('WHEN a Galera cluster and a master-master cluster would share Docker names THEN synth refuses', () => {
      const stack = dockerStack();
      new MariaDbReplicationCluster(stack, 'shop', clusterProps({ backend: new DockerBackend({ namePrefix: 'db', subnet: '10.213.1.0/24', hostPortBase: 24306 }) }));
      expect(() => new MariaDbGaleraCluster(stack, 'shop_g', { nodes: NODES, backend: new DockerBackend({ namePrefix: 'db' }) }))
        .toThrow(/test\/shop_g\.backend\.namePrefix: 'db' already names the Docker objects of the cluster at 'test\/shop'/);
    });

    test('WHEN the ids of two clusters give the same variable names THEN synth refuses', () => {
      const stack = dockerStack();
      new MariaDbGaleraCluster(stack, 'shop-1', { nodes: NODES, backend: new DockerBackend({ subnet: '10.213.1.0/24', hostPortBase: 24306 }) });
      expect(() => new MariaDbGaleraCluster(stack, 'shop_1', { nodes: NODES, backend: new DockerBackend() }))
        .toThrow(/test\/shop_1\.id: 'shop_1' gives the same Terraform variable names \(shop_1_\*\) as the cluster at 'test\/shop-1'/);
    });
  });
});
