// The writer endpoint on AWS: a Route 53 failover record pair. PRIMARY answers with the active
// master, SECONDARY with the best other candidate; each carries the health check of its host.
// Which master is active is one Terraform variable: changing it replaces a terraform_data whose
// provisioner runs the switchover's database steps (the same tool as on Docker), then updates
// both records in place; no instance changes.
import { Annotations, Construct, Fn, Lazy, TerraformData, TerraformLocal, TerraformVariable } from '../../cdktf';
import { IReplicationClusterLike } from '../../constructs/cluster-like';
import { EndpointDescription, EndpointKind, switchoverArguments, SwitchoverSettings } from '../../constructs/endpoint';
import { toolCommand } from '../../constructs/tool-command';
import { activeMasterVariable } from '../../constructs/cluster-support';
import { Problem, throwIfProblems } from '../../model/problems';
import { HEALTH_METRIC, HEALTH_NAMESPACE } from '../../render/cloud-init';
import { MARIADB_PORT } from '../../render/server-config';
import { AwsBackend } from './aws-backend';
import {
  detectionSeconds, failoverTimingLine, ResolvedHealthCheck, resolveRoute53HealthCheck, Route53HealthCheckOptions, Route53HealthCheckType,
} from './failover-timing';
import { aws } from './provider';
import { isPrivateAddress } from '../subnet';

export const DEFAULT_TTL_SECONDS = 10;
/** Longer than this, a TTL delays failover more than it saves queries. */
export const LONG_TTL_SECONDS = 60;
export const MAX_TTL_SECONDS = 300;
export const DEFAULT_FAILOVER_BUDGET_SECONDS = 300;

export interface Route53WriterEndpointProps {
  /** The cluster whose masters the records point at (on an AwsBackend). */
  readonly cluster: IReplicationClusterLike;
  /** The hosted zone of the record. */
  readonly zoneId: string;
  /** The record clients connect to, e.g. `writer.db.example.internal`. */
  readonly recordName: string;
  /** The region of the health checks' CloudWatch alarms (the hosts' region). */
  readonly region: string;
  /**
   * The zone is private (associated with the VPC).
   * @default true
   */
  readonly privateZone?: boolean;
  /**
   * Seconds resolvers may cache an answer: clients reach a new primary at most this long after Route 53 answers with it.
   * @default 10
   */
  readonly ttlSeconds?: number;
  /**
   * How Route 53 judges each host.
   * @default - a CloudWatch alarm on the hosts' health metric
   */
  readonly healthCheck?: Route53HealthCheckOptions;
  /**
   * Longest acceptable time from a lost primary to clients resolving the secondary (detection +
   * TTL); synth fails when the chosen settings allow more.
   * @default 300
   */
  readonly failoverBudgetSeconds?: number;
  /**
   * How an apply that changes the active master switches over.
   * @default - see SwitchoverSettings
   */
  readonly switchover?: SwitchoverSettings;
}

export class Route53WriterEndpoint extends Construct {
  /** The TTL when `ttlSeconds` is not given. */
  public static readonly DEFAULT_TTL_SECONDS: number = DEFAULT_TTL_SECONDS;

  /** The variable that names the active master; `-var <cluster>_active_master=db-b` switches over. */
  public readonly activeMasterVariable: TerraformVariable;
  /** The DNS name clients connect to. */
  public readonly address: string;
  public readonly port: number;
  /** Longest time from a lost primary to Route 53 answering with the secondary, in seconds. */
  public readonly detectionSeconds: number;
  /** detectionSeconds + TTL: the longest clients may still resolve a lost primary. */
  public readonly worstCaseFailoverSeconds: number;

  constructor(scope: Construct, id: string, props: Route53WriterEndpointProps) {
    super(scope, id);
    const { cluster } = props;
    const backend = cluster.backend;
    if (!(backend instanceof AwsBackend)) throw new Error(`${this.node.path}: Route53WriterEndpoint needs a cluster on an AwsBackend`);
    const plan = cluster.plan;
    const ttl = props.ttlSeconds ?? DEFAULT_TTL_SECONDS;
    const check = resolveRoute53HealthCheck(props.healthCheck);
    this.detectionSeconds = detectionSeconds(check, backend.healthIntervalSeconds);
    this.worstCaseFailoverSeconds = this.detectionSeconds + ttl;
    const addresses = Object.fromEntries(cluster.connections.map((c) => [c.hostName, c.address]));
    throwIfProblems(this.node.path, [
      ...requiredProblems(props),
      ...ttlProblems(ttl),
      ...healthCheckProblems(check, props.healthCheck ?? {}, plan.candidates.map((c) => ({ host: c, address: addresses[c] })), props.privateZone ?? true),
      ...budgetProblems(props.failoverBudgetSeconds ?? DEFAULT_FAILOVER_BUDGET_SECONDS, this.detectionSeconds, ttl),
      ...(plan.candidates.length < 2 ? [{ property: 'cluster', message: `a failover record pair needs two promotion candidates; ${plan.candidates.join(', ') || 'none'} ${plan.candidates.length === 1 ? 'is' : 'are'} planned` }] : []),
    ]);
    if (ttl > LONG_TTL_SECONDS) Annotations.of(this).addWarning(`ttlSeconds: ${ttl} s keeps clients on a lost primary up to ${ttl} s after Route 53 answers with the secondary; ${LONG_TTL_SECONDS} s or less is usual for failover`);
    Annotations.of(this).addInfo(failoverTimingLine(props.recordName, this.detectionSeconds, ttl));
    this.address = props.recordName;
    this.port = MARIADB_PORT;

    this.activeMasterVariable = activeMasterVariable(this, cluster.variablePrefix, plan, 'The master the PRIMARY record answers with');
    const active = this.activeMasterVariable.stringValue;

    const prefix = backend.namePrefix(cluster);
    const checks = Object.fromEntries(plan.candidates.map((host) => [host, this.healthCheck(host, prefix, addresses[host], check, props.region).id]));
    // Locals, not inline maps: cdktf 0.21 mis-escapes quotes inside inline map expressions.
    const addressOf = new TerraformLocal(this, 'address-by-host', addresses);
    const checkOf = new TerraformLocal(this, 'health-check-by-host', checks);
    const standbyOf = new TerraformLocal(this, 'standby-by-active-master', Object.fromEntries(plan.candidates.map((c) => [c, plan.candidates.find((o) => o !== c)!])));
    const standby = Fn.lookup(standbyOf.asStringMap, active);

    const switchover = new TerraformData(this, 'switchover', {
      input: { activeMaster: active },
      triggersReplace: { activeMaster: active },
      dependsOn: [...plan.hosts.map((h) => cluster.node.findChild(h.name) as unknown as TerraformData), cluster.passwordRotation],
      provisioners: [{
        type: 'local-exec',
        // No secret here: the tool reads passwords from the environment `terraform apply` runs in.
        command: toolCommand(['switchover', '--cluster', cluster.node.id, '--to', active, ...switchoverArguments(props.switchover)]),
        environment: { MARIADB_HA_DESCRIPTION: Lazy.stringValue({ produce: () => JSON.stringify(cluster.describe()) }) },
      }],
    });
    const { Route53Record } = aws.route53Record();
    // Constant set identifiers: a switchover updates both records in place, never deletes one.
    const record = (role: 'PRIMARY' | 'SECONDARY', host: string) => new Route53Record(this, role.toLowerCase(), {
      zoneId: props.zoneId,
      name: props.recordName,
      type: 'A',
      ttl,
      setIdentifier: `${prefix}-${role.toLowerCase()}`,
      failoverRoutingPolicy: { type: role },
      records: [Fn.lookup(addressOf.asStringMap, host)],
      healthCheckId: Fn.lookup(checkOf.asStringMap, host),
      // The database steps first: the record never points at a master that is not yet the writer.
      dependsOn: [switchover],
    });
    record('PRIMARY', active);
    record('SECONDARY', standby);

    const description: EndpointDescription = {
      kind: EndpointKind.ROUTE53_FAILOVER,
      address: this.address,
      port: this.port,
      route53: {
        zoneId: props.zoneId,
        recordName: props.recordName,
        ttlSeconds: ttl,
        healthCheck: check.type,
        detectionSeconds: this.detectionSeconds,
        worstCaseFailoverSeconds: this.worstCaseFailoverSeconds,
      },
    };
    cluster.attachEndpoint(description, active, switchover);
  }

  /** A host's health check: its CloudWatch alarm (private addresses) or a TCP probe (public ones). */
  private healthCheck(host: string, prefix: string, address: string, check: ResolvedHealthCheck, region: string) {
    const { Route53HealthCheck } = aws.route53HealthCheck();
    const tags = { Name: `${prefix}-${host}` };
    if (check.type === Route53HealthCheckType.TCP) {
      // Each probe is a connection MariaDB counts toward max_connect_errors; the hosts raise it.
      return new Route53HealthCheck(this, `${host}-health`, {
        type: 'TCP', ipAddress: address, port: MARIADB_PORT, requestInterval: check.requestIntervalSeconds, failureThreshold: check.failureThreshold, tags,
      });
    }
    const alarm = new (aws.cloudwatchMetricAlarm().CloudwatchMetricAlarm)(this, `${host}-alarm`, {
      alarmName: `${prefix}-${host}-mariadb-available`,
      alarmDescription: `MariaDB on ${host} (${prefix}) stopped answering`,
      namespace: HEALTH_NAMESPACE,
      metricName: HEALTH_METRIC,
      dimensions: { Cluster: prefix, Host: host },
      statistic: 'Minimum',
      period: check.alarmPeriodSeconds,
      evaluationPeriods: check.alarmEvaluationPeriods,
      threshold: 1,
      comparisonOperator: 'LessThanThreshold',
      // A host that publishes nothing is down.
      treatMissingData: 'breaching',
    });
    return new Route53HealthCheck(this, `${host}-health`, {
      type: 'CLOUDWATCH_METRIC',
      cloudwatchAlarmName: alarm.alarmName,
      cloudwatchAlarmRegion: region,
      insufficientDataHealthStatus: 'Unhealthy',
      tags,
    });
  }
}

function requiredProblems(props: Route53WriterEndpointProps): Problem[] {
  const missing = (['zoneId', 'recordName', 'region'] as const)
    .filter((name) => typeof props[name] !== 'string' || props[name].trim() === '')
    .map((name) => ({ property: name, message: 'is required' }));
  if (missing.some((p) => p.property === 'recordName') || isDnsName(props.recordName)) return missing;
  return [...missing, { property: 'recordName', message: `'${props.recordName}' is not a DNS name (labels of letters, digits, '-' and '_', 1..63 characters each, 253 in all, joined by dots)` }];
}

/** A DNS name Route 53 takes for a record: dot-separated labels, a trailing dot allowed. */
export function isDnsName(name: string): boolean {
  const labels = name.replace(/\.$/, '').split('.');
  return name.length <= 254 && labels.every((l) => /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/.test(l));
}

export function ttlProblems(ttl: number): Problem[] {
  if (Number.isInteger(ttl) && ttl >= 1 && ttl <= MAX_TTL_SECONDS) return [];
  return [{ property: 'ttlSeconds', message: `${ttl} is not a whole number of seconds in 1..${MAX_TTL_SECONDS}; resolvers keep a lost primary's address for the whole TTL` }];
}

export function healthCheckProblems(check: ResolvedHealthCheck, given: Route53HealthCheckOptions, hosts: Array<{ host: string; address: string }>, privateZone: boolean): Problem[] {
  const problems: Problem[] = [];
  if (!Object.values(Route53HealthCheckType).includes(check.type)) {
    return [{ property: 'healthCheck.type', message: `'${check.type}' is not a Route53HealthCheckType; use one of: ${Object.values(Route53HealthCheckType).join(', ')}` }];
  }
  if (check.type === Route53HealthCheckType.TCP) {
    for (const { host, address } of hosts.filter((h) => isPrivateAddress(h.address))) {
      problems.push({ property: 'healthCheck.type', message: `${host} is at the private address ${address}, which Route 53's health checkers cannot reach; use Route53HealthCheckType.CLOUDWATCH_METRIC (the alarm on the hosts' health metric)` });
    }
    if (privateZone) problems.push({ property: 'healthCheck.type', message: 'TCP health checks probe from the internet; a private zone\'s hosts need Route53HealthCheckType.CLOUDWATCH_METRIC' });
    if (![10, 30].includes(check.requestIntervalSeconds)) problems.push({ property: 'healthCheck.requestIntervalSeconds', message: `${check.requestIntervalSeconds} is not 10 or 30` });
    if (!(Number.isInteger(check.failureThreshold) && check.failureThreshold >= 1 && check.failureThreshold <= 10)) problems.push({ property: 'healthCheck.failureThreshold', message: `${check.failureThreshold} is not a whole number in 1..10` });
  } else {
    if (given.requestIntervalSeconds !== undefined || given.failureThreshold !== undefined) {
      problems.push({ property: 'healthCheck', message: 'requestIntervalSeconds and failureThreshold tune TCP checks; a CLOUDWATCH_METRIC check is tuned by alarmPeriodSeconds and alarmEvaluationPeriods' });
    }
    if (!(Number.isInteger(check.alarmPeriodSeconds) && check.alarmPeriodSeconds >= 60 && check.alarmPeriodSeconds % 60 === 0)) {
      problems.push({ property: 'healthCheck.alarmPeriodSeconds', message: `${check.alarmPeriodSeconds} is not a multiple of 60 seconds; Route 53 takes standard-resolution alarms only` });
    }
    if (!(Number.isInteger(check.alarmEvaluationPeriods) && check.alarmEvaluationPeriods >= 1 && check.alarmEvaluationPeriods <= 10)) {
      problems.push({ property: 'healthCheck.alarmEvaluationPeriods', message: `${check.alarmEvaluationPeriods} is not a whole number in 1..10` });
    }
  }
  return problems;
}

function budgetProblems(budget: number, detection: number, ttl: number): Problem[] {
  if (!(Number.isFinite(budget) && budget > 0)) return [{ property: 'failoverBudgetSeconds', message: `${budget} is not a positive number of seconds` }];
  if (detection + ttl <= budget) return [];
  return [{ property: 'failoverBudgetSeconds', message: `the settings allow ${detection + ttl} s from a lost primary to clients resolving the secondary (detection ${detection} s + TTL ${ttl} s), over the budget of ${budget} s; shorten ttlSeconds or the health check, or raise the budget` }];
}
