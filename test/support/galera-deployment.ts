// A Galera cluster (three nodes by default, an analytics replica of the first, a writer endpoint),
// deployed live: shared by the Galera live tests and benchmarks, each in its own slot (live-slots.ts).
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { DockerBackend, GaleraWriteMode, GaleraWriterEndpoint, MariaDbGaleraCluster, ReplicaRole, ServerTuning } from '../../src';
import { APPLICATION_USER, MONITOR_USER, OPERATOR_USER } from '../../src/model/accounts';
import { Login } from '../../src/operator/sql-client';
import { NamedEndpoint } from '../../src/operator/replication-status';
import { LiveSlot, slotAddress, slotSubnet } from './live-slots';
import { generatedPassword, LiveStack } from './live-stack';

/** Its slot's `port` is the endpoint's; the hosts' ports start 6 above. */
export interface GaleraDeploymentOptions extends LiveSlot {
  /** Data nodes (default 3). */
  readonly nodes?: number;
  readonly arbitrator?: boolean;
  /** An analytics replica of the first node (default true). */
  readonly withReplica?: boolean;
  /** Add the HAProxy writer endpoint (default true). */
  readonly withEndpoint?: boolean;
  readonly writeMode?: GaleraWriteMode;
}

export interface GaleraDeployment {
  readonly live: LiveStack;
  readonly nodes: string[];
  /** Every MariaDB host (nodes, then the replica), by its published port. */
  readonly hosts: NamedEndpoint[];
  readonly endpoint: { host: string; port: number };
  readonly monitor: Login;
  readonly operator: Login;
  readonly app: Login;
  readonly passwords: Record<string, string>;
  host(name: string): NamedEndpoint;
  /** The node's address on the project's network (what the load uses: see haDeployment). */
  nodeAddress(name: string): { host: string; port: number };
  container(name: string): string;
  /** Runs `work` with the passwords `mariadb-ha` reads from the environment set. */
  withToolPasswords<T>(work: () => Promise<T>): Promise<T>;
  /** Re-synthesizes the stack with other server tuning (a settings change to apply). */
  changeTuning(tuning: ServerTuning): void;
  /** Re-synthesizes the stack with another write mode (an endpoint change to apply). */
  changeWriteMode(writeMode: GaleraWriteMode): void;
}

export function galeraDeployment(options: GaleraDeploymentOptions): GaleraDeployment {
  const { prefix, port } = options;
  const hostPortBase = port + 6;
  const nodes = Array.from({ length: options.nodes ?? 3 }, (_, i) => `node-${i + 1}`);
  const withReplica = options.withReplica !== false;
  let tuning: ServerTuning | undefined;
  let writeMode = options.writeMode;
  const passwords = { root: generatedPassword(), replication: generatedPassword(), monitor: generatedPassword(), operator: generatedPassword(), application: generatedPassword() };
  const live = new LiveStack({
    dockerPrefix: prefix,
    variables: Object.fromEntries(Object.entries(passwords).map(([k, v]) => [`${prefix}_${k}_password`, v])),
    build: (stack) => {
      new DockerProvider(stack, 'docker');
      const cluster = new MariaDbGaleraCluster(stack, prefix, {
        nodes: nodes.map((name) => ({ name })),
        arbitrator: options.arbitrator ? { name: 'arbiter' } : undefined,
        writeMode,
        replicas: withReplica ? [{ name: 'analytics', source: 'node-1', role: ReplicaRole.ANALYTICS }] : [],
        databaseName: 'shop',
        tuning,
        backend: new DockerBackend({ subnet: slotSubnet(options), hostPortBase }),
      });
      if (options.withEndpoint !== false) new GaleraWriterEndpoint(stack, 'writer', { cluster, hostPort: port });
    },
  });
  const hosts: NamedEndpoint[] = [
    ...nodes.map((name, i) => ({ name, host: '127.0.0.1', port: hostPortBase + i })),
    ...(withReplica ? [{ name: 'analytics', host: '127.0.0.1', port: hostPortBase + 10 }] : []),
  ];
  return {
    live,
    nodes,
    hosts,
    endpoint: { host: slotAddress(options, 5), port: 3306 },
    monitor: { user: MONITOR_USER, password: passwords.monitor },
    operator: { user: OPERATOR_USER, password: passwords.operator },
    app: { user: APPLICATION_USER, password: passwords.application, database: 'shop' },
    passwords,
    host: (name) => hosts.find((h) => h.name === name)!,
    nodeAddress: (name) => ({ host: slotAddress(options, 10 + nodes.indexOf(name)), port: 3306 }),
    container: (name) => `${prefix}-${name}`,
    changeTuning: (next) => {
      tuning = next;
      live.synthesize();
    },
    changeWriteMode: (next) => {
      writeMode = next;
      live.synthesize();
    },
    withToolPasswords: async (work) => {
      const env = { MARIADB_HA_MONITOR_PASSWORD: passwords.monitor, MARIADB_HA_OPERATOR_PASSWORD: passwords.operator, MARIADB_HA_REPLICATION_PASSWORD: passwords.replication };
      Object.assign(process.env, env);
      try {
        return await work();
      } finally {
        for (const name of Object.keys(env)) delete process.env[name];
      }
    },
  };
}
