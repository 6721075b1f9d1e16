// Password rotation on a running cluster: every host learns a new password before anything uses
// it, and the endpoint's checks never fail on the way (they try the next password, then the current).
import { APPLICATION_USER, MONITOR_USER, OPERATOR_USER, REPLICATION_USER, SecretName } from '../model/accounts';
import type { ClusterDescription, HostDescription } from '../constructs/description';
import { HostKind } from '../model/plan';
import { HAPROXY_SECRETS_DIR } from '../render/haproxy-config';
import { MONITOR_SECRETS_DIR } from '../render/monitor-config';
import { sqlString, withSecret } from '../render/sql';
import { changeMasterPassword, clearSecret, startChannel, stopChannel } from '../render/statements';
import { endpointsOf, hostAccessOf } from '../operator/cluster-ref';
import { moveHostFile, writeHostFile } from '../operator/host-files';
import { Login, rootQuery, rootSql, Secrets, withConnection } from '../operator/sql-client';
import { channelHealthy, readClusterStatus } from '../operator/replication-status';

/** The accounts that log in over the network, by the secret that holds their password. */
const NETWORK_ACCOUNTS: Array<[SecretName, string]> = [
  [SecretName.REPLICATION, REPLICATION_USER],
  [SecretName.MONITOR, MONITOR_USER],
  [SecretName.OPERATOR, OPERATOR_USER],
  [SecretName.APPLICATION, APPLICATION_USER],
];

/** Where the endpoint's check finds the monitor password it tries after the current one. */
export const NEXT_MONITOR_SECRET = `${HAPROXY_SECRETS_DIR}/monitor.next`;
const MONITOR_SECRET = `${HAPROXY_SECRETS_DIR}/monitor`;

export type Passwords = Partial<Record<SecretName, string>>;

export interface RotationOptions {
  readonly description: ClusterDescription;
  /** The passwords the cluster must have, by secret name. */
  readonly passwords: Passwords;
  readonly progress: (line: string) => void;
}

/** Network accounts whose password `passwords` changes: some host refuses a login with it. */
export async function changedAccounts(description: ClusterDescription, passwords: Passwords): Promise<SecretName[]> {
  const changed: SecretName[] = [];
  for (const [secret, user] of NETWORK_ACCOUNTS) {
    const password = passwords[secret];
    if (password === undefined) continue;
    const login: Login = { user, password };
    const accepted = await Promise.all(endpointsOf(description).map((h) => withConnection(h, login, async () => true).catch(() => false)));
    if (accepted.includes(false)) changed.push(secret);
  }
  return changed;
}

/**
 * What one host runs as root: new passwords for the changed accounts (and root), or, given its
 * replication connections, the new replication password on them. Secrets travel on stdin.
 */
function rotation(description: ClusterDescription, host: ClusterDescription['hosts'][number], passwords: Passwords, accounts: SecretName[], channels: string[] | undefined): { statements: string[]; secrets: Secrets } {
  // A cluster created before the operator account was narrowed still has it network-wide: both forms, whichever exists.
  const alter = (user: string, secret: SecretName) => {
    const hosts = user === OPERATOR_USER && description.operatorAccountHosts ? [...description.operatorAccountHosts, description.accountHost] : [description.accountHost];
    return hosts.map((host) => withSecret(`ALTER USER ${hosts.length > 1 ? 'IF EXISTS ' : ''}${sqlString(user)}@${sqlString(host)} IDENTIFIED BY `, secret));
  };
  const used = [...new Set([...accounts, ...(channels ? [SecretName.REPLICATION] : []), ...(!channels && passwords.root !== undefined ? [SecretName.ROOT] : [])])];
  const statements = [
    // Per host, like the bootstrap: each host sets its own accounts, nothing replicates. A Galera
    // node's account changes replicate to every node anyway, which must all log them alike.
    ...(host.kind === HostKind.GALERA_NODE ? [] : ['SET SESSION sql_log_bin = 0']),
    ...(used.includes(SecretName.ROOT)
      ? [withSecret("ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD(", SecretName.ROOT, ')')] : []),
    ...NETWORK_ACCOUNTS.filter(([s]) => accounts.includes(s)).flatMap(([s, user]) => alter(user, s)),
    // CHANGE MASTER also clears a skip a stop may leave (see clearSkipCounter).
    ...(channels ?? []).flatMap((name) => [stopChannel(name), changeMasterPassword(name), startChannel(name)]),
    ...used.map((s) => clearSecret(s)),
  ];
  return { statements, secrets: Object.fromEntries(used.map((s) => [s, passwords[s]!])) };
}

/** Runs a host's rotation as root on it. */
async function rotate(description: ClusterDescription, host: string, work: { statements: string[]; secrets: Secrets }): Promise<void> {
  await rootSql(hostAccessOf(description), host, work.statements, work.secrets);
}

async function waitForHealthyChannels(description: ClusterDescription, monitor: Login, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await readClusterStatus(endpointsOf(description), monitor);
    const broken = status.flatMap((s) => s.channels.filter((c) => !channelHealthy(c))
      .map((c) => `${c.connectionName} -> ${s.name}: IO ${c.ioRunning}, SQL ${c.sqlRunning} ${c.lastIoError}`));
    if (broken.length === 0) return;
    if (Date.now() > deadline) throw new Error(`replication after rotation: ${broken.join('; ')}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs the SQL on the first Galera node that takes it: Galera applies it on every node, with one GTID. */
async function onOneGaleraNode(description: ClusterDescription, sql: (node: HostDescription) => ReturnType<typeof rotation>): Promise<void> {
  const nodes = description.hosts.filter((h) => h.kind === HostKind.GALERA_NODE);
  const failures: string[] = [];
  for (const node of nodes) {
    try {
      await rotate(description, node.backendName, sql(node));
      return;
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  if (nodes.length > 0) throw new Error(`no Galera node took the new passwords: ${failures.join('; ')}`);
}

/** Sets every given password on every host; returns the network accounts that changed. */
export async function rotatePasswords(options: RotationOptions): Promise<SecretName[]> {
  const { description, passwords, progress } = options;
  const changed = await changedAccounts(description, passwords);
  progress(`password rotation of ${description.cluster}: ${changed.length === 0 ? 'no network account changes' : `new passwords for ${changed.join(', ')}`}${passwords.root !== undefined ? '; root set on every host' : ''}`);
  const instances = description.endpoint?.haproxy?.instances ?? [];
  const access = hostAccessOf(description);
  const monitorChanged = changed.includes(SecretName.MONITOR);

  if (monitorChanged) {
    // The checks accept the next password before any host does, so none of them fails.
    for (const i of instances) {
      await writeHostFile(access, i.backendName, NEXT_MONITOR_SECRET, passwords.monitor!, { secretOwner: 'haproxy:haproxy' });
    }
  }
  // Accounts first on every host, then the replication connections, so no reconnect meets a host
  // that still has the old replication password.
  for (const host of description.hosts.filter((h) => h.kind !== HostKind.GALERA_NODE)) {
    await rotate(description, host.backendName, rotation(description, host, passwords, changed, undefined));
  }
  await onOneGaleraNode(description, (node) => rotation(description, node, passwords, changed, undefined));
  // The failover monitor logs in as the operator and re-points replicas with the replication
  // password; between the hosts' change and this, its probes are refused (never taken for a loss).
  const monitorContainer = description.endpoint?.haproxy?.monitorContainer;
  for (const secret of monitorContainer ? [SecretName.OPERATOR, SecretName.REPLICATION].filter((s) => changed.includes(s)) : []) {
    await writeHostFile(access, monitorContainer!, `${MONITOR_SECRETS_DIR}/${secret}`, passwords[secret]!, { secretOwner: 'root:root' });
  }
  if (changed.includes(SecretName.REPLICATION)) {
    // The connections each host has now, not the described ones: after a failover the lost
    // master is detached until it rejoins, and a rotation must not stop half done for that.
    for (const host of description.hosts) {
      const channels = (await rootQuery<{ Connection_name: string }>(access, host.backendName, 'SHOW ALL SLAVES STATUS')).map((c) => c.Connection_name);
      if (channels.length > 0) await rotate(description, host.backendName, rotation(description, host, passwords, [], channels));
    }
  }
  if (monitorChanged) {
    for (const i of instances) await moveHostFile(access, i.backendName, NEXT_MONITOR_SECRET, MONITOR_SECRET);
  }
  const refused = await changedAccounts(description, passwords);
  if (refused.length > 0) throw new Error(`after rotation, some host still refuses the new password of: ${refused.join(', ')}`);
  if (changed.includes(SecretName.REPLICATION) && passwords.monitor !== undefined) {
    await waitForHealthyChannels(description, { user: MONITOR_USER, password: passwords.monitor }, 60_000);
  }
  return changed;
}
