// The containers every writer endpoint on Docker runs: HAProxy (with keepalived beside it for a
// virtual IP) and the monitor that is the only actor besides the tools. Shared by the master-master
// and the Galera endpoints.
import { Container } from '@cdktf/provider-docker/lib/container';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { dirname } from 'path';
import { AssetType, Construct, Lazy, TerraformAsset, TerraformData } from '../../cdktf';
import { KEEPALIVED_CONFIG_PATH } from '../../render/keepalived-config';
import { CHECK_AGENTS_PATH, ENDPOINT_STATE_DIR, HAPROXY_CONFIG_PATH, HAPROXY_RUNTIME_SOCKET, HAPROXY_SECRETS_DIR, WRITER_CHECK_PATH, WRITER_GATE_PATH } from '../../render/haproxy-config';
import { MONITOR_BUNDLE_PATH, MONITOR_CONFIG_PATH, MONITOR_SECRETS_DIR, MONITOR_STATE_DIR, monitorRuntimeSocket } from '../../render/monitor-config';
import { MARIADB_PORT } from '../../render/server-config';
import { LOOPBACK } from './docker-backend';
import { monitorBundle } from './monitor-bundle';
import { replacedWith, sha256 } from '../host-revision';
import { ENDPOINT_CAPABILITIES, hardened, MONITOR_CAPABILITIES, VIRTUAL_IP_CAPABILITIES } from './hardening';

/** The image scripts/build-images.sh builds offline (HAProxy 2.6, keepalived, MariaDB client, Node for the monitor). */
export const PROJECT_HAPROXY_IMAGE = 'cdktf-mariadb-ha/haproxy:2.6-bookworm';

export interface HaproxyContainerOptions {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly networkName: string;
  readonly ip: string;
  /** Published on 127.0.0.1. */
  readonly clientPort: number;
  /** The HAProxy config (text or a Terraform reference). */
  readonly config: string;
  readonly checkScript: string;
  /** The check agents that run `checkScript` for HAProxy (see renderCheckAgents). */
  readonly checkAgents: string;
  /** The writer gate's Lua, for an endpoint whose switchover holds new connections. */
  readonly gateScript?: string;
  /** The health check's password (a reference to a sensitive value). */
  readonly monitorSecret: string;
  /** keepalived's config, for an instance sharing a virtual IP. */
  readonly keepalived?: string;
  /** Replaces the container when it changes. */
  readonly revision: TerraformData;
  /** A volume for its runtime socket, shared with the failover monitor. */
  readonly runtimeVolume?: Volume;
}

export function haproxyContainer(scope: Construct, o: HaproxyContainerOptions): Container {
  // HAProxy and the checks run as HAProxy's user: give it the socket directory, the checks' state and the check's secret.
  const haproxy = [
    `mkdir -p ${dirname(HAPROXY_RUNTIME_SOCKET)} ${ENDPOINT_STATE_DIR}`,
    `chown haproxy:haproxy ${dirname(HAPROXY_RUNTIME_SOCKET)} ${ENDPOINT_STATE_DIR} ${HAPROXY_SECRETS_DIR}/monitor`,
    `{ ${CHECK_AGENTS_PATH} & }`,
    `exec haproxy -W -db -f ${HAPROXY_CONFIG_PATH}`,
  ].join(' && ');
  return new Container(scope, o.id, {
    name: o.name,
    image: o.image,
    hostname: o.name,
    // Docker's init is process 1 and reaps what the check agents leave, which HAProxy's master would log one by one.
    init: true,
    // With a virtual IP, keepalived runs beside HAProxy and gives the address up if HAProxy dies.
    command: o.keepalived
      ? ['/bin/sh', '-c', `keepalived --dont-fork --log-console --use-file ${KEEPALIVED_CONFIG_PATH} & ${haproxy}`]
      : ['/bin/sh', '-c', haproxy],
    ...hardened(o.keepalived ? [...ENDPOINT_CAPABILITIES, ...VIRTUAL_IP_CAPABILITIES] : ENDPOINT_CAPABILITIES),
    networksAdvanced: [{ name: o.networkName, aliases: [o.name], ipv4Address: o.ip }],
    ports: [
      { internal: MARIADB_PORT, external: o.clientPort, ip: LOOPBACK, protocol: 'tcp' },
    ],
    volumes: o.runtimeVolume ? [{ volumeName: o.runtimeVolume.name, containerPath: dirname(HAPROXY_RUNTIME_SOCKET) }] : undefined,
    upload: [
      { file: HAPROXY_CONFIG_PATH, content: o.config, permissions: '0644' },
      // HAProxy's own user runs the check.
      { file: WRITER_CHECK_PATH, content: o.checkScript, permissions: '0755' },
      { file: CHECK_AGENTS_PATH, content: o.checkAgents, permissions: '0755' },
      ...(o.gateScript ? [{ file: WRITER_GATE_PATH, content: o.gateScript, permissions: '0644' }] : []),
      { file: `${HAPROXY_SECRETS_DIR}/monitor`, content: o.monitorSecret, permissions: '0400' },
      ...(o.keepalived ? [{ file: KEEPALIVED_CONFIG_PATH, content: o.keepalived, permissions: '0644' }] : []),
    ],
    healthcheck: {
      test: ['CMD-SHELL', `echo 'show info' | socat -t 2 - UNIX-CONNECT:${HAPROXY_RUNTIME_SOCKET} | grep -q '^Name: HAProxy'`],
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
    lifecycle: { ignoreChanges: ['upload'], replaceTriggeredBy: [replacedWith(o.revision)] },
  });
}

export interface MonitorContainerOptions {
  readonly name: string;
  readonly image: string;
  readonly networkName: string;
  readonly ip: string;
  /** The monitor's configuration (see constructs/monitor-config), produced at synth. */
  readonly config: () => string;
  /** The operator and replication passwords (references to sensitive values). */
  readonly operatorSecret: string;
  readonly replicationSecret: string;
  /** Each endpoint instance's runtime socket volume, by the instance's container name. */
  readonly runtimeVolumes: { [instance: string]: Volume };
}

/**
 * The failover monitor: one container running `mariadb-ha monitor` (the bundled command, under
 * Node) as the operator account. A password rotation updates its secrets in place; a new program
 * or configuration replaces it, and its state (the writer, the lock, the detached masters) stays
 * on a volume of its own. It reaches the endpoint's runtime API through each instance's socket volume.
 */
export function monitorContainer(scope: Construct, o: MonitorContainerOptions): Container {
  const program = new TerraformAsset(scope, 'monitor-program', { path: monitorBundle(), type: AssetType.FILE });
  const config = Lazy.stringValue({ produce: o.config });
  const revision = new TerraformData(scope, 'monitor-revision', {
    input: { program: program.assetHash, config: Lazy.stringValue({ produce: () => sha256(o.config()) }) },
  });
  const state = new Volume(scope, 'monitor-state', { name: `${o.name}-state` });
  return new Container(scope, 'monitor', {
    name: o.name,
    image: o.image,
    hostname: o.name,
    command: ['node', MONITOR_BUNDLE_PATH, 'monitor', '--config', MONITOR_CONFIG_PATH],
    ...hardened(MONITOR_CAPABILITIES),
    networksAdvanced: [{ name: o.networkName, aliases: [o.name], ipv4Address: o.ip }],
    volumes: [
      { volumeName: state.name, containerPath: MONITOR_STATE_DIR },
      ...Object.entries(o.runtimeVolumes).map(([instance, volume]) => ({ volumeName: volume.name, containerPath: dirname(monitorRuntimeSocket(instance)) })),
    ],
    upload: [
      { file: MONITOR_BUNDLE_PATH, source: program.path, sourceHash: program.assetHash, permissions: '0644' },
      { file: MONITOR_CONFIG_PATH, content: config, permissions: '0644' },
      { file: `${MONITOR_SECRETS_DIR}/operator`, content: o.operatorSecret, permissions: '0400' },
      { file: `${MONITOR_SECRETS_DIR}/replication`, content: o.replicationSecret, permissions: '0400' },
    ],
    restart: 'unless-stopped',
    mustRun: true,
    // It only probes and sleeps; SIGTERM ends it at once.
    stopTimeout: 2,
    // A string reference: cdktf 0.21 renders a construct reference here with a comment Terraform rejects.
    lifecycle: { ignoreChanges: ['upload'], replaceTriggeredBy: [replacedWith(revision)] },
  });
}
