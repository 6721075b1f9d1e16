// How a tool finds a deployed cluster: its description output, and passwords from the environment.
import { readFileSync } from 'fs';
import { ClusterDescription, HOST_ACCESS_DOCKER } from '../constructs/description';
import { DOCKER_HOST_ACCESS } from '../backends/docker/docker-host-access';
import { HostAccess } from '../backends/host-access';
import { runChecked } from '../process';
import { Login } from './sql-client';
import { NamedEndpoint } from './replication-status';
import { APPLICATION_USER, MONITOR_USER, OPERATOR_USER } from '../model/accounts';
import { HostKind } from '../model/plan';

export interface ClusterRef {
  /** Construct id of the cluster; names its output (`<id>_cluster`) and variables. */
  readonly cluster: string;
  /** Synthesized stack directory to read `terraform output` from. */
  readonly stackDir?: string;
  /** Or a file holding the output's JSON value. */
  readonly descriptionFile?: string;
  /** Or the JSON itself (how the switchover provisioner passes it). */
  readonly descriptionJson?: string;
}

export class ToolError extends Error {
  constructor(message: string, public readonly exitCode = 2) {
    super(message);
  }
}

export async function loadDescription(ref: ClusterRef): Promise<ClusterDescription> {
  if (ref.descriptionFile) return JSON.parse(readFileSync(ref.descriptionFile, 'utf8'));
  if (ref.descriptionJson) return JSON.parse(ref.descriptionJson);
  if (!ref.stackDir) throw new ToolError('say where the cluster is: --stack-dir <synthesized stack dir> or --description <file>');
  const output = `${ref.cluster.replace(/[^A-Za-z0-9_]/g, '_')}_cluster`;
  try {
    const result = await runChecked('terraform', ['output', '-json', output], { cwd: ref.stackDir, timeoutMs: 60_000 });
    return JSON.parse(result.stdout);
  } catch (error) {
    throw new ToolError(`could not read output '${output}' in ${ref.stackDir}; is the stack deployed? ${(error as Error).message.split('\n')[0]}`);
  }
}

/** A password from MARIADB_HA_<ACCOUNT>_PASSWORD, or the Terraform variable the cluster deploys with. */
export function passwordFor(cluster: string, account: 'monitor' | 'operator' | 'application' | 'replication'): string {
  const names = [`MARIADB_HA_${account.toUpperCase()}_PASSWORD`, `TF_VAR_${cluster.replace(/[^A-Za-z0-9_]/g, '_')}_${account}_password`];
  for (const name of names) {
    const value = process.env[name];
    if (value) return value;
  }
  throw new ToolError(`no ${account} password: set ${names.join(' or ')}`);
}

export function monitorLogin(cluster: string): Login {
  return { user: MONITOR_USER, password: passwordFor(cluster, 'monitor') };
}

export function operatorLogin(cluster: string): Login {
  return { user: OPERATOR_USER, password: passwordFor(cluster, 'operator') };
}

export function applicationLogin(cluster: string, database: string): Login {
  return { user: APPLICATION_USER, password: passwordFor(cluster, 'application'), database };
}

export function endpointsOf(description: ClusterDescription): NamedEndpoint[] {
  return description.hosts.map((h) => ({ name: h.name, host: h.address, port: h.port, galera: h.kind === HostKind.GALERA_NODE }));
}

/** How the tools reach the cluster's hosts; refuses a backend that gives them no shell yet. */
export function hostAccessOf(description: ClusterDescription): HostAccess {
  if (description.hostAccess === HOST_ACCESS_DOCKER) return DOCKER_HOST_ACCESS;
  throw new ToolError(`the tools cannot reach the hosts of ${description.cluster} yet (host access '${description.hostAccess}'); this needs a shell on its hosts`);
}
