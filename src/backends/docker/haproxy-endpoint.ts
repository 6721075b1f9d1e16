// The writer endpoint on local Docker: HAProxy in front of the masters, published on 127.0.0.1.
// Which master is active is one Terraform variable (defaulting to the cluster's `activeMaster`);
// changing it replaces only a terraform_data whose provisioner runs `mariadb-ha switchover`.
import { Container } from '@cdktf/provider-docker/lib/container';
import { createHash } from 'crypto';
import { join } from 'path';
import { Construct, DataResource, Fn, TerraformLocal, TerraformVariable } from '../../cdktf';
import { ReplicationClusterLike } from '../../constructs/cluster-like';
import { throwIfProblems, Problem } from '../../model/problems';
import { MONITOR_USER } from '../../model/accounts';
import {
  EndpointRender, HAPROXY_CONFIG_PATH, HAPROXY_RUNTIME_PORT, HAPROXY_SECRETS_DIR, renderHaproxyConfig, renderWriterCheck,
  WRITER_BACKEND, WRITER_CHECK_PATH, WriterHealthCheck,
} from '../../render/haproxy-config';
import { MARIADB_PORT } from '../../render/server-config';
import { packageRoot } from '../../package-root';
import { DockerBackend, ENDPOINT_OFFSET, LOOPBACK } from './docker-backend';

/** The image scripts/build-images.sh builds offline (HAProxy 2.6, keepalived, MariaDB client). */
export const PROJECT_HAPROXY_IMAGE = 'cdktf-mariadb-ha/haproxy:2.6-bookworm';
export const DEFAULT_ENDPOINT_PORT = 23300;

/** How `terraform apply` performs a switchover when the active master changes. */
export interface SwitchoverSettings {
  /**
   * Refuse when the target is further behind than this many seconds.
   * @default 5
   */
  readonly maxLagSeconds?: number;
  /**
   * Seconds the target may take to apply everything the old master committed.
   * @default 10
   */
  readonly catchUpTimeoutSeconds?: number;
  /**
   * Seconds to wait for healthy replication before refusing (covers a fresh deployment).
   * @default 120
   */
  readonly waitHealthySeconds?: number;
}

export interface HaproxyWriterEndpointProps {
  /** The cluster whose masters the endpoint fronts (on a DockerBackend). */
  readonly cluster: ReplicationClusterLike;
  /**
   * Host port clients connect to (published on 127.0.0.1).
   * @default 23300
   */
  readonly hostPort?: number;
  /**
   * Host port of HAProxy's runtime API (published on 127.0.0.1), used by `mariadb-ha`.
   * @default - hostPort + 1
   */
  readonly runtimeHostPort?: number;
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
}

export class HaproxyWriterEndpoint extends Construct {
  /** The variable that names the active master; `-var <cluster>_active_master=db-b` switches over. */
  public readonly activeMasterVariable: TerraformVariable;
  public readonly container: Container;
  /** Where clients connect. */
  public readonly address = LOOPBACK;
  public readonly port: number;

  constructor(scope: Construct, id: string, props: HaproxyWriterEndpointProps) {
    super(scope, id);
    const { cluster } = props;
    const backend = cluster.backend;
    if (!(backend instanceof DockerBackend)) {
      throw new Error(`${this.node.path}: HaproxyWriterEndpoint needs a cluster on a DockerBackend`);
    }
    this.port = props.hostPort ?? DEFAULT_ENDPOINT_PORT;
    const runtimePort = props.runtimeHostPort ?? this.port + 1;
    throwIfProblems(this.node.path, portProblems(this.port, runtimePort));

    const plan = cluster.plan;
    const prefix = backend.namePrefix(cluster);
    const addresses = Object.fromEntries(cluster.connections.map((c) => [c.hostName, c.networkAddress]));
    const render = (activeMaster: string): string => renderHaproxyConfig(plan, { activeMaster, addresses, healthCheck: props.healthCheck, checkUser: MONITOR_USER } as EndpointRender);
    const configs = Object.fromEntries(plan.candidates.map((c) => [c, render(c)]));
    const checkScript = renderWriterCheck(MONITOR_USER, props.healthCheck);

    const variableName = `${cluster.variablePrefix}_active_master`;
    this.activeMasterVariable = new TerraformVariable(this, 'active-master', {
      type: 'string',
      default: plan.activeMaster,
      description: `The master the writer endpoint sends writes to; one of: ${plan.candidates.join(', ')}. Changing it switches over.`,
    });
    this.activeMasterVariable.overrideLogicalId(variableName);
    this.activeMasterVariable.addValidation({
      condition: `\${contains(${JSON.stringify(plan.candidates)}, var.${variableName})}`,
      errorMessage: `${variableName} must be a promotion candidate: ${plan.candidates.join(', ')}.`,
    });
    const active = this.activeMasterVariable.stringValue;
    // A local, not an inline map: cdktf 0.21 mis-escapes quotes inside inline map expressions.
    const configByActive = new TerraformLocal(this, 'config-by-active-master', configs);
    const activeConfig = Fn.lookup(configByActive.asAnyMap, active);

    // The container is replaced only when its config changes for a reason other than the active
    // master; a switchover must not restart HAProxy and drop every client connection.
    const canonical = plan.hosts.find((h) => plan.candidates.includes(h.name))!.name;
    const revision = new DataResource(this, 'config-revision', {
      input: {
        config: sha256(configs[canonical] + checkScript),
        monitorPassword: Fn.sha256(cluster.secrets.monitor),
      },
    });

    this.container = new Container(this, 'haproxy', {
      name: `${prefix}-writer`,
      image: props.image ?? PROJECT_HAPROXY_IMAGE,
      hostname: 'writer',
      command: ['haproxy', '-W', '-db', '-f', HAPROXY_CONFIG_PATH],
      networksAdvanced: [{ name: backend.networkName!, aliases: ['writer'], ipv4Address: backend.addressAt(ENDPOINT_OFFSET) }],
      ports: [
        { internal: MARIADB_PORT, external: this.port, ip: LOOPBACK, protocol: 'tcp' },
        { internal: HAPROXY_RUNTIME_PORT, external: runtimePort, ip: LOOPBACK, protocol: 'tcp' },
      ],
      upload: [
        { file: HAPROXY_CONFIG_PATH, content: activeConfig, permissions: '0644' },
        { file: WRITER_CHECK_PATH, content: checkScript, executable: true },
        { file: `${HAPROXY_SECRETS_DIR}/monitor`, content: cluster.secrets.monitor, permissions: '0400' },
      ],
      healthcheck: {
        test: ['CMD-SHELL', `echo 'show info' | socat -t 2 - TCP:127.0.0.1:${HAPROXY_RUNTIME_PORT} | grep -q '^Name: HAProxy'`],
        interval: '2s',
        timeout: '3s',
        retries: 3,
        startPeriod: '30s',
      },
      wait: true,
      waitTimeout: 60,
      restart: 'unless-stopped',
      mustRun: true,
      // A string reference: cdktf 0.21 renders a construct reference here with a comment Terraform rejects.
      lifecycle: { ignoreChanges: ['upload'], replaceTriggeredBy: [`${DataResource.tfResourceType}.${revision.friendlyUniqueId}`] },
    });

    const endpointDescription = {
      address: LOOPBACK,
      port: this.port,
      runtimeAddress: LOOPBACK,
      runtimePort,
      backend: WRITER_BACKEND,
      backendName: `${prefix}-writer`,
      configPath: HAPROXY_CONFIG_PATH,
    };
    cluster.attachEndpoint(endpointDescription, active);

    const settings = props.switchover ?? {};
    const cli = join(packageRoot(), 'bin', 'mariadb-ha.js');
    const hosts = cluster.node.findAll().filter((c): c is Container => c instanceof Container);
    new DataResource(this, 'switchover', {
      input: { activeMaster: active },
      triggersReplace: { activeMaster: active },
      dependsOn: [this.container, ...hosts],
      provisioners: [{
        type: 'local-exec',
        // No secret in this block: Terraform would hide the tool's progress. The tool reads the
        // monitor password from the environment `terraform apply` runs in.
        command: [
          'node', JSON.stringify(cli), 'switchover', '--cluster', cluster.node.id, '--to', active,
          '--max-lag', String(settings.maxLagSeconds ?? 5),
          '--catch-up-timeout', String(settings.catchUpTimeoutSeconds ?? 10),
          '--wait-healthy', String(settings.waitHealthySeconds ?? 120),
        ].join(' '),
        environment: {
          MARIADB_HA_DESCRIPTION: JSON.stringify(cluster.describe()),
          MARIADB_HA_ENDPOINT_CONFIG_B64: Fn.base64encode(activeConfig),
        },
      }],
    });
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function portProblems(port: number, runtimePort: number): Problem[] {
  return [['hostPort', port], ['runtimeHostPort', runtimePort]]
    .filter(([, p]) => !Number.isInteger(p) || (p as number) < 1024 || (p as number) > 65535)
    .map(([name, p]) => ({ property: String(name), message: `${p} is not a port in 1024..65535` }));
}
