// The public construct for a Galera cluster: synchronous multi-primary nodes, an optional
// arbitrator, asynchronous replicas fed from a node; placed by the same backends as master-master.
import { createHash } from 'crypto';
import { Annotations, Construct, ITerraformDependable, TerraformData, TerraformOutput, Lazy } from '../cdktf';
import { planGalera } from '../model/galera-planner';
import { GaleraTopologySpec } from '../model/galera-topology';
import { HostKind, TopologyPlan, withoutSources } from '../model/plan';
import { throwIfProblems } from '../model/problems';
import { renderBootstrapSql } from '../render/bootstrap-sql';
import { renderEntrypoint } from '../render/entrypoint';
import { renderServerConfig, restartSettingsText, serverSettings, ServerTuning, tuningProblems } from '../render/server-config';
import { ClusterSecrets, HostConnection, HostFiles, IReplicationBackend } from './backend';
import { claimVariablePrefix, clusterIdProblems, descriptionJson, passwordRotation, repointOnChange } from './cluster-support';
import { toolCommand } from './tool-command';
import { ClusterCredentials, credentialProblems, resolveCredentials, sensitivityProblems, variablePrefix } from './credentials';
import { ClusterDescription, HOST_ACCESS_DOCKER } from './description';
import type { EndpointDescription } from './endpoint';

export interface MariaDbGaleraClusterProps extends GaleraTopologySpec {
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

/**
 * A MariaDB Galera cluster. The first node starts the cluster when it is first created and only
 * then; every later start of any node (a restart, a crash, a replaced container) joins the running
 * cluster. After every node was lost at once, `mariadb-ha recover` restarts it from the most
 * advanced node.
 */
export class MariaDbGaleraCluster extends Construct {
  /** The planned topology: nodes, replicas, the Galera settings. */
  public readonly plan: TopologyPlan;
  /** Where clients reach each host, in plan order. */
  public readonly connections: HostConnection[];
  /** Account secrets as Terraform references. */
  public readonly secrets: ClusterSecrets;
  /** The output tools read, named `<id>_cluster`. */
  public readonly descriptionOutput: TerraformOutput;
  /** Where the hosts run. */
  public readonly backend: IReplicationBackend;
  /** Prefix of the cluster's Terraform variable and output names. */
  public readonly variablePrefix: string;
  /** Sets changed passwords on every running host before anything uses them. */
  public readonly passwordRotation: ITerraformDependable;
  private readonly accountHost: string;
  private readonly operatorAccountHosts?: string[];
  private readonly tuning?: ServerTuning;
  private readonly addresses: { [hostName: string]: string };
  private readonly replicationAddresses: { [hostName: string]: string };
  private endpointDescription?: EndpointDescription;

  constructor(scope: Construct, id: string, props: MariaDbGaleraClusterProps) {
    super(scope, id);
    const result = planGalera(props, id);
    throwIfProblems(this.node.path, [
      ...clusterIdProblems(id),
      ...result.problems,
      ...credentialProblems(props.credentials),
      ...tuningProblems(props.tuning),
      ...props.backend.validate(this, result.plan),
      ...claimVariablePrefix(this, variablePrefix(id)),
      ...sensitivityProblems(this, props.credentials),
    ]);
    this.plan = result.plan!;
    this.plan.warnings.forEach((w) => Annotations.of(this).addWarning(w));
    this.variablePrefix = variablePrefix(id);
    this.backend = props.backend;
    this.tuning = props.tuning;
    this.secrets = resolveCredentials(this, this.variablePrefix, props.credentials);
    const network = props.backend.network(this.plan);
    this.accountHost = network.clientNetworkHost;
    this.operatorAccountHosts = network.operatorAccountHosts;
    this.addresses = network.hostAddresses;
    const addressOf = (name: string) => network.hostAddresses[name];
    this.replicationAddresses = network.replicationAddresses ?? network.hostAddresses;
    const bootstrapContext = { clientNetworkHost: network.clientNetworkHost, operatorHosts: network.operatorAccountHosts, addressOf: (name: string) => this.replicationAddresses[name] };
    const files: HostFiles[] = this.plan.hosts.map((h) => {
      const entrypoint = renderEntrypoint({ galeraNode: h.kind === HostKind.GALERA_NODE });
      const bootstrapSql = renderBootstrapSql(this.plan, h.name, bootstrapContext);
      const rebuildSql = renderBootstrapSql(withoutSources(this.plan, h.name), h.name, bootstrapContext);
      return {
        hostName: h.name,
        serverConfig: renderServerConfig(this.plan, h.name, props.tuning, addressOf),
        bootstrapSql,
        entrypoint,
        replaceOnChange: restartSettingsText(this.plan, h.name, props.tuning, addressOf) + rebuildSql + entrypoint,
      };
    });
    this.connections = props.backend.place(this, { plan: this.plan, files, secrets: this.secrets });
    this.passwordRotation = passwordRotation(this, this.secrets, () => this.describe());
    this.rollOutSettings(files);
    this.plan.hosts.filter((h) => h.kind === HostKind.REPLICA).forEach((h) => repointOnChange(this, h, this.passwordRotation, () => this.describe()));
    this.descriptionOutput = new TerraformOutput(this, 'cluster', {
      // Lazy: a writer endpoint attached later adds itself.
      value: Lazy.anyValue({ produce: () => this.describe() }),
      description: 'Nodes, replicas and client addresses of the MariaDB Galera cluster (no secrets).',
    });
    this.descriptionOutput.overrideLogicalId(`${this.variablePrefix}_cluster`);
  }

  /**
   * Brings running nodes to changed settings one at a time (Terraform never rebuilds a node): a
   * `terraform_data` replaced when a node's files change; on creation every node already has them.
   */
  private rollOutSettings(files: HostFiles[]): TerraformData {
    const nodeFiles = Object.fromEntries(files.filter((f) => this.plan.galera!.nodes.includes(f.hostName))
      .map((f) => [f.hostName, { serverConfig: f.serverConfig, entrypoint: f.entrypoint }]));
    const encoded = Buffer.from(JSON.stringify(nodeFiles)).toString('base64');
    return new TerraformData(this, 'rollout', {
      triggersReplace: { files: createHash('sha256').update(encoded).digest('hex') },
      dependsOn: [...this.plan.galera!.nodes.map((n) => this.node.findChild(n) as unknown as ITerraformDependable), this.passwordRotation],
      provisioners: [{
        type: 'local-exec',
        command: toolCommand(['rolling-restart', '--cluster', this.node.id]),
        environment: { MARIADB_HA_DESCRIPTION: descriptionJson(() => this.describe()), MARIADB_HA_NODE_FILES_B64: encoded },
      }],
    });
  }

  /** Where clients reach the named host. */
  public connection(hostName: string): HostConnection {
    const found = this.connections.find((c) => c.hostName === hostName);
    if (!found) throw new Error(`${this.node.path}: no host named '${hostName}'`);
    return found;
  }

  /** The address each host has on the cluster network, as the backend placed it. */
  public addressOf(hostName: string): string {
    return this.addresses[hostName];
  }

  /** Called by a writer endpoint so the tools can find it. */
  public attachEndpoint(endpoint: EndpointDescription): void {
    if (this.endpointDescription) throw new Error(`${this.node.path}: already has a writer endpoint`);
    this.endpointDescription = endpoint;
  }

  /** The cluster as the tools see it. */
  public describe(): ClusterDescription {
    const g = this.plan.galera!;
    return {
      cluster: this.node.id,
      activeMaster: this.plan.activeMaster,
      writers: this.plan.writers,
      writeMode: this.plan.writeMode,
      candidates: this.plan.candidates,
      databaseName: this.plan.databaseName,
      accountHost: this.accountHost,
      ...(this.operatorAccountHosts ? { operatorAccountHosts: this.operatorAccountHosts } : {}),
      hostAccess: HOST_ACCESS_DOCKER,
      semiSync: false,
      endpoint: this.endpointDescription,
      galera: {
        clusterName: g.clusterName,
        nodes: g.nodes,
        bootstrapNode: g.bootstrapNode,
        arbitrator: g.arbitrator,
        voters: g.nodes.length + (g.arbitrator ? 1 : 0),
        writeMode: g.writeMode,
      },
      hosts: this.plan.hosts.map((h) => {
        const c = this.connection(h.name);
        return {
          name: h.name,
          kind: h.kind,
          role: h.kind === HostKind.GALERA_NODE ? 'galera node' : h.replicaRole!,
          serverId: h.serverId,
          gtidDomainId: h.gtidDomainId,
          sources: h.sources.map((e) => e.source),
          delaySeconds: h.sources[0]?.delaySeconds ?? 0,
          address: c.address,
          port: c.port,
          replicationAddress: this.replicationAddresses[h.name],
          backendName: c.backendName,
          settings: Object.fromEntries(serverSettings(this.plan, h.name, this.tuning, (n) => this.addresses[n]).map((s) => [s.name, s.value])),
        };
      }),
    };
  }
}
