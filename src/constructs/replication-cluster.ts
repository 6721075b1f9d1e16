// The public construct: an active/passive (or N-writer) MariaDB replication cluster.
import { Annotations, Construct, TerraformOutput } from '../cdktf';
import { HostKind, TopologyPlan } from '../model/plan';
import { planTopology } from '../model/planner';
import { throwIfProblems } from '../model/problems';
import { TopologySpec } from '../model/topology';
import { renderBootstrapSql } from '../render/bootstrap-sql';
import { renderEntrypoint } from '../render/entrypoint';
import { renderServerConfig, ServerTuning } from '../render/server-config';
import { ClusterSecrets, HostConnection, HostFiles, IReplicationBackend } from './backend';
import { ClusterCredentials, credentialProblems, resolveCredentials, variablePrefix } from './credentials';

export interface MariaDbReplicationClusterProps extends TopologySpec {
  /** Where the hosts run, e.g. `new DockerBackend()`. */
  readonly backend: IReplicationBackend;
  /**
   * Account passwords, as references to sensitive values.
   * @default - one sensitive variable per account, named `<id>_<account>_password`
   */
  readonly credentials?: ClusterCredentials;
  /**
   * Server settings that are not about topology.
   * @default - see ServerTuning
   */
  readonly tuning?: ServerTuning;
}

/** What the cluster tells tools and tests about itself (no secrets), as a Terraform output. */
export interface ClusterDescription {
  readonly activeMaster: string;
  readonly writers: string[];
  readonly databaseName: string;
  readonly hosts: Array<{
    name: string;
    kind: HostKind;
    role: string;
    serverId: number;
    gtidDomainId: number;
    sources: string[];
    address: string;
    port: number;
    backendName: string;
  }>;
}

export class MariaDbReplicationCluster extends Construct {
  /** The planned topology: ids, offsets, domains and edges. */
  public readonly plan: TopologyPlan;
  /** Where clients reach each host, in plan order. */
  public readonly connections: HostConnection[];
  /** Account secrets as Terraform references. */
  public readonly secrets: ClusterSecrets;
  /** The output tools read, named `<id>_cluster`. */
  public readonly descriptionOutput: TerraformOutput;

  constructor(scope: Construct, id: string, props: MariaDbReplicationClusterProps) {
    super(scope, id);
    const result = planTopology(props);
    throwIfProblems(this.node.path, [
      ...result.problems,
      ...credentialProblems(props.credentials),
      ...props.backend.validate(result.plan),
    ]);
    this.plan = result.plan!;
    this.plan.warnings.forEach((w) => Annotations.of(this).addWarning(w));

    const prefix = variablePrefix(id);
    this.secrets = resolveCredentials(this, prefix, props.credentials);
    const network = props.backend.network(this.plan);
    const entrypoint = renderEntrypoint();
    const files: HostFiles[] = this.plan.hosts.map((h) => ({
      hostName: h.name,
      serverConfig: renderServerConfig(this.plan, h.name, props.tuning),
      bootstrapSql: renderBootstrapSql(this.plan, h.name, {
        clientNetworkHost: network.clientNetworkHost,
        addressOf: (name) => network.hostAddresses[name],
      }),
      entrypoint,
    }));
    this.connections = props.backend.place(this, { plan: this.plan, files, secrets: this.secrets });

    this.descriptionOutput = new TerraformOutput(this, 'cluster', {
      value: this.describe(),
      description: 'Hosts, roles and client addresses of the MariaDB cluster (no secrets).',
    });
    this.descriptionOutput.overrideLogicalId(`${prefix}_cluster`);
  }

  /** Where clients reach the named host. */
  public connection(hostName: string): HostConnection {
    const found = this.connections.find((c) => c.hostName === hostName);
    if (!found) throw new Error(`${this.node.path}: no host named '${hostName}'`);
    return found;
  }

  /** The cluster as the tools see it. */
  public describe(): ClusterDescription {
    return {
      activeMaster: this.plan.activeMaster,
      writers: this.plan.writers,
      databaseName: this.plan.databaseName,
      hosts: this.plan.hosts.map((h) => {
        const c = this.connection(h.name);
        return {
          name: h.name,
          kind: h.kind,
          role: h.kind === HostKind.MASTER ? 'master' : h.replicaRole!,
          serverId: h.serverId,
          gtidDomainId: h.gtidDomainId,
          sources: h.sources.map((e) => e.source),
          address: c.address,
          port: c.port,
          backendName: c.backendName,
        };
      }),
    };
  }
}
