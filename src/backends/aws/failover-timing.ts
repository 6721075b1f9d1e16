// How long a Route 53 failover record pair can keep sending clients to a lost primary (pure).

/** How Route 53 judges a host. */
export enum Route53HealthCheckType {
  /**
   * A CloudWatch alarm on the health metric each host publishes: works for private addresses,
   * which Route 53's checkers on the internet cannot reach.
   */
  CLOUDWATCH_METRIC = 'cloudwatch-metric',
  /** Route 53's checkers open TCP connections to the host: public addresses only. */
  TCP = 'tcp',
}

export interface Route53HealthCheckOptions {
  /**
   * How a host is judged.
   * @default Route53HealthCheckType.CLOUDWATCH_METRIC
   */
  readonly type?: Route53HealthCheckType;
  /**
   * CLOUDWATCH_METRIC: the alarm's period, in seconds (a multiple of 60: Route 53 takes
   * standard-resolution alarms only).
   * @default 60
   */
  readonly alarmPeriodSeconds?: number;
  /**
   * CLOUDWATCH_METRIC: periods without a healthy sample before the alarm fires.
   * @default 2
   */
  readonly alarmEvaluationPeriods?: number;
  /**
   * TCP: seconds between two checks from each checker (10 or 30).
   * @default 10
   */
  readonly requestIntervalSeconds?: number;
  /**
   * TCP: failed checks in a row before a host is unhealthy (1..10).
   * @default 3
   */
  readonly failureThreshold?: number;
}

/**
 * Time Route 53 may take to see an alarm state change: an allowance for its polling of CloudWatch,
 * not a documented figure.
 */
export const ROUTE53_ALARM_LAG_SECONDS = 30;
/** A TCP check that gets no connection counts as failed after this many seconds. */
export const ROUTE53_TCP_TIMEOUT_SECONDS = 10;

export interface ResolvedHealthCheck {
  readonly type: Route53HealthCheckType;
  readonly alarmPeriodSeconds: number;
  readonly alarmEvaluationPeriods: number;
  readonly requestIntervalSeconds: number;
  readonly failureThreshold: number;
}

export function resolveRoute53HealthCheck(o: Route53HealthCheckOptions = {}): ResolvedHealthCheck {
  return {
    type: o.type ?? Route53HealthCheckType.CLOUDWATCH_METRIC,
    alarmPeriodSeconds: o.alarmPeriodSeconds ?? 60,
    alarmEvaluationPeriods: o.alarmEvaluationPeriods ?? 2,
    requestIntervalSeconds: o.requestIntervalSeconds ?? 10,
    failureThreshold: o.failureThreshold ?? 3,
  };
}

/** Longest time from a primary lost to Route 53 answering with the secondary. */
export function detectionSeconds(check: ResolvedHealthCheck, healthIntervalSeconds: number): number {
  if (check.type === Route53HealthCheckType.TCP) return check.requestIntervalSeconds * check.failureThreshold + ROUTE53_TCP_TIMEOUT_SECONDS;
  // The last healthy sample may just have been published; then every evaluated period must miss one.
  return healthIntervalSeconds + check.alarmPeriodSeconds * check.alarmEvaluationPeriods + ROUTE53_ALARM_LAG_SECONDS;
}

/** One line for a reviewer: how long clients may still resolve a lost primary. */
export function failoverTimingLine(recordName: string, detection: number, ttlSeconds: number): string {
  return `${recordName}: worst case ${detection + ttlSeconds} s until clients resolve the secondary (detection ${detection} s + TTL ${ttlSeconds} s)`;
}
