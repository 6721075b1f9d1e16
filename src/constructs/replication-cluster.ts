// The public construct: an active/passive (or N-writer) MariaDB replication cluster.
import { Annotations, Construct, dependable, ITerraformDependable, TerraformData, TerraformIterator, Lazy, TerraformOutput } from '../cdktf';
import { toolCommand } from './tool-command';
import { claimVariablePrefix, clusterIdProblems, descriptionJson, passwordRotation, repointOnChange } from './cluster-support';
import { identityLockProblems, recordIdentities } from './identity-lock';
import { HostKind, TopologyPlan, withoutSources } from '../model/plan';
import { planTopology } from '../model/planner';
import { throwIfProblems } from '../model/problems';
import { TopologySpec, WriteMode } from '../model/topology';
import { renderBootstrapSql } from '../render/bootstrap-sql';
import { renderEntrypoint } from '../render/entrypoint';
import { MARIADB_PORT, renderServerConfig, restartSettingsText, serverSettings, ServerTuning, tuningProblems } from '../render/server-config';
import { APPLICATION_USER, MONITOR_USER, OPERATOR_USER, REPLICATION_USER } from '../model/accounts';
import { ClusterSecrets, HostConnection, HostFiles, IReplicationBackend } from './backend';
import type { EndpointDescription } from './endpoint';
import { ClusterDescription, HOST_ACCESS_DOCKER, HOST_ACCESS_NONE } from './description';

export type { ClusterDescription, GaleraDescription, HostDescription } from './description';
export { HOST_ACCESS_DOCKER, HOST_ACCESS_NONE } from './description';
import {
  ClusterCredentials, credentialProblems, MAX_REPLICATION_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, resolveCredentials, sensitivityProblems, variablePrefix,
} from './credentials';

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
  /**
   * A JSON file, committed with the stack, that records every host's identity (server id, GTID
   * domain, key offset); relative paths are from where synth runs (the project root for cdktf).
   * Synth records new hosts in it and fails when a recorded host would be renumbered or is no
   * longer declared (reordering `masters`, inserting one before another, renaming or removing a
   * host); synth with MARIADB_HA_ACCEPT_IDENTITY_CHANGES=1 accepts such a change by rewriting it.
   * @default - identities are not checked
   */
  readonly identityLockFile?: string;
}

export class MariaDbReplicationCluster extends Construct {
  /** The port MariaDB listens on inside every host. */
  public static readonly PORT: number = MARIADB_PORT;
  /** The application's account (DML and DDL on `databaseName` only). */
  public static readonly APPLICATION_USER: string = APPLICATION_USER;
  /** The endpoint's health-check account (no data privileges). */
  public static readonly MONITOR_USER: string = MONITOR_USER;
  /** The account the tools and the failover monitor act as (no data privileges). */
  public static readonly OPERATOR_USER: string = OPERATOR_USER;
  /** The account masters and replicas replicate with. */
  public static readonly REPLICATION_USER: string = REPLICATION_USER;
  /** Shortest password the cluster accepts. */
  public static readonly MIN_PASSWORD_LENGTH: number = MIN_PASSWORD_LENGTH;
  /** Longest replication password MariaDB 10.11 stores for a replication connection. */
  public static readonly MAX_REPLICATION_PASSWORD_LENGTH: number = MAX_REPLICATION_PASSWORD_LENGTH;

  /** The planned topology: ids, offsets, domains and edges. */
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
  /**
   * Sets changed passwords on every running host (and the endpoint) before anything uses them;
   * whatever uses a password depends on it.
   */
  public readonly passwordRotation: ITerraformDependable;
  private readonly accountHost: string;
  private readonly operatorAccountHosts?: string[];
  private readonly replicationAddresses: { [hostName: string]: string };
  private readonly hostAccess: string;
  private readonly tuning?: ServerTuning;
  private readonly membership?: TerraformData;
  private endpointDescription?: EndpointDescription;
  private activeMasterReference?: string;

  constructor(scope: Construct, id: string, props: MariaDbReplicationClusterProps) {
    super(scope, id);
    const result = planTopology(props);
    throwIfProblems(this.node.path, [
      ...clusterIdProblems(id),
      ...result.problems,
      ...credentialProblems(props.credentials),
      ...tuningProblems(props.tuning),
      ...props.backend.validate(this, result.plan),
      ...claimVariablePrefix(this, variablePrefix(id)),
      ...sensitivityProblems(this, props.credentials),
      ...(props.identityLockFile ? identityLockProblems(props.identityLockFile, this.node.path, props, result.plan) : []),
    ]);
    this.plan = result.plan!;
    if (props.identityLockFile) recordIdentities(props.identityLockFile, this.node.path, this.plan);
    this.plan.warnings.forEach((w) => Annotations.of(this).addWarning(w));

    const prefix = variablePrefix(id);
    this.variablePrefix = prefix;
    this.backend = props.backend;
    this.secrets = resolveCredentials(this, prefix, props.credentials);
    const network = props.backend.network(this.plan);
    this.accountHost = network.clientNetworkHost;
    this.operatorAccountHosts = network.operatorAccountHosts;
    this.tuning = props.tuning;
    const entrypoint = renderEntrypoint();
    this.replicationAddresses = network.replicationAddresses ?? network.hostAddresses;
    this.hostAccess = network.hostShell === false ? HOST_ACCESS_NONE : HOST_ACCESS_DOCKER;
    const bootstrapContext = { clientNetworkHost: network.clientNetworkHost, operatorHosts: network.operatorAccountHosts, addressOf: (name: string) => this.replicationAddresses[name] };
    const files: HostFiles[] = this.plan.hosts.map((h) => {
      const serverConfig = renderServerConfig(this.plan, h.name, props.tuning);
      const bootstrapSql = renderBootstrapSql(this.plan, h.name, bootstrapContext);
      // Replication connections and key slots change on the running host (repoint, writers), so they do not rebuild it.
      const rebuildSql = renderBootstrapSql(withoutSources(this.plan, h.name), h.name, bootstrapContext);
      return { hostName: h.name, serverConfig, bootstrapSql, entrypoint, replaceOnChange: restartSettingsText(this.plan, h.name, props.tuning) + rebuildSql + entrypoint };
    });
    this.connections = props.backend.place(this, { plan: this.plan, files, secrets: this.secrets });
    if (network.hostShell === false) {
      // What the tools do as root on a running host (rotation, re-point, key slots, leaving) needs its shell.
      Annotations.of(this).addWarning(`backend: the tools have no shell on these hosts yet, so a changed password, a replica's new source and added or removed masters do not reach running hosts; only creation, switchover and status are supported`);
      this.passwordRotation = new TerraformData(this, 'password-rotation', { dependsOn: this.plan.hosts.map((h) => this.hostResource(h.name)) });
    } else {
      this.passwordRotation = passwordRotation(this, this.secrets, () => this.describe());
      this.plan.hosts.filter((h) => h.kind === HostKind.REPLICA).forEach((h) => repointOnChange(this, h, this.passwordRotation, () => this.describe()));
      this.membership = this.leaveOnRemoval(this.applyWritersOnChange());
    }

    // Checked at synth, once an endpoint had the chance to attach itself.
    this.node.addValidation({ validate: () => this.writerProblems() });

    this.descriptionOutput = new TerraformOutput(this, 'cluster', {
      // Lazy: a writer endpoint attached later adds itself.
      value: Lazy.anyValue({ produce: () => this.describe() }),
      description: 'Hosts, roles and client addresses of the MariaDB cluster (no secrets).',
    });
    this.descriptionOutput.overrideLogicalId(`${prefix}_cluster`);
  }

  /** The planned description as the tools read it from their environment. */
  private descriptionJson(): string {
    return descriptionJson(() => this.describe());
  }

  /**
   * Gives the running masters their planned replication connections and key slots when the
   * writers change (a master joins or leaves, increments move), live and in an order that keeps
   * keys disjoint; on creation it finds them as planned.
   */
  private applyWritersOnChange(): TerraformData {
    const masters = this.plan.hosts.filter((h) => h.kind === HostKind.MASTER);
    return new TerraformData(this, 'writers', {
      triggersReplace: {
        writers: masters.map((m) => `${m.name}<-${m.sources.map((e) => e.source).join('+')}:${m.autoIncrementIncrement}/${m.autoIncrementOffset}`),
      },
      dependsOn: [...masters.map((m) => this.hostResource(m.name)), this.passwordRotation],
      provisioners: [{
        type: 'local-exec',
        command: toolCommand(['writers', '--cluster', this.node.id]),
        environment: { MARIADB_HA_DESCRIPTION: this.descriptionJson() },
      }],
    });
  }

  /**
   * One instance per master, whose destroy step runs before a removed master's container is
   * destroyed: it refuses while that master is the writer (the apply stops and nothing of it is
   * destroyed), otherwise fences it, lets its peers catch up with it and drops their connections
   * to it. One resource with an instance per master, not one resource per master: Terraform runs a
   * destroy provisioner only while its resource block is still in the configuration.
   */
  private leaveOnRemoval(writers: TerraformData): TerraformData {
    return new TerraformData(this, 'membership', {
      forEach: TerraformIterator.fromList(this.plan.writers),
      // What the destroy-time tool reads: a destroy provisioner sees only the instance's own state.
      input: { description: Lazy.stringValue({ produce: () => JSON.stringify(this.describeMasters()) }) },
      // Every master's: so a leaving master's peers are still there (a whole cluster's instances go before its hosts).
      dependsOn: [...this.plan.writers.map((name) => this.hostResource(name)), writers],
      provisioners: [{
        type: 'local-exec',
        when: 'destroy',
        command: toolCommand(['leave', '--cluster', this.node.id, '--host', '${each.key}']),
        environment: { MARIADB_HA_DESCRIPTION: '${self.input.description}' },
      }],
    });
  }

  /**
   * The masters as `leave` needs them, without what changes for other reasons (the declared
   * writer, replicas, sources), so the stored copy changes only when masters come or go.
   */
  private describeMasters(): ClusterDescription {
    const full = this.describe();
    return {
      ...full,
      activeMaster: '',
      candidates: [],
      hosts: full.hosts.filter((h) => h.kind === HostKind.MASTER).map((h) => ({ ...h, sources: [], settings: { read_only: h.settings.read_only } })),
    };
  }

  /** The backend's resource for a host (the construct it placed under the host's name). */
  private hostResource(name: string): ITerraformDependable {
    const found = this.node.tryFindChild(name);
    if (!found) throw new Error(`${this.node.path}: the backend placed no resource named '${name}'`);
    return found as unknown as ITerraformDependable;
  }

  /** With one writer at a time, only a writer endpoint's switchover and monitor make a master writable. */
  private writerProblems(): string[] {
    if (this.plan.writeMode !== WriteMode.ONE_WRITER || this.endpointDescription) return [];
    return [`${this.node.path}: writeMode: with WriteMode.ONE_WRITER (the default) every master starts read-only and only a writer endpoint (HaproxyWriterEndpoint) makes one writable; add an endpoint for this cluster, or set writeMode: WriteMode.EVERY_MASTER for a schema designed for writes on every master`];
  }

  /** Where clients reach the named host. */
  public connection(hostName: string): HostConnection {
    const found = this.connections.find((c) => c.hostName === hostName);
    if (!found) throw new Error(`${this.node.path}: no host named '${hostName}'`);
    return found;
  }

  /**
   * Called by a writer endpoint so the tools can find it; `activeMaster` is the endpoint's
   * reference to the active master (a variable), which the description then reports; a master
   * removed from the cluster leaves before `switchover` (the endpoint's switchover step) runs.
   */
  public attachEndpoint(endpoint: EndpointDescription, activeMaster: string, switchover?: ITerraformDependable): void {
    if (this.endpointDescription) throw new Error(`${this.node.path}: already has a writer endpoint`);
    this.endpointDescription = endpoint;
    this.activeMasterReference = activeMaster;
    // A master that leaves does so before a switchover of the same apply: so removing the writer
    // is refused rather than racing the switchover away from it.
    if (switchover && this.membership) this.membership.dependsOn = [...(this.membership.dependsOn ?? []), dependable(switchover)];
  }

  /** The cluster as the tools see it. */
  public describe(): ClusterDescription {
    return {
      cluster: this.node.id,
      activeMaster: this.activeMasterReference ?? this.plan.activeMaster,
      writers: this.plan.writers,
      writeMode: this.plan.writeMode,
      candidates: this.plan.candidates,
      databaseName: this.plan.databaseName,
      accountHost: this.accountHost,
      ...(this.operatorAccountHosts ? { operatorAccountHosts: this.operatorAccountHosts } : {}),
      hostAccess: this.hostAccess,
      semiSync: this.plan.semiSyncTimeoutMs !== undefined,
      endpoint: this.endpointDescription,
      hosts: this.plan.hosts.map((h) => {
        const c = this.connection(h.name);
        return {
          name: h.name,
          kind: h.kind,
          role: h.kind === HostKind.MASTER ? 'master' : h.replicaRole!,
          serverId: h.serverId,
          gtidDomainId: h.gtidDomainId,
          sources: h.sources.map((e) => e.source),
          delaySeconds: h.sources[0]?.delaySeconds ?? 0,
          address: c.address,
          port: c.port,
          replicationAddress: this.replicationAddresses[h.name],
          backendName: c.backendName,
          settings: Object.fromEntries(serverSettings(this.plan, h.name, this.tuning).map((s) => [s.name, s.value])),
          ...(h.mariadbVersion === undefined ? {} : { mariadbVersion: h.mariadbVersion }),
        };
      }),
    };
  }
}
