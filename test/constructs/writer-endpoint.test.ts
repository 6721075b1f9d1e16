import { Container } from '@cdktf/provider-docker/lib/container';
import 'cdktf/lib/testing/adapters/jest';
import { Testing } from 'cdktf';
import { HaproxyWriterEndpoint, MariaDbReplicationCluster } from '../../src';
import { clusterProps, dockerStack } from '../support/stacks';

function synthEndpoint(activeMaster = 'db-a') {
  const stack = dockerStack();
  const cluster = new MariaDbReplicationCluster(stack, 'shop', clusterProps({ activeMaster }));
  new HaproxyWriterEndpoint(stack, 'writer', { cluster, hostPort: 23300 });
  const text = Testing.synth(stack, true);
  return { text, json: JSON.parse(text) };
}

describe('HaproxyWriterEndpoint', () => {
  const { text, json } = synthEndpoint();
  const haproxy = Object.values(json.resource.docker_container).find((c: any) => c.name === 'shop-writer') as any;
  const switchover = Object.entries(json.resource.terraform_data).find(([k]) => k.includes('switchover'))![1] as any;

  test('HAProxy publishes the endpoint and its runtime API on 127.0.0.1 only', () => {
    expect(text).toHaveResourceWithProperties(Container, {
      name: 'shop-writer',
      ports: [{ internal: 3306, external: 23300, ip: '127.0.0.1', protocol: 'tcp' }, { internal: 9999, external: 23301, ip: '127.0.0.1', protocol: 'tcp' }],
    });
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
    expect(exec.command).toMatch(/bin\/mariadb-ha\.js" switchover --cluster shop --to \$\{var\.shop_active_master\} --max-lag 5/);
    expect(JSON.stringify(exec)).not.toMatch(/password/i);
    expect(JSON.parse(exec.environment.MARIADB_HA_DESCRIPTION).endpoint).toMatchObject({ port: 23300, runtimePort: 23301, backendName: 'shop-writer' });
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
