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
}

export interface AccountPlan {
  readonly user: string;
  readonly reach: AccountReach;
  readonly secret: SecretName;
  /** GRANT privilege lists with their object, e.g. `REPLICATION SLAVE ON *.*`. */
  readonly grants: string[];
  readonly purpose: string;
}

export const REPLICATION_USER = 'replicator';
export const MONITOR_USER = 'monitor';
export const OPERATOR_USER = 'ha_operator';
export const APPLICATION_USER = 'app';

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

export function planAccounts(plan: TopologyPlan): AccountPlan[] {
  return [
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
      reach: AccountReach.CLIENT_NETWORK,
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
