// The active/passive topology (with a writer endpoint unless asked otherwise), deployed live:
// shared by the live tests and the benchmarks, each in its own slot (live-slots.ts).
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { DockerBackend, FailoverMonitorOptions, HaproxyWriterEndpoint, MariaDbReplicationCluster, ReplicaRole, WriteMode } from '../../src';
import { APPLICATION_USER, MONITOR_USER, OPERATOR_USER } from '../../src/model/accounts';
import { Login } from '../../src/operator/sql-client';
import { NamedEndpoint } from '../../src/operator/replication-status';
import { LiveSlot, slotAddress, slotSubnet } from './live-slots';
import { generatedPassword, LiveStack } from './live-stack';

/** Its slot's `port` is the endpoint's; the hosts' ports start 6 above. */
export interface HaDeploymentOptions extends LiveSlot {
  readonly semiSyncTimeoutMs?: number;
  /** Add the HAProxy writer endpoint (default true). */
  readonly withEndpoint?: boolean;
  /** The application database (default 'shop'). */
  readonly databaseName?: string;
  /** Give the endpoint two instances sharing a virtual IP (the network's .4 address). */
  readonly withVirtualIp?: boolean;
  /** The failover monitor's settings. */
  readonly monitor?: FailoverMonitorOptions;
  /** The masters declared (default db-a, db-b); db-a is active. */
  readonly masters?: string[];
  /** Masters in a DR site: replicated to, never promoted. */
  readonly drMasters?: string[];
  /** Add a backup replica of db-a, this many seconds behind. */
  readonly backupDelaySeconds?: number;
  /** Each host's `mariadbVersion` (every host or none). */
  readonly mariadbVersions?: Record<string, string>;
  /** The Docker backend's `healthyTimeoutSeconds`. */
  readonly healthyTimeoutSeconds?: number;
}

export interface HaDeployment {
  readonly live: LiveStack;
  readonly hosts: NamedEndpoint[];
  readonly endpoint: { host: string; port: number };
  readonly monitor: Login;
  readonly operator: Login;
  readonly app: Login;
  readonly passwords: Record<string, string>;
  host(name: string): NamedEndpoint;
  /** Re-synthesizes the stack with the analytics replica following `source` (a topology change to apply). */
  moveAnalytics(source: string, delaySeconds?: number): void;
  /** Re-synthesizes the stack with one more replica (added to `hosts`); `seed: false` makes it replay the binary logs instead. */
  addReplica(name: string, source: string, seed?: boolean): void;
  /** Re-synthesizes the stack without an added replica (`hosts` follows). */
  removeReplica(name: string): void;
  /** The masters as declared now. */
  readonly masters: string[];
  /** Re-synthesizes the stack with one more master, declared last (`hosts` follows its ports). */
  addMaster(name: string): void;
  /** Re-synthesizes the stack without a master (`hosts` follows). */
  removeMaster(name: string): void;
  /** Re-synthesizes the stack with these hosts' versions (the others keep theirs) and `promotion.allowRisky`. */
  setVersions(versions: Record<string, string>, allowRisky?: string[]): void;
  /** Re-synthesizes the stack with another declared active master (a switchover to apply). */
  setActiveMaster(name: string): void;
  /** Runs `work` with the passwords `mariadb-ha` reads from the environment set. */
  withToolPasswords<T>(work: () => Promise<T>): Promise<T>;
}

const MASTER_IDS: Record<string, number> = { 'db-a': 1, 'db-b': 2, 'db-c': 3, 'db-d': 4 };

export function haDeployment(options: HaDeploymentOptions): HaDeployment {
  const { prefix, port } = options;
  const hostPortBase = port + 6;
  const passwords = { root: generatedPassword(), replication: generatedPassword(), monitor: generatedPassword(), operator: generatedPassword(), application: generatedPassword() };
  const analytics = { source: 'db-b', delaySeconds: 0 };
  const extraReplicas: Array<{ name: string; source: string; role?: ReplicaRole; delaySeconds?: number }> = [];
  if (options.backupDelaySeconds) extraReplicas.push({ name: 'backup', source: 'db-a', role: ReplicaRole.BACKUP, delaySeconds: options.backupDelaySeconds });
  const masters = [...(options.masters ?? ['db-a', 'db-b'])];
  let seedNewHosts = true;
  let activeMaster = 'db-a';
  const versions: Record<string, string> = { ...options.mariadbVersions };
  let allowRisky: string[] = [];
  const versionOf = (name: string) => versions[name];
  const live = new LiveStack({
    dockerPrefix: prefix,
    variables: Object.fromEntries(Object.entries(passwords).map(([k, v]) => [`${prefix}_${k}_password`, v])),
    build: (stack) => {
      new DockerProvider(stack, 'docker');
      const cluster = new MariaDbReplicationCluster(stack, prefix, {
        // Identities stay those of the first deployment whichever master comes or goes.
        masters: masters.map((name) => ({
          name, serverId: MASTER_IDS[name], gtidDomainId: MASTER_IDS[name], autoIncrementOffset: masters.indexOf(name) + 1,
          site: options.drMasters?.includes(name) ? 'dr' : undefined,
          mariadbVersion: versionOf(name),
        })),
        activeMaster,
        replicas: [
          { name: 'analytics', source: analytics.source, role: ReplicaRole.ANALYTICS, delaySeconds: analytics.delaySeconds, mariadbVersion: versionOf('analytics') },
          ...extraReplicas.map((r) => ({ ...r, role: r.role ?? ReplicaRole.READ, mariadbVersion: versionOf(r.name) })),
        ],
        promotion: allowRisky.length > 0 ? { allowRisky } : undefined,
        databaseName: options.databaseName ?? 'shop',
        // Without an endpoint nothing would make a master writable: the tests write to db-a directly.
        writeMode: options.withEndpoint === false ? WriteMode.EVERY_MASTER : WriteMode.ONE_WRITER,
        semiSync: options.semiSyncTimeoutMs ? { timeoutMs: options.semiSyncTimeoutMs } : undefined,
        backend: new DockerBackend({ subnet: slotSubnet(options), hostPortBase, seedNewHosts, healthyTimeoutSeconds: options.healthyTimeoutSeconds }),
      });
      if (options.withEndpoint !== false) {
        new HaproxyWriterEndpoint(stack, 'writer', { cluster, hostPort: port, virtualIp: options.withVirtualIp ? {} : undefined, monitor: options.monitor });
      }
    },
  });
  // The Docker backend publishes ports by server id: masters from the base, replicas (101, 102, ...) 10 above.
  const hostSlots = (): Array<[string, number]> => [
    ...masters.map((name): [string, number] => [name, MASTER_IDS[name] - 1]),
    ...['analytics', ...extraReplicas.map((r) => r.name)].map((name, i): [string, number] => [name, 10 + i]),
  ];
  const hosts: NamedEndpoint[] = [];
  const placeHosts = () => hosts.splice(0, hosts.length, ...hostSlots().map(([name, slot]) => ({ name, host: '127.0.0.1', port: hostPortBase + slot })));
  placeHosts();
  return {
    live,
    hosts,
    // The load reaches the endpoint on the project's network (the Docker host routes to the bridge):
    // the published port passes through docker-proxy, which on this iptables-less engine drops
    // about one connection in 20,000 whatever the endpoint does (measured; see the README).
    endpoint: { host: slotAddress(options, options.withVirtualIp ? 4 : 5), port: 3306 },
    monitor: { user: MONITOR_USER, password: passwords.monitor },
    operator: { user: OPERATOR_USER, password: passwords.operator },
    app: { user: APPLICATION_USER, password: passwords.application, database: options.databaseName ?? 'shop' },
    passwords,
    host: (name) => hosts.find((h) => h.name === name)!,
    moveAnalytics: (source, delaySeconds = 0) => {
      Object.assign(analytics, { source, delaySeconds });
      live.synthesize();
    },
    addReplica: (name, source, seed = true) => {
      extraReplicas.push({ name, source });
      seedNewHosts = seed;
      placeHosts();
      live.synthesize();
    },
    removeReplica: (name) => {
      extraReplicas.splice(extraReplicas.findIndex((r) => r.name === name), 1);
      placeHosts();
      live.synthesize();
    },
    masters,
    addMaster: (name) => {
      masters.push(name);
      placeHosts();
      live.synthesize();
    },
    removeMaster: (name) => {
      masters.splice(masters.indexOf(name), 1);
      placeHosts();
      live.synthesize();
    },
    setVersions: (changed, risky = allowRisky) => {
      Object.assign(versions, changed);
      allowRisky = risky;
      live.synthesize();
    },
    setActiveMaster: (name) => {
      activeMaster = name;
      live.synthesize();
    },
    withToolPasswords: async (work) => {
      process.env.MARIADB_HA_MONITOR_PASSWORD = passwords.monitor;
      process.env.MARIADB_HA_OPERATOR_PASSWORD = passwords.operator;
      process.env.MARIADB_HA_REPLICATION_PASSWORD = passwords.replication;
      try {
        return await work();
      } finally {
        delete process.env.MARIADB_HA_MONITOR_PASSWORD;
        delete process.env.MARIADB_HA_OPERATOR_PASSWORD;
        delete process.env.MARIADB_HA_REPLICATION_PASSWORD;
      }
    },
  };
}
