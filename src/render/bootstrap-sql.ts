// The SQL a host runs once, on first start, before it accepts connections.
import { AccountPlan, AccountReach, planAccounts, SecretName } from '../model/accounts';
import { hostNamed, ReplicationEdge, TopologyPlan } from '../model/plan';
import { MARIADB_PORT } from './server-config';
import { sqlIdentifier, sqlString, withSecret } from './sql';
import { changeMaster } from './statements';

/** Where the rendered SQL finds other hosts and lets clients in; supplied by the backend. */
export interface BootstrapContext {
  /** MariaDB account host for the client network, e.g. `10.213.0.0/255.255.255.0`. */
  readonly clientNetworkHost: string;
  /**
   * MariaDB account hosts the operator account accepts: where the monitor and the tools run.
   * @default - [clientNetworkHost]
   */
  readonly operatorHosts?: string[];
  /** Address a replica uses to reach a source host (a DNS name or an IP). */
  readonly addressOf: (hostName: string) => string;
  /**
   * Seconds between reconnection attempts of a replica to its source.
   * @default 2
   */
  readonly connectRetrySeconds?: number;
}

/** The account's `'user'@'host'` names: one per host it may log in from. */
function accounts(user: string, reach: AccountReach, ctx: BootstrapContext): string[] {
  const hosts = reach === AccountReach.LOCAL ? ['localhost'] : reach === AccountReach.OPERATORS ? ctx.operatorHosts ?? [ctx.clientNetworkHost] : [ctx.clientNetworkHost];
  return hosts.map((host) => `${sqlString(user)}@${sqlString(host)}`);
}

function createAccount(a: AccountPlan, ctx: BootstrapContext): string[] {
  return [
    `-- ${a.user}: ${a.purpose}`,
    ...accounts(a.user, a.reach, ctx).flatMap((who) => [
      a.secret ? withSecret(`CREATE OR REPLACE USER ${who} IDENTIFIED BY `, a.secret) : `CREATE OR REPLACE USER ${who} IDENTIFIED VIA unix_socket;`,
      ...a.grants.map((g) => `GRANT ${g} TO ${who};`),
    ]),
  ];
}

function changeMasterFor(e: ReplicationEdge, ctx: BootstrapContext): string {
  return `${changeMaster({ name: e.connectionName, address: ctx.addressOf(e.source), port: MARIADB_PORT, delaySeconds: e.delaySeconds, connectRetrySeconds: ctx.connectRetrySeconds })}`;
}

export function renderBootstrapSql(plan: TopologyPlan, hostName: string, ctx: BootstrapContext): string {
  const host = hostNamed(plan, hostName);
  return [
    `-- Rendered by cdktf-mariadb-ha for ${host.name}; runs once, before the server accepts connections.`,
    '-- Per-host setup is kept out of the binary log: it must not replicate into a peer, which runs',
    '-- the same setup itself and whose SQL thread would stop on the duplicate account.',
    'SET SESSION sql_log_bin = 0;',
    '',
    '-- root: local administration only, by socket or password',
    withSecret(`ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(`, SecretName.ROOT, ')'),
    "DROP USER IF EXISTS ''@'localhost';",
    ...planAccounts(plan).flatMap((a) => createAccount(a, ctx)),
    '',
    `CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(plan.databaseName)};`,
    '',
    host.sources.length > 0 ? '-- replication connections, started when the server starts' : '-- no replication sources',
    ...host.sources.map((e) => changeMasterFor(e, ctx)),
    '',
  ].join('\n');
}
