// HAProxy config for the writer endpoint: one writer at a time, candidates as backups in priority
// order, health checks that ask each server whether it is a writable MariaDB (pure).
import { TopologyPlan } from '../model/plan';
import { MARIADB_PORT } from './server-config';

export const HAPROXY_DIR = '/etc/haproxy/mariadb-ha';
export const HAPROXY_CONFIG_PATH = `${HAPROXY_DIR}/haproxy.cfg`;
export const WRITER_CHECK_PATH = `${HAPROXY_DIR}/writer-check.sh`;
export const HAPROXY_SECRETS_DIR = `${HAPROXY_DIR}/secrets`;
export const HAPROXY_RUNTIME_PORT = 9999;
export const WRITER_BACKEND = 'writer';

/** How the endpoint decides a server is a healthy writer. */
export interface WriterHealthCheck {
  /**
   * Milliseconds between checks of each server.
   * @default 250
   */
  readonly intervalMs?: number;
  /**
   * Milliseconds a check may take (connect, log in, query).
   * @default 600
   */
  readonly timeoutMs?: number;
  /**
   * Consecutive failed checks before a server is taken out.
   * @default 2
   */
  readonly fall?: number;
  /**
   * Consecutive good checks before a server is used again.
   * @default 3
   */
  readonly rise?: number;
  /**
   * Failed client connections to a server that take it out at once, before its checks do.
   * @default 3
   */
  readonly connectionErrorLimit?: number;
}

export interface EndpointRender {
  /** The master new connections go to while it is healthy. */
  readonly activeMaster: string;
  /** Each candidate's address on the cluster network. */
  readonly addresses: { [hostName: string]: string };
  readonly healthCheck?: WriterHealthCheck;
  /**
   * Account the health check logs in with (its password comes from a file in the container).
   * @default 'monitor'
   */
  readonly checkUser: string;
}

/** Candidates in endpoint order: the active master, then the others by priority. */
export function endpointServers(plan: TopologyPlan, activeMaster: string): string[] {
  return [activeMaster, ...plan.candidates.filter((c) => c !== activeMaster)];
}

export function renderHaproxyConfig(plan: TopologyPlan, r: EndpointRender): string {
  const check = r.healthCheck ?? {};
  const interval = check.intervalMs ?? 250;
  // Server ids stay with the host whatever the order, so runtime state and stick entries keep meaning.
  const serverId = (name: string) => plan.hosts.findIndex((h) => h.name === name) + 1;
  const servers = endpointServers(plan, r.activeMaster).map((name, i) =>
    `  server ${name} ${r.addresses[name]}:${MARIADB_PORT} id ${serverId(name)} check${i === 0 ? '' : ' backup'}`);
  return `# Rendered by cdktf-mariadb-ha: writer endpoint; active master ${r.activeMaster}. Do not edit.
global
  log stdout format raw local0 info
  maxconn 4096
  stats socket ipv4@0.0.0.0:${HAPROXY_RUNTIME_PORT} level admin
  # The health check runs a MariaDB client, so HAProxy must be allowed to start processes.
  external-check
  insecure-fork-wanted

defaults
  mode tcp
  log global
  option tcplog
  timeout connect 500ms
  timeout client 8h
  timeout server 8h
  timeout check ${check.timeoutMs ?? 600}ms

frontend writer
  bind :${MARIADB_PORT}
  default_backend ${WRITER_BACKEND}

backend ${WRITER_BACKEND}
  # One writer at a time, and no failback: after a failover the endpoint stays on the new master
  # when the old one returns; only a switchover moves it.
  stick-table type integer size 1 nopurge
  stick on int(1)
  option external-check
  external-check path "/usr/bin:/bin"
  external-check command ${WRITER_CHECK_PATH}
  option redispatch
  retries 2
  # A lost writer's sessions are closed at once, so clients reconnect to its successor.
  default-server inter ${interval}ms fastinter ${interval}ms downinter ${interval * 2}ms fall ${check.fall ?? 2} rise ${check.rise ?? 3} on-marked-down shutdown-sessions observe layer4 error-limit ${check.connectionErrorLimit ?? 3} on-error mark-down
${servers.join('\n')}
`;
}

/** HAProxy's external check: healthy means the server takes a login, answers, and is writable. */
export function renderWriterCheck(checkUser: string): string {
  return `#!/bin/sh
# Rendered by cdktf-mariadb-ha. HAProxy calls it with: <proxy addr> <proxy port> <server addr> <server port>.
# A healthy writer takes a login, answers a query and is not read-only; an open port is not enough.
MYSQL_PWD=$(cat ${HAPROXY_SECRETS_DIR}/monitor) || exit 2
export MYSQL_PWD
read_only=$(mariadb --connect-timeout=1 --host="$3" --port="$4" --user=${checkUser} \\
  --skip-ssl --batch --skip-column-names --execute='SELECT @@global.read_only' 2>/dev/null) || exit 1
[ "$read_only" = "0" ]
`;
}
