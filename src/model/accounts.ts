// Accounts every host gets, each with only the privileges its job needs.
import { TopologyPlan } from './plan';

/** Names a secret the deployment supplies; the renderers refer to it, never to its value. */
export enum SecretName {
  ROOT = 'root',
  REPLICATION = 'replication',
  MONITOR = 'monitor',
  OPERATOR = 'operator',
  APPLICATION = 'application',
}

/** Where an account may connect from. */
export enum AccountReach {
  /** Only inside the host (unix socket or loopback). */
  LOCAL = 'local',
  /** From the cluster's own client network (the Docker network, or the VPC). */
  CLIENT_NETWORK = 'client-network',
  /** Only from where the failover monitor and the tools run (the backend says where). */
  OPERATORS = 'operators',
}

export interface AccountPlan {
  readonly user: string;
  readonly reach: AccountReach;
  /** Its password; none: it logs in by unix socket as the OS user of the same name. */
  readonly secret?: SecretName;
  /** GRANT privilege lists with their object, e.g. `REPLICATION SLAVE ON *.*`. */
  readonly grants: string[];
  readonly purpose: string;
}

export const REPLICATION_USER = 'replicator';
export const MONITOR_USER = 'monitor';
export const OPERATOR_USER = 'ha_operator';
export const APPLICATION_USER = 'app';
/** Galera's State Snapshot Transfer account: the server's own OS user, by unix socket. */
export const SST_USER = 'mysql';

/** Application privileges: data and schema changes in its own database, nothing server-wide. */
export const APPLICATION_PRIVILEGES = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'DROP', 'INDEX', 'REFERENCES',
  'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'EXECUTE',
];

/**
 * A database name as a GRANT pattern matching only itself: '_' and '%' are wildcards there, so
 * `my_ql` would also match `mysql`.
 * @see https://mariadb.com/kb/en/grant/#database-privileges
 */
export function grantPattern(databaseName: string): string {
  return databaseName.replace(/[\\_%]/g, (c) => `\\${c}`);
}

/**
 * What mariabackup needs on a Galera donor: RELOAD, PROCESS and LOCK TABLES for the backup locks,
 * BINLOG MONITOR for the binary log position, SLAVE MONITOR for its Galera info.
 * @see https://mariadb.com/kb/en/mariabackup-sst-method/#authentication-and-privileges
 */
const SST_ACCOUNT: AccountPlan = {
  user: SST_USER,
  reach: AccountReach.LOCAL,
  grants: ['RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SLAVE MONITOR ON *.*'],
  purpose: 'Galera state transfers (mariabackup on the donor), by unix socket only; mariadb-install-db gave it every privilege',
};

export function planAccounts(plan: TopologyPlan): AccountPlan[] {
  return [
    ...(plan.galera ? [SST_ACCOUNT] : []),
    {
      user: REPLICATION_USER,
      reach: AccountReach.CLIENT_NETWORK,
      secret: SecretName.REPLICATION,
      grants: ['REPLICATION SLAVE ON *.*'],
      purpose: 'replication connections between hosts',
    },
    {
      user: MONITOR_USER,
      reach: AccountReach.CLIENT_NETWORK,
      secret: SecretName.MONITOR,
      // SLAVE MONITOR reads SHOW ALL SLAVES STATUS; GTID positions are plain variables. No
      // BINLOG MONITOR: SHOW BINLOG EVENTS would show it row data.
      grants: ['SLAVE MONITOR ON *.*'],
      purpose: 'health checks and the status tool',
    },
    {
      user: OPERATOR_USER,
      // It fences, promotes and kills sessions: a client elsewhere on the network must not log in as it.
      reach: AccountReach.OPERATORS,
      secret: SecretName.OPERATOR,
      // READ_ONLY ADMIN fences a master and promotes its successor (read_only), CONNECTION ADMIN
      // closes the application's sessions (KILL USER), REPLICATION SLAVE ADMIN stops and re-points
      // replication, RELOAD lets it forget a lost master's connection (RESET SLAVE ... ALL), SLAVE
      // MONITOR reads replication state; no data privilege.
      grants: ['READ_ONLY ADMIN, CONNECTION ADMIN, REPLICATION SLAVE ADMIN, RELOAD, SLAVE MONITOR ON *.*'],
      purpose: 'switchover and failover monitor: fences and promotes masters, closes sessions, re-points replicas',
    },
    {
      user: APPLICATION_USER,
      reach: AccountReach.CLIENT_NETWORK,
      secret: SecretName.APPLICATION,
      grants: [`${APPLICATION_PRIVILEGES.join(', ')} ON \`${grantPattern(plan.databaseName)}\`.*`],
      purpose: `the application, in database ${plan.databaseName} only`,
    },
  ];
}
