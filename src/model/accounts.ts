// Accounts every host gets, each with only the privileges its job needs.
import { TopologyPlan } from './plan';

/** Names a secret the deployment supplies; the renderers refer to it, never to its value. */
export enum SecretName {
  ROOT = 'root',
  REPLICATION = 'replication',
  MONITOR = 'monitor',
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
export const APPLICATION_USER = 'app';

/** Application privileges: data and schema changes in its own database, nothing server-wide. */
export const APPLICATION_PRIVILEGES = [
  'SELECT', 'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'ALTER', 'DROP', 'INDEX', 'REFERENCES',
  'CREATE TEMPORARY TABLES', 'LOCK TABLES', 'CREATE VIEW', 'SHOW VIEW', 'TRIGGER', 'EXECUTE',
];

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
      // SLAVE MONITOR reads SHOW ALL SLAVES STATUS; BINLOG MONITOR reads binlog and GTID positions.
      grants: ['SLAVE MONITOR, BINLOG MONITOR ON *.*'],
      purpose: 'health checks and the status tool',
    },
    {
      user: APPLICATION_USER,
      reach: AccountReach.CLIENT_NETWORK,
      secret: SecretName.APPLICATION,
      grants: [`${APPLICATION_PRIVILEGES.join(', ')} ON \`${plan.databaseName}\`.*`],
      purpose: `the application, in database ${plan.databaseName} only`,
    },
  ];
}
